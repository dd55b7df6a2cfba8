import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReconnector } from '../../src/reconnector/index.js'
import type { ReconnectorEvent, ReconnectorOptions, SweepProgress } from '../../src/reconnector/index.js'
import { StoreError } from '../../src/stores/errors.js'
import { memoryStore } from '../../src/stores/index.js'
import type { LifecycleStore, SweepJournal } from '../../src/stores/index.js'
import { TIME_SCALE, seedDenied, simEnv } from '../support/sim-env.js'

// Reporting (src/reconnector/reporting.ts: sweeps, the sweep journal, resumeAll), against the survivors of
// its first Stryker run (issue 12). Oracles: reconnector.md (Sweep report, "nothing lost on a crash", Sweep
// journal) and the design's rules (../shared/design/reconnector.md), the `SweepReport`/`SweepProgress`/
// `SweepJournal` TSDoc. Real simulator over HTTP (the `clean` profile: no injected faults, so each client
// call is one request the simulator logs) and the real in-memory store, wrapped only to record or shape a
// call; every wait is on a promise the code under test resolves.

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env

beforeAll(async () => {
  env = await simEnv({ seed: 71, profile: 'clean' })
})
afterAll(async () => {
  await env.close()
})

// A user deadline of an hour (36 real s): a parked member stays parked however slow the machine is.
const policy = { timeScale: TIME_SCALE, userResponseMs: 3_600_000 }
const good = (fields: readonly { guid: string; type: string | null }[]) =>
  fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'good' : 'mxuser' }))
const answerGood: NonNullable<ReconnectorOptions['credentials']> = (p) => Promise.resolve(good(p.fields))
/** Requests the simulator logged for a member (member-keyed Nexus calls). */
const requests = (memberGuid: string) => env.sim.requests().filter((q) => q.memberGuid === memberGuid)
const puts = (memberGuid: string) => requests(memberGuid).filter((q) => q.method === 'PUT').length
const member = (userId: string) => ({ userId, memberGuid: seedDenied(env.sim, userId) })
const byGuid = <T extends { memberGuid: string }>(xs: readonly T[]) =>
  [...xs].sort((a, b) => a.memberGuid.localeCompare(b.memberGuid))

function make(store: LifecycleStore, extra: Partial<ReconnectorOptions> = {}) {
  const events: ReconnectorEvent[] = []
  const r = createReconnector({
    client: env.client,
    store,
    policy,
    credentials: answerGood,
    onEvent: (e) => events.push(e),
    ...extra,
  })
  return { r, events }
}

/** The in-memory store, recording the journal calls and the order of journal and lifecycle writes. */
function recording(inner: LifecycleStore = memoryStore()) {
  const log: string[] = []
  const opened: SweepJournal[] = []
  const closed: string[] = []
  const store: LifecycleStore = {
    ...inner,
    openSweep: async (journal) => {
      log.push('openSweep')
      opened.push(structuredClone(journal))
      return inner.openSweep(journal)
    },
    closeSweep: async (id) => {
      log.push('closeSweep')
      closed.push(id)
      return inner.closeSweep(id)
    },
    create: async (...args) => {
      log.push(`create ${args[0].memberGuid}`)
      return inner.create(...args)
    },
  }
  return { store, inner, log, opened, closed }
}

describe('sweep', () => {
  it('by users: every member of every listed user, each under its user; unknown users are failure rows', async () => {
    const { store, opened } = recording()
    const [a1, a2, b1] = [member('rp-users-a'), member('rp-users-a'), member('rp-users-b')]
    const { r } = make(store)
    const report = await r.sweep({ userIds: ['rp-users-a', 'rp-nobody-1', 'rp-users-b', 'rp-nobody-2'] })
    const expected = byGuid([a1, a2, b1])
    expect(byGuid(report.members).map((m) => [m.memberGuid, m.userId, m.outcome])).toEqual(
      expected.map((m) => [m.memberGuid, m.userId, 'connected']),
    )
    expect(report.counts).toEqual({ connected: 3 })
    // One row per user whose members could not be listed, with the error's data.
    expect(report.failures.map((f) => f.userId).sort()).toEqual(['rp-nobody-1', 'rp-nobody-2'])
    for (const f of report.failures) expect(typeof f.error._tag).toBe('string')
    // The journal names exactly the listed members, each with its user.
    expect(opened).toHaveLength(1)
    expect(byGuid(opened[0]!.members)).toEqual(expected)
    await r.close()
  })

  it('a member named twice is run and reported once; progress counts from 0 to every member settled', async () => {
    const { store, opened } = recording()
    const [a, b, c] = [member('rp-dup-a'), member('rp-dup-b'), member('rp-dup-c')]
    const progress: SweepProgress[] = []
    const { r } = make(store)
    const report = await r.sweep({ members: [a, b, a, c, b] }, { onProgress: (p) => progress.push({ ...p }) })
    expect(byGuid(report.members).map((m) => m.memberGuid)).toEqual(
      byGuid([a, b, c]).map((m) => m.memberGuid),
    )
    expect(report.counts).toEqual({ connected: 3 })
    expect(report.failures).toEqual([])
    expect(progress).toEqual([0, 1, 2, 3].map((settled) => ({ total: 3, settled })))
    expect(byGuid(opened[0]!.members)).toEqual(byGuid([a, b, c]))
    expect(puts(a.memberGuid)).toBe(1)
    await r.close()
  })

  it('journals its members before any lifecycle write, under its lease holder and start time, and closes it', async () => {
    const { store, inner, log, opened, closed } = recording()
    const members = [member('rp-journal-1'), member('rp-journal-2')]
    const { r } = make(store, { owner: 'rp-nightly' })
    const before = Date.now()
    const report = await r.sweep({ members })
    const after = Date.now()
    expect(opened).toHaveLength(1)
    const journal = opened[0]!
    expect(log[0]).toBe('openSweep')
    expect(log.filter((l) => l.startsWith('create'))).toHaveLength(2)
    expect(log.at(-1)).toBe('closeSweep')
    expect(journal.holder).toMatch(/^rp-nightly\/./)
    expect(journal.startedAt).toBeGreaterThanOrEqual(before)
    expect(journal.startedAt).toBeLessThanOrEqual(after)
    expect(journal.members).toEqual(members)
    expect(typeof journal.id).toBe('string')
    expect(journal.id.length).toBeGreaterThan(0)
    expect(closed).toEqual([journal.id])
    expect(await inner.openSweeps()).toEqual([])
    // The report's duration is the sweep's own wall time.
    expect(report.durationMs).toBeGreaterThanOrEqual(0)
    expect(report.durationMs).toBeLessThanOrEqual(after - before)
    // A second sweep is another journal.
    await r.sweep({ members: members.slice(0, 1) })
    expect(opened).toHaveLength(2)
    expect(opened[1]!.id).not.toBe(journal.id)
    expect(opened[1]!.holder).toBe(journal.holder)
    expect(closed).toEqual([journal.id, opened[1]!.id])
    await r.close()
  })

  it('a journal that cannot be written fails the sweep before anything runs', async () => {
    const inner = memoryStore()
    const creates: string[] = []
    const store: LifecycleStore = {
      ...inner,
      openSweep: () => Promise.reject(new Error('disk full')),
      create: (...args) => {
        creates.push(args[0].memberGuid)
        return inner.create(...args)
      },
    }
    const m = member('rp-nojournal')
    const { r } = make(store)
    await expect(r.sweep({ members: [m] })).rejects.toThrow('disk full')
    expect(creates).toEqual([])
    expect(requests(m.memberGuid)).toEqual([])
    await r.close()
  })

  it('counts the Nexus calls of this sweep only: a second sweep of a member reports its own calls', async () => {
    const { store } = recording()
    const m = member('rp-calls')
    const { r } = make(store)
    const first = await r.sweep({ members: [m] })
    const afterFirst = requests(m.memberGuid).length
    expect(first.members[0]).toMatchObject({ outcome: 'connected' })
    expect(first.members[0]!.calls).toBe(afterFirst)
    expect(afterFirst).toBeGreaterThan(0)
    // Finished: a new sweep starts a new run, whose calls are counted from zero.
    const second = await r.sweep({ members: [m] })
    expect(second.members[0]).toMatchObject({ outcome: 'connected' })
    expect(second.members[0]!.calls).toBe(requests(m.memberGuid).length - afterFirst)
    await r.close()
  })
})

describe('the start loop', () => {
  /** A store whose lifecycle writes (`create`) wait for the test; `reached(n)` resolves at the n-th. */
  function held(inner: LifecycleStore = memoryStore()) {
    let open!: () => void
    const gate = new Promise<void>((resolve) => (open = resolve))
    const arrived: string[] = []
    const waits: { n: number; resolve: () => void }[] = []
    const store: LifecycleStore = {
      ...inner,
      create: async (...args) => {
        arrived.push(args[0].memberGuid)
        for (const w of waits) if (arrived.length === w.n) w.resolve()
        await gate
        return inner.create(...args)
      },
    }
    const reached = (n: number) =>
      new Promise<void>((resolve) => (arrived.length >= n ? resolve() : waits.push({ n, resolve })))
    return { store, arrived, open, reached }
  }
  const unknownAtMx = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ userId: `${prefix}-user`, memberGuid: `MBR-${prefix}-${i}` }))

  it('keeps at most 64 members being begun at once, all through the start, however many slots are free', async () => {
    const inner = memoryStore()
    // Every lifecycle write waits until the test fails it (a store error: the member's line, nothing sent).
    const pending: { guid: string; fail: () => void }[] = []
    const waits: { n: number; resolve: () => void }[] = []
    const store: LifecycleStore = {
      ...inner,
      create: (record) =>
        new Promise((_, reject) => {
          const guid = record.memberGuid
          pending.push({
            guid,
            fail: () => reject(new StoreError({ reason: 'io', message: 'disk gone', memberGuid: guid })),
          })
          for (const w of waits) if (pending.length === w.n) w.resolve()
        }),
    }
    const reached = (n: number) =>
      new Promise<void>((resolve) => (pending.length >= n ? resolve() : waits.push({ n, resolve })))
    // Lets every pending callback run (the in-memory store settles on microtasks only).
    const drain = async () => {
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
    }
    const members = unknownAtMx('rp-cap', 140)
    const { r } = make(store, { concurrency: 200 })
    const sweep = r.sweep({ members })
    await reached(64)
    await drain()
    expect(pending).toHaveLength(64)
    // The first 64 end: the next 64 are begun, and no more.
    for (const p of pending.slice(0, 64)) p.fail()
    await reached(128)
    await drain()
    expect(pending).toHaveLength(128)
    for (const p of pending.slice(64)) p.fail()
    await reached(140)
    for (const p of pending.slice(128)) p.fail()
    const report = await sweep
    expect(report.members).toHaveLength(140)
    expect(new Set(report.members.map((m) => `${m.outcome}/${m.reason}`))).toEqual(
      new Set(['unfinished/storeError']),
    )
    expect(new Set(pending.map((p) => p.guid)).size).toBe(140)
    for (const m of members.slice(0, 3)) expect(requests(m.memberGuid)).toEqual([])
    await r.close()
  })

  it('gives the event loop a turn within every 64 members it begins', async () => {
    const inner = memoryStore()
    let arrived = 0
    const store: LifecycleStore = {
      ...inner,
      create: (...args) => {
        arrived += 1
        return inner.create(...args)
      },
    }
    const members = unknownAtMx('rp-yield', 150)
    const { r } = make(store, { concurrency: 200 })
    const sweep = r.sweep({ members })
    // The next turn of the event loop: the sweep's start loop must have let it come by now.
    const atFirstTurn = await new Promise<number>((resolve) => setImmediate(() => resolve(arrived)))
    await r.close()
    await sweep
    expect(atFirstTurn).toBeLessThanOrEqual(64)
  })

  it('a member begun after close is reported closed, not as a store error', async () => {
    const { store, arrived, open, reached } = held()
    const members = [member('rp-after-close-1'), member('rp-after-close-2'), member('rp-after-close-3')]
    // One slot: the second member is begun only once the first has let go of it.
    const { r } = make(store, { concurrency: 1 })
    const sweep = r.sweep({ members })
    await reached(1)
    await r.close()
    open()
    const report = await sweep
    expect(report.members.map((m) => [m.memberGuid, m.outcome, m.reason])).toEqual(
      members.map((m) => [m.memberGuid, 'unfinished', 'closed']),
    )
    expect(arrived).toEqual([members[0]!.memberGuid])
    for (const m of members) expect(requests(m.memberGuid)).toEqual([])
  })
})

describe('resumeAll', () => {
  /** Parks `members` on their users (no provider), then closes that reconnector: unfinished rows. */
  async function parked(store: LifecycleStore, members: readonly { userId: string; memberGuid: string }[]) {
    const quiet = createReconnector({ client: env.client, store, policy })
    for (const m of members) {
      await quiet.start(m)
      expect(await quiet.settled(m.memberGuid)).toMatchObject({ status: 'waiting' })
    }
    await quiet.close()
  }

  it('asks again every member waiting on its user, journaled or not, over every page of unfinished rows', async () => {
    const inner = memoryStore()
    const members = [1, 2, 3, 4, 5].map((i) => member(`rp-resume-${i}`))
    await parked(inner, members)
    // A crashed sweep's journal names the first; the others are unfinished rows of no sweep.
    await inner.openSweep({
      id: 'crashed-1',
      holder: 'gone/1',
      startedAt: Date.now(),
      members: [members[0]!],
    })
    const pages: (string | undefined)[] = []
    const store: LifecycleStore = {
      ...inner,
      // Pages of two: the resume must follow the keyset to the end.
      unfinishedGuids: (options) => {
        pages.push(options?.after)
        return inner.unfinishedGuids({ ...options, limit: 2 })
      },
    }
    const progress: SweepProgress[] = []
    const { r } = make(store)
    const report = await r.resumeAll({ onProgress: (p) => progress.push({ ...p }) })
    expect(byGuid(report.members).map((m) => [m.memberGuid, m.userId, m.outcome])).toEqual(
      byGuid(members).map((m) => [m.memberGuid, m.userId, 'connected']),
    )
    expect(report.counts).toEqual({ connected: 5 })
    expect(report.failures).toEqual([])
    expect(report.quarantined).toEqual([])
    expect(progress).toEqual([0, 1, 2, 3, 4, 5].map((settled) => ({ total: 5, settled })))
    const sorted = members.map((m) => m.memberGuid).sort()
    expect(pages).toEqual([undefined, sorted[1], sorted[3], sorted[4]])
    for (const m of members) expect(puts(m.memberGuid)).toBe(1)
    expect(await inner.openSweeps()).toEqual([])
    expect(report.durationMs).toBeGreaterThanOrEqual(0)
    await r.close()
  })

  it('a member finished after the earliest open journal naming it began is reported, not run again', async () => {
    const inner = memoryStore()
    const m = member('rp-since')
    const { r: first } = make(inner)
    expect((await first.sweep({ members: [m] })).members[0]).toMatchObject({ outcome: 'connected' })
    await first.close()
    const finishedAt = (await inner.get(m.memberGuid))!.updatedAt
    const calls = requests(m.memberGuid).length
    // Three journals left open; only the second began before the member finished.
    for (const [id, startedAt] of [
      ['late-1', finishedAt + 1_000],
      ['early', finishedAt - 1_000],
      ['late-2', finishedAt + 2_000],
    ] as const)
      await inner.openSweep({ id, holder: 'gone/1', startedAt, members: [m] })
    const { r } = make(inner)
    const report = await r.resumeAll()
    expect(report.members.map((x) => [x.memberGuid, x.outcome])).toEqual([[m.memberGuid, 'connected']])
    expect(requests(m.memberGuid)).toHaveLength(calls)
    expect(await inner.openSweeps()).toEqual([])
    await r.close()
  })

  it('an open journal naming a member under the wrong user: reported notFound, the member left as it is', async () => {
    const inner = memoryStore()
    const m = member('rp-wrong-user')
    const { r: first } = make(inner)
    expect((await first.sweep({ members: [m] })).members[0]).toMatchObject({ outcome: 'connected' })
    await first.close()
    const stored = await inner.get(m.memberGuid)
    const calls = requests(m.memberGuid).length
    const wrong = { userId: 'rp-someone-else', memberGuid: m.memberGuid }
    await inner.openSweep({ id: 'wrong', holder: 'gone/1', startedAt: Date.now(), members: [wrong] })
    const { r } = make(inner)
    const report = await r.resumeAll()
    expect(report.members.map((x) => [x.memberGuid, x.outcome, x.reason])).toEqual([
      [m.memberGuid, 'unfinished', 'notFound'],
    ])
    expect(await inner.get(m.memberGuid)).toEqual(stored)
    expect(requests(m.memberGuid)).toHaveLength(calls)
    await r.close()
  })

  it('a member that finished before its open journal began is run again', async () => {
    const inner = memoryStore()
    const m = member('rp-before')
    const { r: first } = make(inner)
    expect((await first.sweep({ members: [m] })).members[0]).toMatchObject({ outcome: 'connected' })
    await first.close()
    const finishedAt = (await inner.get(m.memberGuid))!.updatedAt
    const calls = requests(m.memberGuid).length
    await inner.openSweep({ id: 'after', holder: 'gone/1', startedAt: finishedAt + 1_000, members: [m] })
    const { r } = make(inner)
    const report = await r.resumeAll()
    expect(report.members.map((x) => [x.memberGuid, x.outcome])).toEqual([[m.memberGuid, 'connected']])
    // Run again: the new run read the member from MX again.
    expect(requests(m.memberGuid).length).toBeGreaterThan(calls)
    await r.close()
  })
})
