import { createNexusClient } from '../../client/create-nexus-client.js'
import type { NexusClientApi } from '../../client/types.js'
import { postgresStore } from '../../stores/postgres.js'
import { traceClient } from '../../worker/trace.js'
import { startWorker, workerUserAgent, type Worker } from '../../worker/worker.js'
import { intFlag, parseFlags, timeScaleFlag, UsageError, type CliContext, type Command } from '../args.js'
import { resolveSettings } from '../sweep/settings.js'

/** `mx-reconnect worker`: one of N processes running lifecycles from PostgreSQL (docs/scale-out.md). */

const USAGE = `Usage: mx-reconnect worker --store postgres:URL [flags]

Runs member lifecycles from a PostgreSQL store, taking work from its pg-boss queue, until SIGTERM or
SIGINT. Start as many workers as you like, on as many machines: each member runs on one worker at a
time; a worker that dies leaves its members to the others once their leases lapse. Nobody answers prompts
in a worker: a member that needs its user waits in the store until the host application submits the
user's answer (docs/scale-out.md).

Flags:
  --store URL         postgres:postgres://USER:PASSWORD@HOST:PORT/DB (or a bare postgres:// URL)
  --concurrency C     lifecycles running at once in this worker (default 32)
  --name NAME         this worker's name: its lease owner and User-Agent (default HOST-PID)
  --lease-ms MS       how long a member's lease lasts without renewal (default 60000)
  --evict-after-ms MS a lifecycle waiting longer than this leaves memory; its wake-up becomes a job
                      (default 5000 x --time-scale)
  --grace-ms MS       on SIGTERM, how long running lifecycles may finish before they are handed back
                      to the other workers (default 10000)
  --json              one JSON line per outcome on stdout (default: "MEMBER outcome" lines)
  --trace FILE        append one JSON line per Nexus call start and end (worker, member, times; no secrets)
  --nexus-url URL     Nexus base URL       (or MX_NEXUS_URL)
  --sso-url URL       SSO base URL         (or MX_SSO_URL)
  --client-id ID      MX client id         (or MX_CLIENT_ID)
  --api-key KEY       MX API key           (or MX_API_KEY; prefer the environment: flags show in ps)
  --time-scale X      scale lifecycle delays, 0.001 to 1, for a simulator running at the same time scale
                      (default 1)
  -h, --help          show this help

Exit codes:
  0    stopped on SIGTERM / SIGINT; every lifecycle's state is in the store
  2    bad flags
  1    fatal: the store does not open (a URL that does not connect, bad credentials)`

const FLAGS = {
  store: { type: 'string' },
  concurrency: { type: 'string' },
  name: { type: 'string' },
  'lease-ms': { type: 'string' },
  'grace-ms': { type: 'string' },
  'evict-after-ms': { type: 'string' },
  json: { type: 'boolean' },
  trace: { type: 'string' },
  'nexus-url': { type: 'string' },
  'sso-url': { type: 'string' },
  'client-id': { type: 'string' },
  'api-key': { type: 'string' },
  'time-scale': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/** The PostgreSQL URL of `--store` (`postgres:URL`, or a bare `postgres://` / `postgresql://` URL). */
export function workerStoreUrl(flag: string | undefined): string {
  const value = flag?.trim() ?? ''
  if (value === '') throw new UsageError('--store is required (postgres:URL)')
  const inner = /^postgres(ql)?:(?!\/\/)/i.test(value) ? value.slice(value.indexOf(':') + 1) : value
  if (!/^postgres(ql)?:\/\/[^/]/i.test(inner))
    throw new UsageError('--store must be postgres:URL with a postgres:// URL (workers need PostgreSQL)')
  try {
    new URL(inner)
  } catch {
    throw new UsageError('--store postgres: URL is not a valid URL')
  }
  return inner
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/

async function run(argv: readonly string[], ctx: CliContext): Promise<number> {
  const flags = parseFlags(argv, FLAGS)
  if (flags.help === true) {
    ctx.out(USAGE)
    return 0
  }
  const url = workerStoreUrl(flags.store)
  const concurrency = intFlag('concurrency', flags.concurrency, 32, { min: 1, max: 10_000 })
  const leaseMs = intFlag('lease-ms', flags['lease-ms'], 60_000, { min: 100, max: 86_400_000 })
  const graceMs = intFlag('grace-ms', flags['grace-ms'], 10_000, { min: 0, max: 3_600_000 })
  const timeScale = timeScaleFlag(flags['time-scale'], 1)
  const evictAfterMs = intFlag('evict-after-ms', flags['evict-after-ms'], Math.round(5_000 * timeScale), {
    min: 0,
    max: 86_400_000,
  })
  if (flags.name !== undefined && !NAME.test(flags.name))
    throw new UsageError('--name must be 1-64 letters, digits, dots, dashes or underscores')
  const settings = resolveSettings(flags, ctx.env ?? process.env)

  const store = postgresStore(url, { applicationName: 'mx-reconnect-worker' })
  try {
    await store.ready()
  } catch (error) {
    await store.close().catch(() => undefined)
    throw new Error(`cannot open ${store.description}: ${oneLine(error)}`)
  }
  const name = flags.name ?? undefined
  let client: NexusClientApi | undefined
  let worker: Worker | undefined
  try {
    const workerName = name ?? `${(await import('node:os')).hostname()}-${process.pid}`
    const plain = createNexusClient({ ...settings, userAgent: workerUserAgent(workerName) })
    client = flags.trace === undefined ? plain : traceClient(plain, workerName, flags.trace)
    const json = flags.json === true
    const started = await startWorker({
      url,
      client,
      store,
      name: workerName,
      concurrency,
      leaseMs,
      evictAfterMs,
      ...(timeScale === 1 ? {} : { policy: { timeScale } }),
      onError: (error) => ctx.err(`worker ${workerName}: ${oneLine(error)}`),
      onEvent: (event) => {
        if (event.type !== 'outcome') return
        const outcome = event.output.outcome
        ctx.out(
          json ? JSON.stringify({ memberGuid: event.memberGuid, outcome }) : `${event.memberGuid} ${outcome}`,
        )
      },
    }).catch((error: unknown) =>
      Promise.reject(new Error(`cannot start on ${store.description}: ${oneLine(error)}`)),
    )
    worker = started
    // Listening before the line a caller waits on: a Ctrl+C right after it must find the listener.
    const stop = ctx.waitForStop()
    ctx.err(`worker ${workerName}: taking work from ${store.description} (concurrency ${concurrency})`)
    const signal = await stop
    const running = started.engine.running().length
    ctx.err(`worker ${workerName}: ${signal}, stopping (${running} lifecycles running)`)
    await started.stop({ graceMs })
    ctx.err(`worker ${workerName}: stopped; every lifecycle's state is in the store`)
    return 0
  } finally {
    await worker?.stop({ graceMs: 0 }).catch(() => undefined)
    await client?.close().catch(() => undefined)
    await store.close().catch(() => undefined)
  }
}

const oneLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'failed'

/** The `worker` command. */
export const command: Command = {
  summary: 'Run member lifecycles from a PostgreSQL store, as one of N workers (pg-boss)',
  usage: USAGE,
  run,
}
