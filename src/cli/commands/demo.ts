import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startInspectServer, type InspectServer } from '../../inspect/server.js'
import { statelyInspectorFlag } from '../../inspect/stately.js'
import { intFlag, parseFlags, timeScaleFlag, UsageError, type CliContext, type Command } from '../args.js'
import { demoReport } from '../demo/report.js'
import { runDemo, type DemoPhase } from '../demo/run.js'
import { DEMO_SCENARIOS } from '../demo/scenarios.js'
import { profileFlag } from './simulate.js'
import { createProgress, type Progress } from '../report/progress.js'
import { countOf, formatCounts, formatMs } from '../report/table.js'

/** `mx-reconnect demo`: the main job on the embedded default (design: reconnector.md "CLI"). */

const USAGE = `Usage: mx-reconnect demo [flags]

Starts the MX simulator in-process, seeds members across every scenario (bad passwords, every kind of
MFA, locked accounts, OAuth, closed banks, users who answer wrongly or never), answers the prompts like
a test user would, sweeps them on a SQLite store, and prints the report. Exits 0 only when every member
ended with the outcome its scenario implies.

Flags:
  --members N       members to seed, dealt across the ${DEMO_SCENARIOS.length} scenarios (default 100)
  --concurrency C   lifecycles running at once (default 32)
  --seed S          simulator seed (default 1)
  --profile P       simulator profile: messy (what real MX sends, default) or clean (readable replies)
  --time-scale X    real time per simulated time for the simulator and the lifecycles, 0.001 to 1
                    (default 0.01: a simulated minute lasts 600 ms)
  --db PATH         SQLite file to use (default: a fresh file in a new temp directory)
  --inspect WS_URL  stream to a Stately WebSocket inspector, e.g. ws://127.0.0.1:8080 (docs/inspect.md)
  --inspect-page    serve the live inspect page on 127.0.0.1 during the demo (kept until Ctrl-C)
  --inspect-port N  port for --inspect-page (default 4020; 0 picks a free one)
  -h, --help        show this help`

const FLAGS = {
  members: { type: 'string' },
  concurrency: { type: 'string' },
  seed: { type: 'string' },
  profile: { type: 'string' },
  'time-scale': { type: 'string' },
  db: { type: 'string' },
  inspect: { type: 'string' },
  'inspect-page': { type: 'boolean' },
  'inspect-port': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

async function run(argv: readonly string[], ctx: CliContext): Promise<number> {
  const flags = parseFlags(argv, FLAGS)
  if (flags.help === true) {
    ctx.out(USAGE)
    return 0
  }
  const members = intFlag('members', flags.members, 100, { min: 1, max: 10_000 })
  const concurrency = intFlag('concurrency', flags.concurrency, 32, { min: 1, max: 10_000 })
  const seed = intFlag('seed', flags.seed, 1, { min: 0, max: 2 ** 32 - 1 })
  const timeScale = timeScaleFlag(flags['time-scale'], 0.01)
  const profile = profileFlag(flags.profile, 'messy')
  if (flags.db !== undefined && flags.db.trim() === '') throw new UsageError('--db needs a file path')
  const inspectPort = intFlag('inspect-port', flags['inspect-port'], 4020, { min: 0, max: 65_535 })
  const inspector = await statelyInspectorFlag(flags.inspect)
  // The page reads the demo's store file, so it needs the path before the demo makes it.
  const dbPath =
    flags.db !== undefined
      ? resolve(flags.db)
      : flags['inspect-page'] === true
        ? join(mkdtempSync(join(tmpdir(), 'mx-reconnect-demo-')), 'demo.db')
        : undefined
  let inspectPage: InspectServer | undefined
  if (flags['inspect-page'] === true && dbPath !== undefined) {
    inspectPage = await startInspectServer({ dbPath, port: inspectPort })
    ctx.err(`Inspect page: ${inspectPage.url}`)
  }
  if (members < DEMO_SCENARIOS.length) {
    ctx.err(
      `note: ${countOf(members, 'member')} cover only the first ${members} of ${DEMO_SCENARIOS.length} scenarios`,
    )
  }
  ctx.err(
    `Seeding ${countOf(members, 'member')} (${profile} simulator); simulator and lifecycles on one clock at time scale ${timeScale}` +
      ` (1 simulated minute = ${formatMs(60_000 * timeScale)})`,
  )
  let phase: DemoPhase | undefined
  let progress: Progress | undefined
  let result: Awaited<ReturnType<typeof runDemo>>
  try {
    result = await runDemo(
      {
        members,
        concurrency,
        seed,
        profile,
        timeScale,
        ...(dbPath === undefined ? {} : { dbPath }),
        ...(inspector ? { inspect: inspector.inspect } : {}),
      },
      {
        onDeadlineWait: ({ members: parked, waitMs }) => {
          progress?.finish()
          progress = undefined
          ctx.err(
            `${countOf(parked, 'member')} wait on a user who never answers; their user deadline passes in about ${formatMs(waitMs)}`,
          )
        },
        onProgress: (next, p, outcomes) => {
          if (next !== phase || progress === undefined) {
            progress?.finish()
            phase = next
            progress = createProgress(ctx, next === 'sweep' ? 'sweep   ' : 'deadline')
          }
          progress.update(p.settled, p.total, formatCounts(outcomes))
        },
      },
    )
  } catch (error) {
    inspector?.stop()
    await inspectPage?.close()
    throw error
  }
  progress?.finish()
  inspector?.stop()
  for (const line of demoReport(result)) ctx.out(line)
  if (inspectPage) {
    const stop = ctx.waitForStop()
    ctx.err(`The demo is done; the inspect page stays at ${inspectPage.url} until Ctrl-C`)
    await stop
    await inspectPage.close()
  }
  return result.mismatches.length === 0 ? 0 : 1
}

/** The `demo` command. */
export const command: Command = {
  summary: 'Sweep simulated members across every scenario and report (in-process simulator)',
  usage: USAGE,
  run,
}
