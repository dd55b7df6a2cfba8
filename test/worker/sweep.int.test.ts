import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliContext } from '../../src/cli/args.js'
import { main } from '../../src/cli/main.js'
import type { KnownStatus } from '../../src/domain/index.js'
import type { SweepReport } from '../../src/reconnector/index.js'
import { postgresStore } from '../../src/stores/postgres.js'
import { PG_START_TIMEOUT_MS, useTestDatabase, withClient } from '../support/postgres.js'
import { simEnv } from '../support/sim-env.js'
import { capture } from '../cli/demo-capture.js'
import { startWorkerProcess, type WorkerProcess } from './support/fleet.js'

// `mx-reconnect sweep --store postgres:URL` hands its members to the workers (decision 0012): the sweep
// process (here, in the test process through the CLI's `main`) lists the users' members, stores them and
// queues them in pg-boss; two `mx-reconnect worker` processes run the lifecycles; the sweep reports as they
// settle. Without a worker it says so and keeps waiting; a stop leaves the members queued, and a worker
// started later finishes them.

const db = useTestDatabase('sweep_workers')
type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
let dir: string
let mxEnv: Record<string, string>

/** Unattended sweep outcomes at the real lifecycle policy (no job polling needed: test/cli/sweep.int). */
const SEEDS: readonly { status: KnownStatus; outcome: string; institution?: string }[] = [
  { status: 'CONNECTED', outcome: 'connected' },
  { status: 'DENIED', outcome: 'awaitingUser' },
  { status: 'CHALLENGED', outcome: 'awaitingUser' },
  { status: 'LOCKED', outcome: 'needsUserAtInstitution' },
  { status: 'DEGRADED', outcome: 'retryLater' },
  { status: 'CLOSED', outcome: 'unrecoverable' },
  { status: 'PENDING', outcome: 'needsOAuth', institution: 'mx_bank_oauth' },
]

/** Seeds `perSeed` members of every seed over `users` users; returns guid → expected outcome. */
function seed(users: readonly string[], perSeed: number): Map<string, string> {
  const expected = new Map<string, string>()
  let i = 0
  for (let round = 0; round < perSeed; round++)
    for (const s of SEEDS) {
      const guid = env.sim.createMember({
        userId: users[i++ % users.length]!,
        status: s.status,
        password: 'challenge',
        ...(s.institution === undefined ? {} : { institutionCode: s.institution }),
      })
      expected.set(guid, s.outcome)
    }
  return expected
}

function usersFile(name: string, users: readonly string[]): string {
  const path = join(dir, name)
  writeFileSync(path, JSON.stringify(users))
  return path
}

const workerArgs = ['--concurrency', '4', '--evict-after-ms', '100', '--grace-ms', '1000']

beforeAll(async () => {
  env = await simEnv({ seed: 12 })
  dir = mkdtempSync(join(tmpdir(), 'mx-sweep-workers-'))
  mxEnv = {
    MX_NEXUS_URL: env.config.nexusUrl,
    MX_SSO_URL: env.config.ssoUrl,
    MX_CLIENT_ID: env.config.clientId,
    MX_API_KEY: env.config.apiKey,
  }
}, PG_START_TIMEOUT_MS)
afterAll(async () => {
  await env?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function stopAll(workers: readonly WorkerProcess[]) {
  for (const w of workers) w.kill('SIGTERM')
  for (const w of workers) expect(await w.exited, w.stderr()).toBe(0)
}

describe('sweep --store postgres:URL with workers', () => {
  it('queues every member for two worker processes and reports each outcome as they settle', async () => {
    const users = ['sw-a', 'sw-b', 'sw-c', 'sw-d', 'sw-e']
    const expected = seed(users, 12)
    const workers = ['sw1', 'sw2'].map((name) => startWorkerProcess(name, db(), env.config, workerArgs))
    try {
      await Promise.all(workers.map((w) => w.ready))
      const c = capture(mxEnv)
      const code = await main(
        ['sweep', '--users', usersFile('users.json', users), '--store', `postgres:${db()}`, '--json'],
        c.ctx,
      )
      expect(code, c.all()).toBe(0)
      const report = JSON.parse(c.out[0] ?? '') as SweepReport
      expect(Object.fromEntries(report.members.map((m) => [m.memberGuid, m.outcome]))).toEqual(
        Object.fromEntries(expected),
      )
      expect(report.failures).toEqual([])
      expect(c.err.join('\n')).toContain('members go to the workers')
      expect(c.err.join('\n')).toContain(`sweep ${expected.size}/${expected.size}`)

      // The workers ran every lifecycle: no member request came from the sweep process, both took work.
      const memberRequests = env.sim.requests().filter((q) => q.api === 'nexus' && q.memberGuid)
      const agents = new Set(memberRequests.map((q) => q.headers?.['user-agent']))
      expect([...agents].sort()).toEqual(workers.map((w) => `mx-reconnect/0.1 (worker ${w.name})`).sort())
      for (const w of workers) expect(w.outcomes.length, w.name).toBeGreaterThan(0)

      const store = postgresStore(db())
      try {
        const waiting = [...expected.values()].filter((o) => o === 'awaitingUser').length
        expect(await store.counts()).toEqual({
          running: 0,
          waiting,
          done: expected.size - waiting,
        })
        expect(await store.openSweeps()).toEqual([])
      } finally {
        await store.close()
      }
    } finally {
      await stopAll(workers)
    }
  }, 300_000)

  it('--run-here is for postgres: only (other stores always run here)', async () => {
    const c = capture(mxEnv)
    const file = usersFile('flags.json', ['sw-flags'])
    const code = await main(['sweep', '--users', file, '--store', 'memory:', '--run-here'], c.ctx)
    expect(code).toBe(2)
    expect(c.err.join('\n')).toContain('--run-here needs --store postgres:URL')
  })

  it('with no worker it says so and keeps waiting; stopped, the members stay queued; a worker finishes them', async () => {
    const users = ['sw-lone-a', 'sw-lone-b']
    const expected = seed(users, 2)
    let stop: (signal: string) => void = () => undefined
    const stopped = new Promise<string>((resolve) => (stop = resolve))
    const c = capture(mxEnv)
    const ctx: CliContext = { ...c.ctx, waitForStop: () => stopped }
    const file = usersFile('lone.json', users)
    const running = main(['sweep', '--users', file, '--store', `postgres:${db()}`], ctx)
    // Waits on the hint itself (it comes once a due job has waited 15 s untaken).
    for (let i = 0; !c.err.some((line) => line.includes('for a worker')); i++) {
      if (i > 1_200) throw new Error(`no hint: ${c.all()}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(c.err.join('\n')).toMatch(
      /member\(s\) have waited over 15 s for a worker: is `mx-reconnect worker/,
    )
    stop('SIGINT')
    expect(await running, c.all()).toBe(130)
    expect(c.err.join('\n')).toContain('the workers go on with the queued members')

    // Every member is stored and has its wake-up job queued: nothing ran.
    const queued = await withClient(db(), async (client) => {
      const { rows } = await client.query<{ k: string }>(
        `SELECT singleton_key AS k FROM pgboss.job WHERE name = 'mx-reconnect-wake' AND state = 'created'`,
      )
      return new Set(rows.map((r) => r.k))
    })
    for (const guid of expected.keys()) expect(queued.has(guid), guid).toBe(true)

    // A worker started now finishes them; --resume reports every member of the interrupted sweep.
    const worker = startWorkerProcess('sw-late', db(), env.config, workerArgs)
    try {
      await worker.ready
      const again = capture(mxEnv)
      const code = await main(['sweep', '--resume', '--store', `postgres:${db()}`, '--json'], again.ctx)
      expect(code, again.all()).toBe(0)
      const report = JSON.parse(again.out[0] ?? '') as SweepReport
      const outcomes = new Map(report.members.map((m) => [m.memberGuid, m.outcome]))
      for (const [guid, outcome] of expected) expect(outcomes.get(guid), guid).toBe(outcome)
    } finally {
      await stopAll([worker])
    }
  }, 300_000)
})
