import { hostname } from 'node:os'
import PgBoss from 'pg-boss'
import { createNexusClient } from '../client/create-nexus-client.js'
import type { NexusClientApi } from '../client/types.js'
import { createReconnector } from '../reconnector/reconnector.js'
import type { Reconnector, ReconnectorOptions } from '../reconnector/types.js'
import type { NexusClientConfig } from '../services/config.js'
import { postgresStore } from '../stores/postgres.js'
import type { LifecycleStore } from '../stores/types.js'
import { pgBossEngine, type PgBossEngine } from './engine.js'

/**
 * Options of {@link startWorker}.
 *
 * @example
 * ```ts
 * const options: WorkerOptions = { url, client: config, concurrency: 32, name: 'worker-1', leaseMs: 60_000 }
 * ```
 */
export interface WorkerOptions extends Pick<
  ReconnectorOptions,
  'credentials' | 'mfa' | 'onEvent' | 'policy' | 'clock' | 'leaseMs' | 'evictAfterMs' | 'inspect'
> {
  /** The PostgreSQL URL holding lifecycles (`postgresStore`) and pg-boss's jobs. */
  readonly url: string
  /** A Nexus client, or its config (then this worker's `User-Agent` names the worker, and `stop` closes it). */
  readonly client: NexusClientApi | NexusClientConfig
  /** Lifecycles this worker runs at once (default 32). */
  readonly concurrency?: number
  /** This worker's name: its lease owner and `User-Agent` (default `HOST-PID`). */
  readonly name?: string
  /** The lifecycle store (default `postgresStore(url)`, closed by `stop`). */
  readonly store?: LifecycleStore
  /** How long an idle worker waits before asking for jobs again (ms, default 500). */
  readonly pollMs?: number
  /** pg-boss and job errors (never carry a secret). */
  readonly onError?: (error: unknown) => void
}

/**
 * A running worker: what {@link startWorker} resolves to.
 *
 * @example
 * ```ts
 * const worker = await startWorker({ url, client: config })
 * console.log(worker.name, worker.engine.running().length)
 * await worker.stop({ graceMs: 5_000 })
 * ```
 */
export interface Worker {
  readonly name: string
  /** The reconnector the worker drives (host events may be given to it too). */
  readonly reconnector: Reconnector
  readonly engine: PgBossEngine
  /**
   * Stops taking jobs, lets the lifecycles running here finish for up to `graceMs` (default 10 s), then
   * stops the rest (their state is stored) and hands them back to the other workers at once.
   */
  stop(options?: { readonly graceMs?: number }): Promise<void>
}

const isClient = (value: WorkerOptions['client']): value is NexusClientApi =>
  typeof (value as Partial<NexusClientApi>).readMember === 'function'

/**
 * The `User-Agent` a worker's Nexus requests carry (MX's logs and the simulator's request log name the
 * worker).
 *
 * @example
 * ```ts
 * workerUserAgent('w1') // 'mx-reconnect/0.1 (worker w1)'
 * ```
 */
export const workerUserAgent = (name: string): string => `mx-reconnect/0.1 (worker ${name})`

/**
 * A pg-boss 10 instance for a worker or a host on `url`: no cron, a pool of `max` connections, maintenance
 * (expiring jobs whose worker died) every 30 s. The caller
 * starts and stops it (`startWorker` makes its own).
 *
 * @example
 * ```ts
 * const boss = createBoss(process.env.DATABASE_URL!)
 * boss.on('error', (error) => log.warn(error.message))
 * await boss.start()
 * ```
 */
export function createBoss(url: string, max = 4): PgBoss {
  return new PgBoss({
    connectionString: url,
    max,
    schedule: false,
    application_name: 'mx-reconnect-jobs',
    // Expired jobs (their worker died before leasing the member) are retried at the next maintenance.
    maintenanceIntervalSeconds: 30,
  })
}

/**
 * Starts a worker (docs/scale-out.md): takes wake-up jobs from pg-boss and runs each member's lifecycle
 * under its lease in the shared PostgreSQL store, up to `concurrency` at once. Start as many as you like, on
 * as many machines; a worker that dies leaves its members to the others once their leases lapse.
 *
 * @example
 * ```ts
 * const worker = await startWorker({ url: process.env.DATABASE_URL!, client: config, concurrency: 32 })
 * process.once('SIGTERM', () => void worker.stop())
 * ```
 */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const name = options.name ?? `${hostname()}-${process.pid}`
  const onError = options.onError ?? (() => undefined)
  const concurrency = options.concurrency ?? 32
  const client = isClient(options.client)
    ? options.client
    : createNexusClient({ userAgent: workerUserAgent(name), ...options.client })
  const ownsClient = !isClient(options.client)
  const store = options.store ?? postgresStore(options.url)
  const boss = createBoss(options.url)
  boss.on('error', onError)
  const engine = pgBossEngine({
    boss,
    concurrency,
    onError,
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
  })
  const {
    url: _url,
    client: _client,
    name: _name,
    store: _store,
    pollMs: _poll,
    onError: _err,
    ...rest
  } = options
  const reconnector = createReconnector({
    ...rest,
    client,
    store,
    owner: name,
    concurrency,
    scheduler: engine.scheduler,
  })
  const closeAll = async () => {
    await reconnector.close().catch(onError)
    await boss.stop({ graceful: false, wait: true }).catch(onError)
    if (ownsClient) await client.close().catch(onError)
    if (!options.store) await store.close().catch(onError)
  }
  try {
    await boss.start()
    await engine.start()
  } catch (error) {
    await closeAll()
    throw error
  }
  let stopping: Promise<void> | undefined
  return {
    name,
    reconnector,
    engine,
    stop: (stopOptions) =>
      (stopping ??= (async () => {
        await engine.pause()
        const graceMs = stopOptions?.graceMs ?? 10_000
        let timer: NodeJS.Timeout | undefined
        await Promise.race([
          engine.idle(),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
        ])
        clearTimeout(timer)
        const left = engine.running()
        await reconnector.close().catch(onError)
        await engine.handBack(left).catch(onError)
        await engine.flush()
        await closeAll()
      })()),
  }
}
