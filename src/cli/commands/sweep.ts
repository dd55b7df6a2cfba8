import { createNexusClient } from '../../client/create-nexus-client.js'
import type { NexusClient } from '../../client/create-nexus-client.js'
import { HttpError, TransportError } from '../../domain/index.js'
import { createReconnector, type Reconnector, type SweepReport } from '../../reconnector/index.js'
import { floatFlag, intFlag, parseFlags, UsageError, type CliContext, type Command } from '../args.js'
import { createProgress } from '../report/progress.js'
import { sweepReportLines } from '../report/sweep-report.js'
import { formatCount, formatCounts } from '../report/table.js'
import { resolveSettings } from '../sweep/settings.js'
import { openStore } from '../sweep/store-url.js'
import { readUsersFile } from '../sweep/users-file.js'

/** `mx-reconnect sweep`: a real, unattended sweep against MX (design: reconnector.md "CLI"). */

const USAGE = `Usage: mx-reconnect sweep --users FILE --store sqlite:PATH [flags]

Reconnects every member of the users in FILE (or the members it lists) against MX, and reports each
member's outcome. Nobody answers prompts in a sweep: members that need their user (credentials, MFA)
are reported as awaitingUser and stay stored, waiting for the user.

Users file: a JSON array of user ids, {"userIds": [...]}, {"members": [{"userId": "...", "memberGuid": "..."}]},
or one user id per line.

Flags:
  --users FILE        the users (or members) to sweep
  --store URL         sqlite:PATH (kept between runs) or memory: (nothing kept)
  --concurrency C     lifecycles running at once (default 32)
  --json              print the sweep report as JSON on stdout
  --nexus-url URL     Nexus base URL       (or MX_NEXUS_URL)
  --sso-url URL       SSO base URL         (or MX_SSO_URL)
  --client-id ID      MX client id         (or MX_CLIENT_ID)
  --api-key KEY       MX API key           (or MX_API_KEY; prefer the environment: flags show in ps)
  --time-scale X      scale lifecycle delays, for a simulator running at the same time scale (default 1)
  -h, --help          show this help`

const FLAGS = {
  users: { type: 'string' },
  store: { type: 'string' },
  concurrency: { type: 'string' },
  json: { type: 'boolean' },
  'nexus-url': { type: 'string' },
  'sso-url': { type: 'string' },
  'client-id': { type: 'string' },
  'api-key': { type: 'string' },
  'time-scale': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/** A failed sweep's error, with a hint where the cause is likely a setting (never its value). */
function explain(error: unknown): Error {
  if (error instanceof HttpError && error.api === 'sso' && (error.status === 401 || error.status === 404)) {
    return new Error(`${error.message}: check MX_API_KEY, MX_CLIENT_ID and the user ids`)
  }
  if (error instanceof TransportError) return new Error(`${error.message}: check MX_NEXUS_URL and MX_SSO_URL`)
  return error instanceof Error ? error : new Error(String(error))
}

/** Exit code after SIGINT / SIGTERM (128 + SIGINT). */
const STOPPED = 130

async function run(argv: readonly string[], ctx: CliContext): Promise<number> {
  const flags = parseFlags(argv, FLAGS)
  if (flags.help === true) {
    ctx.out(USAGE)
    return 0
  }
  if (flags.users === undefined || flags.users.trim() === '') throw new UsageError('--users FILE is required')
  if (flags.store === undefined || flags.store.trim() === '') {
    throw new UsageError('--store is required (sqlite:PATH or memory:)')
  }
  const concurrency = intFlag('concurrency', flags.concurrency, 32, { min: 1, max: 10_000 })
  const timeScale = floatFlag('time-scale', flags['time-scale'], 1, { min: 0.0001, max: 1 })
  const settings = resolveSettings(flags, ctx.env ?? process.env)
  const target = await readUsersFile(flags.users)

  const { store, description } = openStore(flags.store)
  let client: NexusClient | undefined
  let reconnector: Reconnector | undefined
  try {
    client = createNexusClient(settings)
    const counts: Record<string, number> = {}
    reconnector = createReconnector({
      client,
      store,
      concurrency,
      ...(timeScale === 1 ? {} : { policy: { timeScale } }),
      onEvent: (event) => {
        if (event.type === 'outcome') counts[event.output.outcome] = (counts[event.output.outcome] ?? 0) + 1
      },
    })
    const progress = createProgress(ctx, 'sweep')
    let stopped = false
    const stop = ctx.waitForStop().then((signal) => {
      stopped = true
      return { stopped: signal }
    })
    const outcome: SweepReport | { stopped: string } = await Promise.race([
      reconnector
        .sweep(target, {
          // After a stop, closing the reconnector settles the rest: that is not progress to show.
          onProgress: (p) => void (stopped || progress.update(p.settled, p.total, formatCounts(counts))),
        })
        .catch((error: unknown) => Promise.reject(explain(error))),
      stop,
    ])
    progress.finish()
    if ('stopped' in outcome) {
      ctx.err(`stopped (${outcome.stopped}); every lifecycle's state is in the store (${description})`)
      return STOPPED
    }
    if (flags.json === true) {
      ctx.out(JSON.stringify(outcome))
      return 0
    }
    const waitingFor = new Map<string, string>()
    for (const m of outcome.members) {
      if (m.outcome !== 'awaitingUser') continue
      const view = await reconnector.view(m.memberGuid)
      if (view?.prompt)
        waitingFor.set(m.memberGuid, view.prompt.type === 'mfa.required' ? 'MFA' : 'credentials')
    }
    for (const line of sweepReportLines(outcome, waitingFor)) ctx.out(line)
    const traffic = client.stats()
    ctx.out(
      `HTTP       ${formatCount(traffic.requests)} requests, ${formatCount(traffic.sessionsOpened)} sessions opened`,
    )
    ctx.out(`Store      ${description}`)
    const waiting = outcome.counts.awaitingUser ?? 0
    if (waiting > 0) {
      ctx.out(
        `Note       ${waiting} members wait on their user (credentials or MFA); nobody answers in a sweep`,
      )
    }
    return 0
  } finally {
    await reconnector?.close().catch(() => undefined)
    await client?.close().catch(() => undefined)
    await store.close().catch(() => undefined)
  }
}

/** The `sweep` command. */
export const command: Command = {
  summary: 'Reconnect the members of a users file against MX (URLs and keys from flags or env)',
  usage: USAGE,
  run,
}
