import type { KnownStatus } from '../../domain/index.js'
import { startSimulator, type Profile, type Simulator } from '../../simulator/index.js'
import { intFlag, parseFlags, timeScaleFlag, UsageError, type CliContext, type Command } from '../args.js'

/** `mx-reconnect simulate`: the simulator on its own (simulator.md "CLI"; docs/simulator.md). */

const USAGE = `Usage: mx-reconnect simulate [flags]

Serves MX's SSO, MDX Real Time and Nexus APIs from the local simulator until stopped (Ctrl+C).

Flags:
  --port N           port on the host (default 4010; 0 picks a free one)
  --host H           address to bind (default 127.0.0.1)
  --seed N           seed for guids, tokens, the API key and the messy profile (default 1)
  --profile P        clean (readable replies, default) or messy (what real MX sends: mixed
                     timestamp formats, "null" strings, missing and extra keys, short replies)
  --time-scale X     real time per simulated time, 0.001 to 1; 0.01 = 100x faster (default 1)
  --frozen-clock     stop the simulated clock: it moves only by POST /_sim/clock/advance
  --members N        seed N members across the scenarios (default 0)
  --job-ms N         simulated ms per job phase (default 4000)
  --client-id ID     client id (default mx-sim-client)
  --api-key KEY      API key (default derived from the seed)
  --webhook-url URL  POST MX webhooks here
  --no-control       do not serve the /_sim/ control routes
  --json             print the startup information as one JSON line
  -h, --help         show this help`

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  seed: { type: 'string' },
  profile: { type: 'string' },
  'time-scale': { type: 'string' },
  'frozen-clock': { type: 'boolean' },
  members: { type: 'string' },
  'job-ms': { type: 'string' },
  'client-id': { type: 'string' },
  'api-key': { type: 'string' },
  'webhook-url': { type: 'string' },
  'no-control': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/**
 * `--profile`: `clean` or `messy` (docs/simulator.md "Profiles").
 *
 * @example
 * ```ts
 * profileFlag('messy', 'clean') // 'messy'
 * ```
 */
export function profileFlag(value: string | undefined, fallback: Profile): Profile {
  if (value === undefined) return fallback
  if (value === 'clean' || value === 'messy') return value
  throw new UsageError(`--profile must be clean or messy (got "${value}")`)
}

/** Scenarios `--members N` cycles through: one row per kind of broken (or healthy) connection. */
export const SEED_SCENARIOS: readonly {
  readonly status: KnownStatus
  readonly password: string
  readonly institutionCode?: string
}[] = [
  { status: 'CONNECTED', password: 'password' },
  { status: 'DENIED', password: 'password' },
  { status: 'DENIED', password: 'challenge' },
  { status: 'CHALLENGED', password: 'challenge' },
  { status: 'PREVENTED', password: 'multi' },
  { status: 'EXPIRED', password: 'options' },
  { status: 'REJECTED', password: 'token' },
  { status: 'LOCKED', password: 'password' },
  { status: 'CONNECTED', password: 'UNAUTHORIZED' },
  { status: 'CONNECTED', password: 'DELAYED' },
  { status: 'IMPAIRED', password: 'image' },
  { status: 'PENDING', password: '', institutionCode: 'mx_bank_oauth' },
  { status: 'DEGRADED', password: 'image_options' },
]

/** Members per seeded user. */
const PER_USER = 4

interface Seeded {
  readonly userId: string
  readonly memberGuid: string
  readonly status: string
  readonly scenario: string
}

function seed(sim: Simulator, count: number): Seeded[] {
  const out: Seeded[] = []
  for (let i = 0; i < count; i++) {
    const scenario = SEED_SCENARIOS[i % SEED_SCENARIOS.length] ?? {
      status: 'CONNECTED',
      password: 'password',
    }
    const userId = `user-${Math.floor(i / PER_USER) + 1}`
    sim.createUser({ id: userId })
    const memberGuid = sim.createMember({
      userId,
      status: scenario.status,
      password: scenario.password,
      ...(scenario.institutionCode === undefined ? {} : { institutionCode: scenario.institutionCode }),
    })
    const state = sim.member(memberGuid)
    out.push({ userId, memberGuid, status: scenario.status, scenario: state.scenario })
  }
  return out
}

async function run(argv: readonly string[], ctx: CliContext): Promise<number> {
  const flags = parseFlags(argv, FLAGS)
  if (flags.help === true) {
    ctx.out(USAGE)
    return 0
  }
  const port = intFlag('port', flags.port, 4010, { min: 0, max: 65535 })
  const seedValue = intFlag('seed', flags.seed, 1, { min: 0, max: 2 ** 32 - 1 })
  const profile = profileFlag(flags.profile, 'clean')
  if (flags['frozen-clock'] === true && flags['time-scale'] !== undefined) {
    throw new UsageError('--frozen-clock and --time-scale do not go together')
  }
  const timeScale = flags['frozen-clock'] === true ? 0 : timeScaleFlag(flags['time-scale'], 1)
  const members = intFlag('members', flags.members, 0, { min: 0, max: 1_000_000 })
  const jobMs = intFlag('job-ms', flags['job-ms'], 4000, { min: 0 })
  const webhookUrl = flags['webhook-url']
  if (webhookUrl !== undefined && !/^https?:\/\/\S+$/.test(webhookUrl)) {
    throw new UsageError(`--webhook-url must be an http(s) URL (got "${webhookUrl}")`)
  }
  let sim: Simulator
  try {
    sim = await startSimulator({
      port,
      host: flags.host ?? '127.0.0.1',
      seed: seedValue,
      profile,
      timeScale,
      jobDurationMs: jobMs,
      control: flags['no-control'] !== true,
      ...(flags['client-id'] === undefined ? {} : { clientId: flags['client-id'] }),
      ...(flags['api-key'] === undefined ? {} : { apiKey: flags['api-key'] }),
      ...(webhookUrl === undefined ? {} : { webhookUrl }),
    })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'EADDRINUSE')
      throw new Error(`port ${port} is already in use (choose another with --port, or --port 0)`)
    if (code === 'EACCES') throw new Error(`not allowed to listen on port ${port}`)
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new Error(`cannot bind to host ${flags.host ?? ''}`)
    throw error
  }
  const seeded = seed(sim, members)
  const info = {
    nexusUrl: sim.nexusUrl,
    ssoUrl: sim.ssoUrl,
    mdxUrl: sim.mdxUrl,
    controlUrl: sim.controlUrl ?? null,
    clientId: sim.clientId,
    apiKey: sim.apiKey,
    seed: seedValue,
    profile,
    timeScale,
    members: seeded,
  }
  // Listening before the lines a caller waits on: a Ctrl+C right after them must find the listener.
  const stop = ctx.waitForStop()
  if (flags.json === true) ctx.out(JSON.stringify(info))
  else {
    ctx.out(`mx-reconnect simulator (seed ${seedValue}, ${profile} profile, time scale ${timeScale})`)
    ctx.out(`  Nexus URL    ${sim.nexusUrl}`)
    ctx.out(`  SSO URL      ${sim.ssoUrl}`)
    ctx.out(`  MDX URL      ${sim.mdxUrl}`)
    if (sim.controlUrl !== undefined) ctx.out(`  Control URL  ${sim.controlUrl}`)
    ctx.out(`  Client id    ${sim.clientId}`)
    ctx.out(`  API key      ${sim.apiKey}`)
    if (seeded.length > 0) {
      ctx.out('Seeded members (user id, member guid, status, scenario):')
      for (const m of seeded) ctx.out(`  ${m.userId}  ${m.memberGuid}  ${m.status}  ${m.scenario}`)
    }
    ctx.out('Stop with Ctrl+C.')
  }
  const signal = await stop
  await sim.close()
  if (flags.json !== true) ctx.out(`simulator stopped (${signal})`)
  return 0
}

/** The `simulate` command. */
export const command: Command = {
  summary: 'Serve the MX (SSO + Nexus) simulator on its own',
  usage: USAGE,
  run,
}
