/**
 * Simulator load benchmark (issue 3 "Done when"): N requests from C concurrent clients against
 * `mx-reconnect simulate`, each client running real reconnections (SSO token → session → read → credentials
 * → update → poll → MFA → resume → poll → aggregate → job), counting every HTTP request. It fails (exit 1)
 * on any transport error, 5xx or unexpected status, and reports throughput, client-side latency and the
 * simulator's own cost per request (the model step time, measured inside the server).
 *
 *   npx tsx bench/simulator-load.ts [--requests 10000] [--clients 100] [--time-scale 0.01] [--in-process] [--json]
 *
 * By default the simulator runs in a child process (as partners run it), so client and server each get a
 * core on a 2-core machine; `--in-process` runs it inside this process instead.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { startSimulator, type Simulator, type SimulatorStats } from '../src/simulator/index.js'

const { values: flags } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    clients: { type: 'string', default: '100' },
    'time-scale': { type: 'string', default: '0.01' },
    'poll-ms': { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    'in-process': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  strict: true,
})

const TOTAL = Number(flags.requests)
const CLIENTS = Number(flags.clients)
const TIME_SCALE = Number(flags['time-scale'])
const POLL_MS = Number(flags['poll-ms'])
const NEXUS = 'application/vnd.mx.nexus.v1+json'
const PASSWORDS = [
  'challenge',
  'multi',
  'password',
  'UNAUTHORIZED',
  'options',
  'DELAYED',
  'token',
  'image_options',
]

interface Target {
  readonly nexusUrl: string
  readonly ssoUrl: string
  readonly controlUrl: string
  readonly clientId: string
  readonly apiKey: string
  stop(): Promise<void>
}

async function startChild(): Promise<Target> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..')
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'simulate',
      '--port',
      '0',
      '--json',
      '--seed',
      flags.seed,
      '--time-scale',
      String(TIME_SCALE),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const line = await new Promise<string>((resolve, reject) => {
    let text = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8')
      const end = text.indexOf('\n')
      if (end >= 0) resolve(text.slice(0, end))
    })
    child.once('exit', (code) => reject(new Error(`simulator exited (${String(code)})`)))
  })
  const info = JSON.parse(line) as Omit<Target, 'stop'>
  return {
    ...info,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

async function startInProcess(): Promise<Target> {
  const sim: Simulator = await startSimulator({
    seed: Number(flags.seed),
    timeScale: TIME_SCALE,
    control: true,
  })
  return { ...sim, controlUrl: sim.controlUrl!, stop: () => sim.close() }
}

class Errors extends Error {}

/** The parts of MX replies this benchmark reads. */
interface MemberJson {
  readonly connection_status: string | null
  readonly is_being_aggregated: boolean
  readonly most_recent_job_guid: string | null
}
interface ChallengeJson {
  readonly guid: string
  readonly options?: readonly { guid: string; value: string }[]
  readonly image_options?: readonly { guid: string; value: string }[]
}
interface Reply {
  readonly status: number
  readonly json: unknown
}

async function main(): Promise<void> {
  const target = flags['in-process'] ? await startInProcess() : await startChild()
  const origin = new URL(target.nexusUrl).origin
  const pool = new Pool(origin, { connections: CLIENTS, pipelining: 1, keepAliveTimeout: 30_000 })
  const latencies = new Float64Array(TOTAL)
  const statuses = new Map<number, number>()
  const errors: string[] = []
  let sent = 0
  let reconnections = 0
  let relogins = 0

  async function call(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<Reply> {
    if (sent >= TOTAL) throw new Errors('done')
    const index = sent
    sent += 1
    const started = performance.now()
    try {
      const res = await pool.request({
        method,
        path,
        headers: { accept: NEXUS, ...(body === undefined ? {} : { 'content-type': NEXUS }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await res.body.text()
      latencies[index] = performance.now() - started
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
      return { status: res.statusCode, json: text === '' ? undefined : (JSON.parse(text) as unknown) }
    } catch (error) {
      latencies[index] = performance.now() - started
      errors.push(`${method} ${path}: ${error instanceof Error ? error.message : String(error)}`)
      throw new Errors('transport')
    }
  }

  // Setup through the control routes (not counted): one user and one DENIED member per client.
  const members: { userId: string; guid: string }[] = []
  for (let i = 0; i < CLIENTS; i++) {
    const userId = `load-user-${i + 1}`
    const res = await pool.request({
      method: 'POST',
      path: '/_sim/members',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId, status: 'DENIED', password: 'wrong' }),
    })
    const body = (await res.body.json()) as { member: { guid: string } }
    members.push({ userId, guid: body.member.guid })
  }

  async function client(n: number): Promise<void> {
    const { userId, guid } = members[n]!
    let session = ''
    const login = async (): Promise<void> => {
      const sso = await call('GET', `/sso/${target.clientId}/users/${userId}/api_token.json`, {
        'md-api-key': target.apiKey,
      })
      if (sso.status !== 200) throw unexpected('sso', sso.status)
      const token = (sso.json as { api_token: { token: string } }).api_token.token
      const s = await call(
        'POST',
        '/sessions',
        { 'md-api-token': token },
        { session: { skip_aggregation: true } },
      )
      if (s.status !== 200) throw unexpected('session', s.status)
      session = (s.json as { session: { token: string } }).session.token
    }
    const unexpected = (what: string, status: number): Errors => {
      errors.push(`${what}: HTTP ${status}`)
      return new Errors(what)
    }
    // A Nexus call that renews the session once on 401 (§1.5), as a real client does.
    const nexus = async (method: string, path: string, body?: unknown): Promise<Reply> => {
      const r = await call(method, path, { 'md-session-token': session }, body)
      if (r.status !== 401) return r
      relogins += 1
      await login()
      return call(method, path, { 'md-session-token': session }, body)
    }
    const poll = async (): Promise<MemberJson> => {
      for (;;) {
        const r = await nexus('GET', `/members/${guid}`)
        if (r.status !== 200) throw unexpected('poll', r.status)
        const m = (r.json as { member: MemberJson }).member
        if (m.connection_status === 'CHALLENGED' || !m.is_being_aggregated) return m
        await sleep(POLL_MS)
      }
    }
    try {
      await login()
      for (let round = n; ; round++) {
        const list = await nexus('GET', '/members')
        if (list.status !== 200) throw unexpected('list', list.status)
        const creds = await nexus('GET', `/members/${guid}/credentials`)
        if (creds.status !== 200) throw unexpected('credentials', creds.status)
        const [login, pass] = (creds.json as { credentials: { guid: string }[] }).credentials.map(
          (c) => c.guid,
        )
        const password = PASSWORDS[round % PASSWORDS.length]!
        const put = await nexus('PUT', `/members/${guid}`, {
          member: {
            credentials: [
              { credential_guid: login, value: 'mxuser' },
              { credential_guid: pass, value: password },
            ],
          },
        })
        if (put.status !== 200) throw unexpected('update', put.status)
        let member = await poll()
        while (member.connection_status === 'CHALLENGED') {
          const ch = await nexus('GET', `/members/${guid}/challenges`)
          if (ch.status !== 200) throw unexpected('challenges', ch.status)
          const answers = (ch.json as { challenges: ChallengeJson[] }).challenges.map((c) => ({
            guid: c.guid,
            value: (c.options ?? c.image_options)?.find((o) => o.value === 'correct')?.guid ?? 'correct',
          }))
          const resumed = await nexus('PUT', `/members/${guid}/resume`, { challenges: answers })
          if (resumed.status !== 200) throw unexpected('resume', resumed.status)
          member = await poll()
        }
        reconnections += 1
        const job = await nexus('GET', `/jobs/${member.most_recent_job_guid ?? 'none'}`)
        if (job.status !== 200) throw unexpected('job', job.status)
        const agg = await nexus('GET', `/members/${guid}/aggregate`)
        if (agg.status !== 200) throw unexpected('aggregate', agg.status)
        await poll()
      }
    } catch (error) {
      if (!(error instanceof Errors)) errors.push(String(error))
    }
  }

  const started = performance.now()
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)))
  const wallMs = performance.now() - started

  const statsRes = await pool.request({ method: 'GET', path: '/_sim/stats' })
  const stats = (await statsRes.body.json()) as SimulatorStats
  await pool.close()
  await target.stop()

  const sorted = Array.from(latencies.subarray(0, sent)).sort((a, b) => a - b)
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0
  const result = {
    requests: sent,
    clients: CLIENTS,
    errors: errors.length,
    wallMs: Math.round(wallMs),
    requestsPerSecond: Math.round((sent / wallMs) * 1000),
    latencyMs: { p50: round(pct(0.5)), p95: round(pct(0.95)), p99: round(pct(0.99)), max: round(pct(1)) },
    statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
    reconnections,
    sessionRenewals: relogins,
    modelStepMs: {
      mean: round(stats.modelStepMsMean, 4),
      p50: round(stats.modelStepMsP50, 4),
      p99: round(stats.modelStepMsP99, 4),
      max: round(stats.modelStepMsMax, 3),
      steps: stats.modelSteps,
    },
    server: {
      members: stats.members,
      jobsStarted: stats.jobsStarted,
      sessionsOpened: stats.sessionsOpened,
      internalErrors: stats.internalErrors,
    },
    mode: flags['in-process'] ? 'in-process' : 'child-process',
    timeScale: TIME_SCALE,
    cpus: cpus().length,
    node: process.version,
  }
  if (flags.json) console.log(JSON.stringify(result))
  else {
    console.log(
      `simulator load: ${sent} requests from ${CLIENTS} clients (${result.mode}, ${result.cpus} CPUs, time scale ${TIME_SCALE})`,
    )
    console.log(`  wall time        ${result.wallMs} ms  (${result.requestsPerSecond} req/s)`)
    console.log(
      `  latency (client) p50 ${result.latencyMs.p50} ms, p95 ${result.latencyMs.p95} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`,
    )
    console.log(
      `  model step       mean ${result.modelStepMs.mean} ms, p50 ${result.modelStepMs.p50} ms, p99 ${result.modelStepMs.p99} ms, max ${result.modelStepMs.max} ms over ${result.modelStepMs.steps} steps`,
    )
    console.log(`  statuses         ${JSON.stringify(result.statuses)}`)
    console.log(
      `  reconnections    ${reconnections} completed, ${relogins} session renewals, ${stats.jobsStarted} jobs`,
    )
    console.log(`  errors           ${errors.length}`)
    for (const e of errors.slice(0, 10)) console.log(`    ${e}`)
  }
  process.exitCode = errors.length === 0 && sent === TOTAL && stats.internalErrors === 0 ? 0 : 1
}

function round(value: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

await main()
