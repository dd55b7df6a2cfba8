import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqliteStore } from '../../src/stores/index.js'
import { TIME_SCALE, seedDenied, simEnv } from '../support/sim-env.js'

// Issue 6, crash test: a sweep of ≥ 300 members in a child process on sqliteStore is SIGKILLed mid-run;
// a new process with resumeAll must bring every member to its expected outcome, lose none, run none
// twice at once, and send no update or resume twice for one submission (checked on the request log).

const child = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'crash-sweep.ts')
const SCENARIOS = [
  ['good-password', 'connected'],
  ['challenge', 'connected'],
  ['multi', 'connected'],
  ['UNAUTHORIZED', 'needsCredentials'],
  ['LOCKED', 'needsUserAtInstitution'],
  ['DELAYED', 'connected'],
  ['options', 'connected'],
  ['token', 'connected'],
] as const
const MEMBERS = 320

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
let dir: string

beforeAll(async () => {
  env = await simEnv({ seed: 11 })
  dir = mkdtempSync(join(tmpdir(), 'mx-crash-'))
})
afterAll(async () => {
  await env.close()
  rmSync(dir, { recursive: true, force: true })
})

function run(mode: 'sweep' | 'resume', db: string, plans: string, owner: string) {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, mode, db, plans], {
    env: {
      ...process.env,
      CRASH_CONFIG: JSON.stringify({ ...env.config, owner, leaseMs: 1_500, timeScale: TIME_SCALE }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const outcomes: string[] = []
  let stderr = ''
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const lines = createInterface({ input: proc.stdout })
  lines.on('line', (line) => {
    const parsed = JSON.parse(line) as { outcome?: string }
    if (parsed.outcome) outcomes.push(parsed.outcome)
  })
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  return { proc, outcomes, exited, stderr: () => stderr }
}

async function until(check: () => boolean, proc: ChildProcess, timeoutMs: number) {
  const start = Date.now()
  while (!check()) {
    if (proc.exitCode !== null) throw new Error(`child exited early with ${proc.exitCode}`)
    if (Date.now() - start > timeoutMs) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('crash and resume', () => {
  it('SIGKILL mid-sweep, then resumeAll: every member reaches its outcome, nothing sent twice', async () => {
    const plans = Array.from({ length: MEMBERS }, (_, i) => {
      const userId = `crash-user-${i % 100}`
      const [password, expected] = SCENARIOS[i % SCENARIOS.length]!
      return { userId, memberGuid: seedDenied(env.sim, userId), password, expected }
    })
    const plansPath = join(dir, 'plans.json')
    writeFileSync(plansPath, JSON.stringify(plans))
    const db = join(dir, 'crash.db')

    const first = run('sweep', db, plansPath, 'process-1')
    await until(() => first.outcomes.length >= MEMBERS / 4, first.proc, 60_000)
    first.proc.kill('SIGKILL')
    expect(await first.exited).toBeNull()
    const finishedBeforeCrash = new Set(first.outcomes)
    expect(finishedBeforeCrash.size).toBeLessThan(MEMBERS)
    const atCrash = sqliteStore(db)
    const crashCounts = await atCrash.counts()
    await atCrash.close()
    // Lifecycles were in flight when the process died (and every stored outcome was acknowledged).
    expect(crashCounts.running + crashCounts.waiting).toBeGreaterThan(0)
    expect(crashCounts.done).toBeGreaterThanOrEqual(finishedBeforeCrash.size)

    // A new process, a new owner: the dead process's leases must lapse before anyone takes its members.
    const second = run('resume', db, plansPath, 'process-2')
    const code = await second.exited
    expect(code, second.stderr()).toBe(0)

    const store = sqliteStore(db)
    try {
      const counts = await store.counts()
      expect(counts).toEqual({ running: 0, waiting: 0, done: MEMBERS })
      const log = env.sim.requests()
      for (const plan of plans) {
        const record = await store.get(plan.memberGuid)
        expect({
          guid: plan.memberGuid,
          outcome: (record?.outcome as { outcome?: string } | null)?.outcome,
        }).toEqual({
          guid: plan.memberGuid,
          outcome: plan.expected,
        })
        const history = await store.history(plan.memberGuid)
        expect(history.filter((h) => h.type === 'started')).toHaveLength(1)
        expect(history.filter((h) => h.type === 'outcome')).toHaveLength(1)
        const submitted = (kind: string) =>
          history.filter((h) => h.type === 'submitted' && (h.data as { kind: string }).kind === kind).length
        const mine = log.filter((q) => q.memberGuid === plan.memberGuid && q.method === 'PUT')
        const updates = mine.filter((q) => q.path === `/members/${plan.memberGuid}`).length
        const resumes = mine.filter((q) => q.path.endsWith('/resume')).length
        // Every update or resume answers its own stored submission: none was sent twice.
        expect(updates).toBeLessThanOrEqual(submitted('credentials.required'))
        expect(resumes).toBeLessThanOrEqual(submitted('mfa.required'))
        expect(updates).toBeGreaterThanOrEqual(1)
      }
      // The members that finished before the crash were not run again after it.
      for (const guid of finishedBeforeCrash) expect(second.outcomes).not.toContain(guid)
      expect(new Set([...first.outcomes, ...second.outcomes]).size).toBe(MEMBERS)
    } finally {
      await store.close()
    }
  })
})
