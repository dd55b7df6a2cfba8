// Worker processes (the real CLI, `mx-reconnect worker`) and a host in the test process that starts members
// and answers their prompts like the partner's application does: under the member's lease, in this process,
// so no secret is ever written to PostgreSQL (docs/decisions, pg-boss engine).
import { spawn } from 'node:child_process'
import { readFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createNexusClient } from '../../../src/client/index.js'
import { createReconnector } from '../../../src/reconnector/index.js'
import type { Reconnector } from '../../../src/reconnector/index.js'
import { viewOfRecord } from '../../../src/reconnector/record.js'
import type { PolicyInput } from '../../../machines/member-lifecycle/index.js'
import { postgresStore } from '../../../src/stores/postgres.js'
import type { LifecycleStore } from '../../../src/stores/types.js'
import { createBoss, pgBossEngine } from '../../../src/worker/index.js'
import { traceClient, type TraceLine } from '../../../src/worker/trace.js'
import type { Simulator } from '../../../src/simulator/index.js'
import type { Plan } from '../../reconnector/fixtures/children.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..')
const cli = join(root, 'src/cli/main.ts')

/** The MX settings a worker reads from its environment. */
export interface MxEnv {
  readonly nexusUrl: string
  readonly ssoUrl: string
  readonly clientId: string
  readonly apiKey: string
}

/** A worker process, its output as events. */
export interface WorkerProcess {
  readonly name: string
  readonly outcomes: string[]
  /** Resolves once the worker said it takes work; rejects if it exits first. */
  readonly ready: Promise<void>
  readonly exited: Promise<number | null>
  stderr(): string
  kill(signal: NodeJS.Signals): void
}

/** Starts `mx-reconnect worker` on `url`. */
export function startWorkerProcess(
  name: string,
  url: string,
  mx: MxEnv,
  extra: readonly string[] = [],
): WorkerProcess {
  const args = [
    '--import',
    'tsx',
    cli,
    'worker',
    '--store',
    `postgres:${url}`,
    '--name',
    name,
    '--json',
    ...extra,
  ]
  const proc = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      MX_NEXUS_URL: mx.nexusUrl,
      MX_SSO_URL: mx.ssoUrl,
      MX_CLIENT_ID: mx.clientId,
      MX_API_KEY: mx.apiKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  const outcomes: string[] = []
  let markReady: () => void = () => undefined
  let failReady: (error: Error) => void = () => undefined
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve
    failReady = reject
  })
  proc.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    if (stderr.includes('taking work from')) markReady()
  })
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const parsed = JSON.parse(line) as { memberGuid?: string }
    if (parsed.memberGuid) outcomes.push(parsed.memberGuid)
  })
  const exited = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      failReady(new Error(`worker ${name} exited with ${code}: ${stderr}`))
      resolve(code)
    }),
  )
  return { name, outcomes, ready, exited, stderr: () => stderr, kill: (signal) => void proc.kill(signal) }
}

/** The host: a reconnector on the pg-boss engine that runs nothing itself but the prompts it answers. */
export interface Host {
  readonly reconnector: Reconnector
  readonly store: LifecycleStore
  /** Answers every prompt stored now (credentials by plan, MFA `correct`); returns how many it gave. */
  answer(): Promise<number>
  close(): Promise<void>
}

/** Starts the host on `url`; its Nexus calls are traced to `tracePath` as worker `host`. */
export async function startHost(
  url: string,
  mx: MxEnv,
  plans: readonly Plan[],
  tracePath: string,
  leaseMs: number,
): Promise<Host> {
  const store = postgresStore(url)
  const boss = createBoss(url)
  boss.on('error', () => undefined)
  const engine = pgBossEngine({ boss })
  const plain = createNexusClient({ ...mx, userAgent: 'mx-reconnect/0.1 (host)' })
  const client = traceClient(plain, 'host', tracePath)
  const reconnector = createReconnector({
    client,
    store,
    scheduler: engine.scheduler,
    owner: 'host',
    leaseMs,
    // Hand a member back to the workers at its first wait: the host only sends what the user gave.
    evictAfterMs: 0,
  })
  await boss.start()
  await engine.start()
  const password = new Map(plans.map((p) => [p.memberGuid, p.password]))
  const answered = new Set<string>()
  return {
    reconnector,
    store,
    async answer() {
      let given = 0
      const pending: Promise<void>[] = []
      for (let after: string | undefined; ;) {
        const page = await store.unfinished({ limit: 500, ...(after ? { after } : {}) })
        if (page.length === 0) break
        after = page[page.length - 1]!.memberGuid
        for (const record of page) {
          const prompt = record.status === 'waiting' ? viewOfRecord(record).prompt : undefined
          const key = `${record.memberGuid}:${record.version}`
          if (!prompt || answered.has(key)) continue
          answered.add(key)
          // A few at a time, as users answer: each holds the member's lease and a store connection.
          if (pending.length >= 32) await Promise.all(pending.splice(0))
          const ref = { userId: record.userId, memberGuid: record.memberGuid }
          const submit =
            prompt.type === 'credentials.required'
              ? reconnector.submitCredentials(
                  ref,
                  prompt.fields.map((f) => ({
                    guid: f.guid,
                    value: f.type === 'PASSWORD' ? password.get(record.memberGuid)! : 'mxuser',
                  })),
                )
              : reconnector.submitMfa(
                  ref,
                  prompt.challenges.map((c) => ({ guid: c.guid, value: 'correct' })),
                )
          pending.push(
            submit.then(
              (result) => {
                if (result.accepted) given += 1
                else answered.delete(key) // nothing was sent: look again next round
              },
              () => void answered.delete(key),
            ),
          )
        }
      }
      await Promise.all(pending)
      return given
    },
    async close() {
      await reconnector.close()
      await engine.flush()
      await boss.stop({ graceful: false, wait: true })
      await plain.close()
      await store.close()
    },
  }
}

/** Every traced call: [start, end] per member and worker; a call still open ends at `openUntil[worker]`. */
export function readTraces(
  paths: readonly string[],
  openUntil: Readonly<Record<string, number>>,
): Map<string, Array<{ worker: string; start: number; end: number }>> {
  const byMember = new Map<string, Array<{ worker: string; start: number; end: number }>>()
  for (const path of paths) {
    if (!existsSync(path)) continue
    const open = new Map<number, TraceLine>()
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean)
    const close = (line: TraceLine, end: number) => {
      const list = byMember.get(line.memberGuid) ?? []
      list.push({ worker: line.worker, start: line.start!, end })
      byMember.set(line.memberGuid, list)
    }
    for (const text of lines) {
      const line = JSON.parse(text) as TraceLine
      if (line.start !== undefined) open.set(line.id, line)
      else {
        close(open.get(line.id)!, line.end!)
        open.delete(line.id)
      }
    }
    for (const line of open.values()) close(line, openUntil[line.worker] ?? Number.POSITIVE_INFINITY)
  }
  return byMember
}

/** Members on which two different processes had a Nexus call in flight at the same time. */
export function overlaps(
  traces: Map<string, Array<{ worker: string; start: number; end: number }>>,
): string[] {
  const problems: string[] = []
  for (const [memberGuid, calls] of traces) {
    for (const a of calls)
      for (const b of calls)
        if (a.worker < b.worker && a.start < b.end && b.start < a.end)
          problems.push(
            `${memberGuid}: ${a.worker} [${a.start}, ${a.end}] and ${b.worker} [${b.start}, ${b.end}]`,
          )
  }
  return problems
}

/**
 * The end state and the simulator's log: every planned member done with its expected outcome; every
 * Nexus request names one of `agents` in its User-Agent; no credential update or MFA resume sent more
 * often than the stored submissions it answers. Returns the mismatches ([] when all hold).
 */
export async function verifyFleet(
  store: LifecycleStore,
  plans: readonly Plan[],
  sim: Simulator,
  agents: readonly string[],
): Promise<string[]> {
  const problems: string[] = []
  const log = sim.requests().filter((q) => q.api === 'nexus')
  for (const q of log) {
    const agent = q.headers?.['user-agent'] ?? ''
    if (!agents.some((a) => agent.includes(a)))
      problems.push(`request ${q.seq} from unknown agent "${agent}"`)
  }
  for (const plan of plans) {
    const record = await store.get(plan.memberGuid)
    const outcome = (record?.outcome as { outcome?: string } | null)?.outcome
    if (record?.status !== 'done' || outcome !== plan.expected)
      problems.push(`${plan.memberGuid} (${plan.password}): ${record?.status ?? 'missing'} ${outcome ?? ''}`)
    const history = await store.history(plan.memberGuid)
    const submitted = (kind: string) =>
      history.filter((h) => h.type === 'submitted' && (h.data as { kind: string }).kind === kind).length
    const mine = log.filter((q) => q.memberGuid === plan.memberGuid && q.method === 'PUT')
    const updates = mine.filter((q) => q.path === `/members/${plan.memberGuid}`).length
    const resumes = mine.filter((q) => q.path.endsWith('/resume')).length
    if (updates > submitted('credentials.submit'))
      problems.push(
        `${plan.memberGuid}: ${updates} updates for ${submitted('credentials.submit')} submissions`,
      )
    if (resumes > submitted('mfa.submit'))
      problems.push(`${plan.memberGuid}: ${resumes} resumes for ${submitted('mfa.submit')} submissions`)
    if (updates < 1) problems.push(`${plan.memberGuid}: never updated`)
    if (history.filter((h) => h.type === 'outcome').length < 1)
      problems.push(`${plan.memberGuid}: no outcome in its history`)
  }
  return problems
}

/** The policy every member of the fleet test runs with: scaled, and a user who may take an hour. */
// Polls of 1 s (scaled): the host hands a member back at its first poll, as it does at real time scale
// (a scaled 30 ms poll is already due when a loaded host stores it, so the host would run it on).
export const FLEET_POLICY: PolicyInput = {
  timeScale: 0.01,
  pollFloorMs: 100_000,
  pollCapMs: 100_000,
  userResponseMs: 100 * 3_600_000,
}
