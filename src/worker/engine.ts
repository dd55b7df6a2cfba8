import type PgBoss from 'pg-boss'
import type { Scheduler, SchedulerDeps, SchedulerFactory } from '../reconnector/scheduler.js'
import { createTimerQueue } from '../reconnector/timer-queue.js'
import {
  ensureWakeQueue,
  WAKE_QUEUE,
  writeWakes,
  type Wake,
  type WakeJob,
  type WakeQueueOptions,
} from './jobs.js'

/**
 * Options of {@link pgBossEngine}.
 *
 * @example
 * ```ts
 * const host = pgBossEngine({ boss }) // concurrency 0: a host; its members run on the workers
 * const worker = pgBossEngine({ boss, concurrency: 32, pollMs: 250 })
 * ```
 */
export interface PgBossEngineOptions extends WakeQueueOptions {
  /** A pg-boss 10 instance; the caller starts and stops it. */
  readonly boss: PgBoss
  /** The wake queue (default `mx-reconnect-wake`). */
  readonly queue?: string
  /** pg-boss's schema (default `pgboss`). */
  readonly schema?: string
  /**
   * Wake-up jobs run at once here. 0 (the default) makes this process a host: it never takes jobs, and a
   * member due now is handed to the workers; it still applies the host events it receives (credentials,
   * MFA answers, webhooks) under the member's lease.
   */
  readonly concurrency?: number
  /** How long an idle worker waits before asking for jobs again (real ms, default 500). */
  readonly pollMs?: number
  /** Errors writing or running jobs (never carry a secret: jobs hold member guids only). */
  readonly onError?: (error: unknown) => void
}

/**
 * The pg-boss scheduling engine: pass `scheduler` to `createReconnector`, then `start()`. What
 * {@link pgBossEngine} returns.
 *
 * @example
 * ```ts
 * const engine = pgBossEngine({ boss, concurrency: 32 })
 * const reconnector = createReconnector({ client, store: postgresStore(url), scheduler: engine.scheduler })
 * await engine.start()
 * ```
 */
export interface PgBossEngine {
  readonly scheduler: SchedulerFactory
  /** Creates the queue if needed and, with a concurrency, starts taking jobs. */
  start(): Promise<void>
  /** Stops taking new jobs; jobs running here go on. Resolves once no fetch is in flight. */
  pause(): Promise<void>
  /** Members whose wake-up job runs here now. */
  running(): readonly string[]
  /** Resolves when every job running here has ended. */
  idle(): Promise<void>
  /** Wakes these members at once on any worker (a stopping worker hands its members back). */
  handBack(memberGuids: readonly string[]): Promise<void>
  /** Resolves when every wake-up asked for so far is written. */
  flush(): Promise<void>
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Creates the pg-boss engine (docs/scale-out.md). Polls, backoffs and user deadlines become jobs with a
 * start time, so a waiting lifecycle holds no memory and no timer anywhere; a worker runs a job by bringing
 * the member back under its lease, and the job ends when the lifecycle leaves memory again. Every lease
 * taken keeps a job behind it at the lease's end, stored before the lease is: a worker that dies mid-step
 * leaves a job that brings the member back elsewhere once the lease lapses. With no `concurrency` the process is a host: members it
 * starts run on the workers, and the host events it receives are applied here under the member's lease.
 *
 * @example
 * ```ts
 * import { createReconnector, postgresStore } from 'mx-reconnect'
 * import { createBoss, pgBossEngine } from 'mx-reconnect/worker'
 * const boss = createBoss(process.env.DATABASE_URL!)
 * const engine = pgBossEngine({ boss })
 * const reconnector = createReconnector({
 *   client: config,
 *   store: postgresStore(process.env.DATABASE_URL!),
 *   scheduler: engine.scheduler,
 *   evictAfterMs: 0, // hand members back to the workers at their first wait
 * })
 * await boss.start()
 * await engine.start()
 * ```
 */
export function pgBossEngine(options: PgBossEngineOptions): PgBossEngine {
  const { boss } = options
  const queue = options.queue ?? WAKE_QUEUE
  const schema = options.schema ?? 'pgboss'
  if (!SCHEMA_NAME.test(schema)) throw new Error('pgBossEngine: schema must be a plain SQL identifier')
  const concurrency = options.concurrency ?? 0
  const working = concurrency > 0
  const pollMs = options.pollMs ?? 500
  const onError = options.onError ?? (() => undefined)
  let deps: SchedulerDeps | undefined
  let pending: Wake[] = []
  let writing: Promise<void> = Promise.resolve()
  let flushQueued = false
  const runningHere = new Map<string, number>()
  const backstops = new Map<string, number>()
  let paused = !working
  let loop: Promise<void> | undefined
  let wakeLoop: () => void = () => undefined
  const onIdle: Array<() => void> = []

  const now = () => deps?.clock.now() ?? Date.now()
  /** A taken job outlives its worker by about two leases: then pg-boss hands it to another (see jobs.ts). */
  const expireInSeconds = () =>
    options.expireInSeconds ?? Math.max(30, Math.ceil((2 * (deps?.leaseMs ?? 60_000)) / 1000))

  /** The batch not yet taken by a write: every wake-up queued now goes out with it. */
  let nextBatch: Promise<void> = Promise.resolve()

  /**
   * Queues a wake-up; writes go out in batches, one write at a time. Resolves once the batch holding this
   * wake-up is stored; rejects when that write failed (reported to `onError` once, whoever awaits).
   */
  function enqueue(memberGuid: string, at: number): Promise<void> {
    pending.push({ memberGuid, delayMs: at - now() })
    if (flushQueued) return nextBatch
    flushQueued = true
    const batchWritten = writing.then(async () => {
      await new Promise<void>((resolve) => setImmediate(resolve))
      flushQueued = false
      const batch = pending
      pending = []
      await writeWakes(boss, queue, schema, batch, expireInSeconds())
      // A wake due now may be ours to run: stop waiting for the next poll.
      if (working && batch.some((w) => w.delayMs <= 0)) wakeLoop()
    })
    // Reported once here, which also marks it handled for the callers that do not await it.
    void batchWritten.catch(onError)
    nextBatch = batchWritten
    writing = batchWritten.catch(() => undefined)
    return batchWritten
  }

  async function runJob(job: PgBoss.Job<WakeJob>) {
    const memberGuid = job.data.memberGuid
    // This job may be the member's backstop (pg-boss keeps one queued job per member): it no longer waits.
    backstops.delete(memberGuid)
    runningHere.set(memberGuid, (runningHere.get(memberGuid) ?? 0) + 1)
    try {
      await deps!.onDue(memberGuid)
      await boss.complete(queue, job.id).catch(onError)
    } catch (error) {
      onError(error)
      await boss
        .fail(queue, job.id, { message: error instanceof Error ? error.message : 'failed' })
        .catch(onError)
    } finally {
      const left = (runningHere.get(memberGuid) ?? 1) - 1
      if (left > 0) runningHere.set(memberGuid, left)
      else runningHere.delete(memberGuid)
      inFlight -= 1
      wakeLoop()
      if (inFlight === 0) for (const resolve of onIdle.splice(0)) resolve()
    }
  }

  let inFlight = 0
  async function fetchLoop() {
    while (!paused) {
      const free = concurrency - inFlight
      let got = 0
      if (free > 0) {
        try {
          const jobs = await boss.fetch<WakeJob>(queue, { batchSize: free })
          got = jobs.length
          for (const job of jobs) {
            inFlight += 1
            void runJob(job)
          }
        } catch (error) {
          onError(error)
        }
      }
      if (paused) break
      if (got > 0 && concurrency - inFlight > 0) continue
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, got > 0 || free === 0 ? 60_000 : pollMs)
        function done() {
          clearTimeout(timer)
          wakeLoop = () => undefined
          resolve()
        }
        wakeLoop = done
      })
    }
  }

  const scheduler: SchedulerFactory = (given) => {
    deps = given
    const local = createTimerQueue((memberGuid) => void given.onDue(memberGuid), {
      now: () => given.clock.now(),
      setTimer: (callback, ms) => setTimeout(callback, Math.max(0, Math.min(ms, 2_147_483_647))),
      clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
    })
    const intervals: NodeJS.Timeout[] = []
    const watchHere = (memberGuid: string) => {
      if (given.watched(memberGuid)) local.schedule(memberGuid, given.clock.now() + given.watchMs)
    }
    const engine: Scheduler = {
      at(memberGuid, at) {
        void enqueue(memberGuid, at)
        // Waiters here (a host's `settled`) keep looking at the member while it runs elsewhere.
        watchHere(memberGuid)
      },
      cancel: (memberGuid) => local.cancel(memberGuid),
      held(memberGuid, leaseUntil) {
        void enqueue(memberGuid, (leaseUntil ?? given.clock.now()) + 1)
        watchHere(memberGuid)
      },
      every(ms, task) {
        const handle = setInterval(task, ms)
        handle.unref()
        intervals.push(handle)
      },
      close() {
        for (const handle of intervals.splice(0)) clearInterval(handle)
        local.close()
      },
      leased(memberGuid, until) {
        const at = until + 1
        const prev = backstops.get(memberGuid)
        const t = given.clock.now()
        // A job at or before the lease's end is already waiting behind it.
        if (prev !== undefined && prev >= t && prev <= at) return Promise.resolve()
        if (backstops.size > 50_000) for (const [k, v] of backstops) if (v < t) backstops.delete(k)
        backstops.set(memberGuid, at)
        return enqueue(memberGuid, at).catch((error: unknown) => {
          if (backstops.get(memberGuid) === at) backstops.delete(memberGuid)
          throw error
        })
      },
    }
    if (!working) {
      engine.handOver = (memberGuid, record) => {
        const t = given.clock.now()
        const heldElsewhere = record?.owner != null && (record.leaseUntil ?? 0) > t
        if (!heldElsewhere) void enqueue(memberGuid, t)
        watchHere(memberGuid)
        return true
      }
    }
    return engine
  }

  return {
    scheduler,
    async start() {
      if (!deps) throw new Error('pgBossEngine: pass engine.scheduler to createReconnector before start()')
      await ensureWakeQueue(boss, queue, options)
      if (working && !loop) {
        paused = false
        loop = fetchLoop()
      }
    },
    async pause() {
      paused = true
      wakeLoop()
      await loop
    },
    running: () => [...runningHere.keys()],
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => onIdle.push(resolve))),
    async handBack(memberGuids) {
      for (const memberGuid of memberGuids) void enqueue(memberGuid, now())
      await this.flush()
    },
    async flush() {
      while (pending.length > 0 || flushQueued) await writing
      await writing
    },
  }
}
