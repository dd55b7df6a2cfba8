import Database from 'better-sqlite3'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqliteStore } from '../../src/stores/index.js'
import { TIME_SCALE, simEnv } from '../support/sim-env.js'
import { seedPlans, startChild, verify, type ChildConfig, type Plan } from './fixtures/children.js'

// Issue 6 and issue 11: a sweep in a child process on sqliteStore is SIGKILLed at random points
// (including right after it journaled the sweep and before its first lifecycle write, and again during
// the resume); a restarted process finishes every member of the sweep: 0 lost, 0 sent twice, 0 stuck.
// A restart under the same owner takes the dead process's leases over at once (its pid is gone): the
// leases here are 10 minutes long, so waiting them out would time the test out.

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

const config = (owner: string, leaseMs: number): ChildConfig => ({
  ...env.config,
  owner,
  leaseMs,
  timeScale: TIME_SCALE,
})
const LONG_LEASE = 600_000

function writePlans(name: string, plans: readonly Plan[]) {
  const path = join(dir, `${name}.json`)
  writeFileSync(path, JSON.stringify(plans))
  return path
}

async function history(db: string, plans: readonly Plan[]) {
  const store = sqliteStore(db)
  try {
    return await Promise.all(plans.map((p) => store.history(p.memberGuid)))
  } finally {
    await store.close()
  }
}

function killPoints(members: number): [number, number] {
  const replay = process.env['MX_CRASH_KILL_AT']?.split(',').map(Number)
  if (replay?.length === 2 && replay.every((n) => Number.isInteger(n) && n > 0))
    return [replay[0]!, replay[1]!]
  return [1 + Math.floor(Math.random() * (members / 2)), 1 + Math.floor(Math.random() * 20)]
}

/** Running members whose lease names an instance of process `pid` (read from the file, not through a store). */
function leasedBy(db: string, pid: number): number {
  const file = new Database(db, { readonly: true, fileMustExist: true })
  try {
    const row = file
      .prepare(
        'SELECT count(*) AS n FROM lifecycles l JOIN instances i ON i.id = l.owner WHERE i.pid = ? AND l.status = ?',
      )
      .get(pid, 'running') as { n: number }
    return row.n
  } finally {
    file.close()
  }
}

/** Resolves once `holds()` is true (read every 100 ms) or `ended` settles, whichever comes first. */
async function until(holds: () => boolean, ended: Promise<unknown>): Promise<void> {
  let over = false
  void ended.finally(() => (over = true))
  while (!over && !holds()) await sleep(100)
}

describe('crash and resume', () => {
  it('killed after journaling, before the first lifecycle write: resumeAll runs the whole sweep', async () => {
    const plans = seedPlans(env.sim, 'journal', 24, 6)
    const plansPath = writePlans('journal', plans)
    const db = join(dir, 'journal.db')
    const first = startChild('sweep-stall', db, plansPath, config('nightly', LONG_LEASE))
    await first.journaled
    first.kill()
    expect(await first.exited).toBeNull()
    const atCrash = sqliteStore(db)
    expect(await atCrash.counts()).toEqual({ running: 0, waiting: 0, done: 0 })
    expect((await atCrash.openSweeps())[0]?.members).toHaveLength(plans.length)
    await atCrash.close()

    const second = startChild('resume', db, plansPath, config('nightly', LONG_LEASE))
    expect(await second.exited, second.stderr()).toBe(0)
    expect(second.done()).toMatchObject({ members: plans.length, quarantined: 0, unfinished: [] })
    expect(await verify(db, plans, env.sim)).toEqual([])
  })

  it('SIGKILL at random points of the sweep and of its resume: every member finishes once', async () => {
    const plans = seedPlans(env.sim, 'crash', 160, 50)
    const plansPath = writePlans('crash', plans)
    const db = join(dir, 'crash.db')
    // Random kill points, printed so a failure can be replayed (MX_CRASH_KILL_AT=48,1 replays 48 and 1).
    const [killAt, killResumeAt] = killPoints(plans.length)
    console.info(`crash test: kill the sweep after ${killAt} outcomes, its resume after ${killResumeAt}`)

    const first = startChild('sweep', db, plansPath, config('nightly', LONG_LEASE))
    await first.outcomesReached(killAt)
    first.kill()
    expect(await first.exited).toBeNull()
    const finishedBeforeCrash = new Set(first.outcomes)
    expect(finishedBeforeCrash.size).toBeLessThan(plans.length)

    // Same owner: the dead process's 10-minute leases are taken over at once (its pid is gone). Another
    // owner (the third process) could only wait them out, so the second is killed once it has taken every
    // one of them over (as it resumes each member: not all before its first outcome), and not before its
    // `killResumeAt`-th outcome.
    const second = startChild('resume', db, plansPath, config('nightly', 1_500))
    await Promise.race([second.outcomesReached(killResumeAt).catch(() => undefined), second.exited])
    await until(() => leasedBy(db, first.pid) === 0, second.exited)
    second.kill()
    await second.exited

    // A different owner with short leases: the second process's leases lapse, then are taken.
    const third = startChild('resume', db, plansPath, config('other', 1_500))
    expect(await third.exited, third.stderr()).toBe(0)
    expect(third.done()?.quarantined).toBe(0)

    expect((await verify(db, plans, env.sim)).join('\n')).toBe('')
    const histories = await history(db, plans)
    for (const entries of histories) {
      expect(entries.filter((h) => h.type === 'started')).toHaveLength(1)
      expect(entries.filter((h) => h.type === 'outcome')).toHaveLength(1)
    }
    // Members finished before the first crash were not run again after it.
    for (const guid of finishedBeforeCrash) {
      expect(second.outcomes).not.toContain(guid)
      expect(third.outcomes).not.toContain(guid)
    }
    const store = sqliteStore(db)
    expect(await store.counts()).toEqual({ running: 0, waiting: 0, done: plans.length })
    expect(await store.openSweeps()).toEqual([])
    await store.close()
  })
})
