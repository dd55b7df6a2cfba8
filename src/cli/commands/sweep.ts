import { createNexusClient } from '../../client/create-nexus-client.js'
import type { NexusClient } from '../../client/create-nexus-client.js'
import { HttpError, TransportError } from '../../domain/index.js'
import {
  createReconnector,
  type Reconnector,
  type SweepProgress,
  type SweepReport,
} from '../../reconnector/index.js'
import {
  timeScaleFlag,
  intFlag,
  parseFlags,
  UsageError,
  type CliContext,
  type Command,
  type FlagValues,
} from '../args.js'
import { createProgress } from '../report/progress.js'
import { sweepReportLines } from '../report/sweep-report.js'
import { countOf, formatCounts } from '../report/table.js'
import { statelyInspectorFlag } from '../../inspect/stately.js'
import { resolveSettings } from '../sweep/settings.js'
import { openStore } from '../sweep/store-url.js'
import { dispatchTo, type Dispatch } from '../sweep/dispatch.js'
import { EXIT, exitCodeOf, fatalFailure } from '../sweep/exit-codes.js'
import { resolveOwner } from '../sweep/owner.js'
import { readUsersFile, type SweepTarget } from '../sweep/users-file.js'

/** `mx-reconnect sweep`: a real, unattended sweep against MX (design: reconnector.md "CLI"). */

const USAGE = `Usage: mx-reconnect sweep --users FILE --store sqlite:PATH [flags]
       mx-reconnect sweep --resume --store sqlite:PATH [flags]

Reconnects every member of the users in FILE (or the members it lists) against MX, and reports each
member's outcome. Nobody answers prompts in a sweep: members that need their user (credentials, MFA)
are reported as awaitingUser and stay stored, waiting for the user. A user MX cannot find (deleted at MX)
is a row of the report; every other user is still swept and stored.

With --store postgres:URL the sweep hands its members to \`mx-reconnect worker\` processes on the same
database: it stores each member and queues it for the workers, then reports as the members settle. It
runs no lifecycle itself unless --run-here is given; when no worker takes the queued members it says so
and keeps waiting (Ctrl+C leaves them queued for the workers; docs/scale-out.md).

Users file: a JSON array of user ids, {"userIds": [...]}, {"members": [{"userId": "...", "memberGuid": "..."}]},
or one user id per line.

Flags:
  --users FILE        the users (or members) to sweep
  --resume            finish the sweep a crash or a stop interrupted, from the journal in --store
  --store URL         sqlite:PATH (kept between runs), postgres:URL (shared; password in PGPASSWORD)
                      or memory: (nothing kept)
  --owner NAME        lease owner (default: derived from this host and the store path, so a run
                      restarted after a crash takes the dead run's leases back at once)
  --concurrency C     lifecycles running at once (default 32; with postgres:, in this process when
                      --run-here is given)
  --run-here          postgres: only: also run lifecycles in this process, as one more worker
  --json              print the sweep report as JSON on stdout
  --nexus-url URL     Nexus base URL       (or MX_NEXUS_URL)
  --sso-url URL       SSO base URL         (or MX_SSO_URL)
  --client-id ID      MX client id         (or MX_CLIENT_ID)
  --api-key KEY       MX API key           (or MX_API_KEY; prefer the environment: flags show in ps)
  --time-scale X      scale lifecycle delays, 0.001 to 1, for a simulator running at the same time scale
                      (default 1)
  --inspect WS_URL    stream to a Stately WebSocket inspector, e.g. ws://127.0.0.1:8080 (docs/inspect.md)
  -h, --help          show this help

Exit codes:
  0    every user reachable and every member settled (done, or waiting on its user)
  3    done, but some users failed (e.g. unknown at MX), stored rows were quarantined or members were
       left unsettled: see the report; everything else was swept and stored
  2    bad flags or arguments
  1    fatal: nothing swept (a wrong key or URL, a store that does not open, a bad users file)
  130  stopped (SIGINT / SIGTERM); every lifecycle's state is in the store: run again with --resume`

const FLAGS = {
  users: { type: 'string' },
  resume: { type: 'boolean' },
  store: { type: 'string' },
  owner: { type: 'string' },
  concurrency: { type: 'string' },
  'run-here': { type: 'boolean' },
  json: { type: 'boolean' },
  'nexus-url': { type: 'string' },
  'sso-url': { type: 'string' },
  'client-id': { type: 'string' },
  'api-key': { type: 'string' },
  'time-scale': { type: 'string' },
  inspect: { type: 'string' },
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

/** What members parked on their user wait for (`credentials`, `MFA`), from their stored views. */
async function waitingFor(reconnector: Reconnector, report: SweepReport): Promise<Map<string, string>> {
  const waiting = new Map<string, string>()
  for (const m of report.members) {
    if (m.outcome !== 'awaitingUser') continue
    const view = await reconnector.view({ userId: m.userId, memberGuid: m.memberGuid })
    if (view?.prompt) waiting.set(m.memberGuid, view.prompt.type === 'mfa.required' ? 'MFA' : 'credentials')
  }
  return waiting
}

/** The flags, checked (UsageError), before anything is read or opened. */
function checkFlags(flags: FlagValues<typeof FLAGS>) {
  const resume = flags.resume === true
  if (resume && flags.users !== undefined) {
    throw new UsageError('--resume finishes the sweep stored in --store: give it no --users')
  }
  if (!resume && (flags.users === undefined || flags.users.trim() === '')) {
    throw new UsageError('--users FILE is required (or --resume to finish an interrupted sweep)')
  }
  if (flags.store === undefined || flags.store.trim() === '') {
    throw new UsageError('--store is required (sqlite:PATH or memory:)')
  }
  if (resume && /^memory:/i.test(flags.store)) {
    throw new UsageError('--resume needs --store sqlite:PATH (memory: keeps nothing to resume)')
  }
  resolveOwner(flags.owner, undefined) // checks --owner
  if (flags['run-here'] === true && !/^postgres(ql)?:/i.test(flags.store)) {
    throw new UsageError('--run-here needs --store postgres:URL (other stores always run here)')
  }
  return {
    resume,
    runHere: flags['run-here'] === true,
    users: flags.users,
    store: flags.store,
    concurrency: intFlag('concurrency', flags.concurrency, 32, { min: 1, max: 10_000 }),
    timeScale: timeScaleFlag(flags['time-scale'], 1),
  }
}

async function run(argv: readonly string[], ctx: CliContext): Promise<number> {
  const flags = parseFlags(argv, FLAGS)
  if (flags.help === true) {
    ctx.out(USAGE)
    return EXIT.ok
  }
  const { resume, users, store: storeUrl, concurrency, timeScale, runHere } = checkFlags(flags)
  const settings = resolveSettings(flags, ctx.env ?? process.env)
  const target: SweepTarget | undefined = users === undefined ? undefined : await readUsersFile(users)

  const inspector = await statelyInspectorFlag(flags.inspect)
  const { store, description, path, postgresUrl } = await openStore(storeUrl)
  let client: NexusClient | undefined
  let reconnector: Reconnector | undefined
  // PostgreSQL: the members go to the workers through pg-boss (decision 0012).
  let dispatch: Dispatch | undefined
  try {
    client = createNexusClient(settings)
    const counts: Record<string, number> = {}
    if (postgresUrl !== undefined)
      dispatch = dispatchTo(postgresUrl, { concurrency: runHere ? concurrency : 0, warn: ctx.err })
    reconnector = createReconnector({
      client,
      store,
      concurrency,
      owner: resolveOwner(flags.owner, path),
      ...(dispatch === undefined
        ? {}
        : {
            scheduler: dispatch.scheduler,
            // Run here (--run-here) as a worker does: park a waiting lifecycle as a job.
            evictAfterMs: Math.round(5_000 * timeScale),
          }),
      ...(timeScale === 1 ? {} : { policy: { timeScale } }),
      ...(inspector ? { inspect: inspector.inspect } : {}),
      onEvent: (event) => {
        if (event.type === 'outcome') counts[event.output.outcome] = (counts[event.output.outcome] ?? 0) + 1
      },
    })
    // Listening before the first line a caller may act on: a Ctrl+C right after it must find the listener.
    const stopRequested = ctx.waitForStop()
    if (dispatch !== undefined) {
      await dispatch.start()
      ctx.err(
        runHere
          ? `sweep: members go to the workers on ${description} and run here too (concurrency ${concurrency})`
          : `sweep: members go to the workers on ${description}; waiting for them to settle`,
      )
    }
    const progress = createProgress(ctx, resume ? 'resume' : 'sweep')
    let stopped = false
    const stop = stopRequested.then((signal) => {
      stopped = true
      return { stopped: signal }
    })
    // After a stop, closing the reconnector settles the rest: that is not progress to show.
    const onProgress = (p: SweepProgress) =>
      void (stopped || progress.update(p.settled, p.total, formatCounts(counts)))
    const work =
      target === undefined ? reconnector.resumeAll({ onProgress }) : reconnector.sweep(target, { onProgress })
    const outcome: SweepReport | { stopped: string } = await Promise.race([
      work.catch((error: unknown) => Promise.reject(explain(error))),
      stop,
    ])
    progress.finish()
    if ('stopped' in outcome) {
      const next =
        dispatch !== undefined
          ? '; the workers go on with the queued members (mx-reconnect sweep --resume reports on them)'
          : path === undefined
            ? ''
            : `; finish it with mx-reconnect sweep --resume --store sqlite:${path}`
      ctx.err(`stopped (${outcome.stopped}); every lifecycle's state is in the store (${description})${next}`)
      return EXIT.stopped
    }
    const userCount = target !== undefined && 'userIds' in target ? target.userIds.length : undefined
    const fatal = userCount === undefined ? undefined : fatalFailure(userCount, outcome)
    if (fatal !== undefined) throw fatal
    const code = exitCodeOf(outcome)
    if (flags.json === true) {
      ctx.out(JSON.stringify(outcome))
      return code
    }
    const report = {
      waitingFor: await waitingFor(reconnector, outcome),
      ...(userCount === undefined ? {} : { userCount }),
    }
    for (const line of sweepReportLines(outcome, report)) ctx.out(line)
    const traffic = client.stats()
    ctx.out(
      `HTTP       ${countOf(traffic.requests, 'request')}, ${countOf(traffic.sessionsOpened, 'session')} opened`,
    )
    ctx.out(`Store      ${description}`)
    const waiting = outcome.counts.awaitingUser ?? 0
    if (waiting > 0) {
      ctx.out(
        `Note       ${countOf(waiting, 'member')} wait on their user (credentials or MFA); nobody answers in a sweep`,
      )
    }
    if (code === EXIT.partial) {
      ctx.out(`Exit       ${code}: done, but not everything was swept or settled (see the rows above)`)
    }
    return code
  } finally {
    const closeReconnector = async () => void (await reconnector?.close().catch(() => undefined))
    if (dispatch !== undefined) await dispatch.close(closeReconnector).catch(() => undefined)
    else await closeReconnector()
    await client?.close().catch(() => undefined)
    await store.close().catch(() => undefined)
    inspector?.stop()
  }
}

/** The `sweep` command. */
export const command: Command = {
  summary: 'Reconnect the members of a users file against MX (URLs and keys from flags or env)',
  usage: USAGE,
  run,
}
