import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqliteStore } from '../../src/stores/index.js'
import { TIME_SCALE, simEnv } from '../support/sim-env.js'
import { seedPlans, startChild, verify } from './fixtures/children.js'

// Issue 11, "Done when": four processes (two with the same owner name, two with different names) sweep
// the same 200 members on one SQLite file against one simulator. Every member ends with its expected
// outcome, no credential update or MFA resume reaches the simulator more often than the stored
// submissions it answers, and every sweep resolves (each process prints its report and exits 0).

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
let dir: string

beforeAll(async () => {
  env = await simEnv({ seed: 31 })
  dir = mkdtempSync(join(tmpdir(), 'mx-multi-'))
})
afterAll(async () => {
  await env.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('several processes on one store', () => {
  it('four processes sweep the same 200 members: each ends once, nothing sent twice, all resolve', async () => {
    const plans = seedPlans(env.sim, 'multi', 200, 40)
    const plansPath = join(dir, 'plans.json')
    writeFileSync(plansPath, JSON.stringify(plans))
    const db = join(dir, 'multi.db')
    // Create the file (and its schema) once, so four processes do not race on the first migration.
    await sqliteStore(db).close()
    const config = (owner: string) => ({ ...env.config, owner, leaseMs: 2_000, timeScale: TIME_SCALE })
    const children = ['same', 'same', 'alpha', 'beta'].map((owner) =>
      startChild('sweep', db, plansPath, config(owner)),
    )
    const codes = await Promise.all(children.map((c) => c.exited))
    expect(codes, children.map((c) => c.stderr()).join('\n')).toEqual([0, 0, 0, 0])
    for (const child of children) {
      const done = child.done()
      expect(done?.members).toBe(plans.length)
      expect(done?.quarantined).toBe(0)
      expect(Object.values(done?.done ?? {}).reduce((a, b) => a + b, 0)).toBe(plans.length)
    }
    expect(await verify(db, plans, env.sim)).toEqual([])
    const store = sqliteStore(db)
    expect(await store.counts()).toEqual({ running: 0, waiting: 0, done: plans.length })
    expect(await store.openSweeps()).toEqual([])
    await store.close()
  })
})
