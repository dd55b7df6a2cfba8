import type { SchedulerFactory } from '../../reconnector/scheduler.js'
import { pgBossEngine } from '../../worker/engine.js'
import { overdueWakes, WAKE_QUEUE } from '../../worker/jobs.js'
import { createBoss } from '../../worker/worker.js'

/**
 * `sweep --store postgres:URL` hands its members to the workers (decision 0012, docs/scale-out.md): the
 * sweep process lists the users' members, journals the sweep, creates each member's row and its wake-up job
 * in pg-boss, and waits for the rows to settle, printing progress. It runs no lifecycle itself unless
 * `--run-here` makes it one more worker. Nobody may be taking work: then it says so on stderr (once, after
 * {@link STALL_MS}) and keeps waiting; Ctrl+C leaves every member queued for the workers.
 */

/** How long a due wake-up job may wait untaken before the sweep says that no worker seems to run. */
export const STALL_MS = 15_000

/** The pg-boss side of a dispatching sweep. */
export interface Dispatch {
  /** The reconnector's scheduling engine. */
  readonly scheduler: SchedulerFactory
  /** Starts pg-boss and the engine (after `createReconnector`). */
  start(): Promise<void>
  /**
   * Stops taking jobs, closes the reconnector (`closeReconnector`), hands the members still running here
   * (`--run-here`) back to the workers, writes every wake-up asked for, and stops pg-boss.
   */
  close(closeReconnector: () => Promise<void>): Promise<void>
}

/** Options of {@link dispatchTo}. */
export interface DispatchOptions {
  /** Lifecycles this process runs itself as a worker (`--run-here`); 0 only enqueues. */
  readonly concurrency: number
  /** One line on stderr (the stall hint, job errors; never a secret: jobs hold member guids only). */
  readonly warn: (line: string) => void
  /** How long a due job may wait untaken before the hint (default {@link STALL_MS}). */
  readonly stallMs?: number
}

const oneLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'failed'

/**
 * The pg-boss engine of a sweep on `url`, with the "is a worker running?" hint.
 *
 * @example
 * ```ts
 * const dispatch = dispatchTo(url, { concurrency: 0, warn: ctx.err })
 * const reconnector = createReconnector({ client, store, scheduler: dispatch.scheduler })
 * await dispatch.start()
 * ```
 */
export function dispatchTo(url: string, options: DispatchOptions): Dispatch {
  const boss = createBoss(url)
  let lastError = ''
  const onError = (error: unknown) => {
    const line = oneLine(error)
    // One line per distinct error: a database that went away must not flood the terminal.
    if (line !== lastError) options.warn(`sweep: ${line}`)
    lastError = line
  }
  boss.on('error', onError)
  const engine = pgBossEngine({ boss, concurrency: options.concurrency, onError })
  const stallMs = options.stallMs ?? STALL_MS
  let timer: NodeJS.Timeout | undefined
  let hinted = false
  const check = async () => {
    const overdue = await overdueWakes(boss, WAKE_QUEUE, 'pgboss', stallMs).catch(() => 0)
    if (overdue > 0 && !hinted) {
      hinted = true
      options.warn(
        `sweep: ${overdue} member(s) have waited over ${Math.round(stallMs / 1000)} s for a worker: is ` +
          '`mx-reconnect worker --store postgres:…` running on this database? (or sweep with --run-here)',
      )
    }
  }
  return {
    scheduler: engine.scheduler,
    async start() {
      await boss.start()
      await engine.start()
      timer = setInterval(() => void check(), Math.max(1_000, Math.floor(stallMs / 3)))
      timer.unref()
    },
    async close(closeReconnector) {
      clearInterval(timer)
      await engine.pause()
      const left = engine.running()
      await closeReconnector()
      await engine.handBack(left).catch(onError)
      await engine.flush()
      await boss.stop({ graceful: false, wait: true }).catch(onError)
    },
  }
}
