import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedPlans, SCENARIOS } from '../reconnector/fixtures/children.js'
import { PG_START_TIMEOUT_MS, useTestDatabase } from '../support/postgres.js'
import { simEnv } from '../support/sim-env.js'
import {
  FLEET_POLICY,
  overlaps,
  readTraces,
  startHost,
  startWorkerProcess,
  verifyFleet,
  type Host,
  type WorkerProcess,
} from './support/fleet.js'

// Issue 16, "Done when": three `mx-reconnect worker` processes share 1,000 members across every scenario
// on one PostgreSQL through pg-boss; the test process is the host that starts them and answers their
// prompts (under the member's lease, never through the database). One worker is SIGKILLed mid-run. Every
// member ends with its expected outcome; no two processes were ever in flight on one member at once (their
// call traces); every request names its process in User-Agent; no credential update or MFA resume was sent
// more often than the submissions it answers. The others stop cleanly on SIGTERM.

const MEMBERS = 1_000
// Longer than any Nexus call on a loaded machine takes (the gate renews a lease past half its life before a
// call): a lease that lapses while its holder's call is in flight would let a second process in.
const LEASE_MS = 20_000
const db = useTestDatabase('fleet')
type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
let dir: string

beforeAll(async () => {
  env = await simEnv({ seed: 16, logLimit: 200_000 })
  dir = mkdtempSync(join(tmpdir(), 'mx-fleet-'))
}, PG_START_TIMEOUT_MS)
afterAll(async () => {
  await env.close()
  if (process.env.FLEET_DEBUG) cpSync(dir, `${process.env.FLEET_DEBUG}.traces`, { recursive: true })
  rmSync(dir, { recursive: true, force: true })
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('three workers on PostgreSQL', () => {
  it(`run ${MEMBERS} members across every scenario; one is SIGKILLed mid-run; nothing lost, nothing twice`, async () => {
    const plans = seedPlans(env.sim, 'fleet', MEMBERS, 100)
    expect(new Set(plans.map((p) => p.password)).size).toBe(SCENARIOS.length)
    const trace = (name: string) => join(dir, `${name}.trace.jsonl`)
    const names = ['w1', 'w2', 'w3']
    const workerArgs = (name: string) => [
      '--concurrency',
      '16',
      '--lease-ms',
      String(LEASE_MS),
      '--time-scale',
      '0.01',
      // Polls stay in memory; waits on the user (and the hand-overs around them) are jobs.
      '--evict-after-ms',
      '1000',
      '--grace-ms',
      '2000',
      '--trace',
      trace(name),
    ]
    let host: Host | undefined
    const workers: WorkerProcess[] = []
    try {
      host = await startHost(db(), env.config, plans, trace('host'), LEASE_MS)
      workers.push(...names.map((name) => startWorkerProcess(name, db(), env.config, workerArgs(name))))
      await Promise.all(workers.map((w) => w.ready))
      // Started 16 at a time, as a host's requests would arrive.
      for (let i = 0; i < plans.length; i += 16)
        await Promise.all(
          plans
            .slice(i, i + 16)
            .map((p) =>
              host!.reconnector.start({ userId: p.userId, memberGuid: p.memberGuid, policy: FLEET_POLICY }),
            ),
        )

      // Answer prompts until every member is done; SIGKILL w1 once a quarter of them are.
      let killedAt: number | undefined
      const victim = workers[0]!
      for (;;) {
        await host.answer()
        const counts = await host.store.counts()
        const debug = process.env.FLEET_DEBUG
        if (debug) appendFileSync(debug, `${new Date().toISOString()} ${JSON.stringify(counts)}\n`)
        if (killedAt === undefined && counts.done >= MEMBERS / 4 && victim.outcomes.length > 0) {
          victim.kill('SIGKILL')
          killedAt = Date.now()
        }
        if (counts.done === MEMBERS) break
        // The test's bound is its timeout: this loop only paces the host's look at the store.
        await sleep(100)
      }
      expect(await victim.exited).toBeNull()
      expect(killedAt).toBeDefined()

      // Nothing lost, nothing sent twice, every request named by its process.
      expect(
        await verifyFleet(host.store, plans, env.sim, ['(host)', ...names.map((n) => `(worker ${n})`)]),
      ).toEqual([])
      // Each process did work; the survivors finished what the killed one left.
      const agents = new Set(env.sim.requests().map((q) => q.headers?.['user-agent']))
      for (const name of names) expect(agents).toContain(`mx-reconnect/0.1 (worker ${name})`)
      // No two processes in flight on one member at once (a call open when w1 died ends at its death).
      const traces = readTraces(['host', ...names].map(trace), { w1: killedAt! })
      expect(traces.size).toBe(MEMBERS)
      expect(overlaps(traces)).toEqual([])

      // The survivors stop cleanly on SIGTERM.
      for (const w of workers.slice(1)) w.kill('SIGTERM')
      for (const w of workers.slice(1)) {
        expect(await w.exited, w.stderr()).toBe(0)
        expect(w.stderr()).toContain('stopped')
      }
      expect(await host.store.counts()).toEqual({ running: 0, waiting: 0, done: MEMBERS })
    } finally {
      for (const w of workers) w.kill('SIGKILL')
      await host?.close()
    }
  }, 600_000)
})
