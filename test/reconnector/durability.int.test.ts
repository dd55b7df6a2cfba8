import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/bridge/clock.js'
import { createReconnector } from '../../src/reconnector/index.js'
import type { ReconnectorEvent, ReconnectorOptions } from '../../src/reconnector/index.js'
import { sqliteStore } from '../../src/stores/index.js'
import type { LifecycleStore } from '../../src/stores/index.js'
import { TIME_SCALE, seedDenied, simEnv } from '../support/sim-env.js'

// Issue 11 items 2–8 and the reconnector failure tests of issue 12: every wait ends, ownership names a
// process instance, sweeps journal their intent, bad rows are quarantined, arguments are typed. Real
// simulator over HTTP, real SQLite files; no sleeps: tests wait on promises, events or a shifted clock.

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
let dir: string
let files = 0

beforeAll(async () => {
  env = await simEnv({ seed: 23 })
  dir = mkdtempSync(join(tmpdir(), 'mx-durability-'))
})
afterAll(async () => {
  await env.close()
  rmSync(dir, { recursive: true, force: true })
})

const policy = { timeScale: TIME_SCALE }
const good = (memberGuid: string, fields: readonly { guid: string; type: string | null }[]) =>
  Promise.resolve(fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'good' : 'mxuser' })))
const answerGood: ReconnectorOptions['credentials'] = (p) => good(p.memberGuid, p.fields)

/** A fresh SQLite file path. */
const dbPath = () => join(dir, `d-${++files}.db`)

/** A reconnector on `store` with the good-password provider, recording its events. */
function make(store: LifecycleStore, extra: Partial<ReconnectorOptions> & { quiet?: boolean } = {}) {
  const events: ReconnectorEvent[] = []
  const { quiet, ...rest } = extra
  const r = createReconnector({
    client: env.client,
    store,
    policy,
    ...(quiet ? {} : { credentials: answerGood }),
    onEvent: (e) => events.push(e),
    ...rest,
  } as ReconnectorOptions)
  return { r, events }
}

/** PUTs the simulator received for a member: credential updates and MFA resumes. */
const puts = (memberGuid: string) =>
  env.sim.requests().filter((q) => q.memberGuid === memberGuid && q.method === 'PUT').length

/** `submitted` history entries for a member (each may send at most one PUT). */
async function submissions(store: LifecycleStore, memberGuid: string) {
  return (await store.history(memberGuid)).filter((h) => h.type === 'submitted').length
}

/** Members seeded DENIED with password `good` answers: each connects after one credential update. */
function seed(prefix: string, n: number) {
  return Array.from({ length: n }, (_, i) => {
    const userId = `${prefix}-${i % 3}`
    return { userId, memberGuid: seedDenied(env.sim, userId) }
  })
}

/** A clock `offset` ms ahead of the system clock (move it to let time pass without sleeping). */
function shiftedClock() {
  const clock = { offset: 0, now: () => Date.now() + clock.offset, sleep: systemClock.sleep }
  return clock
}

describe('every waiter resolves (issue 11 item 2)', () => {
  it('B.settled resolves with the stored outcome when A, on the same file, finishes the member', async () => {
    const path = dbPath()
    const [sa, sb] = [sqliteStore(path), sqliteStore(path)]
    const a = make(sa, { owner: 'a' })
    const b = make(sb, { owner: 'b' })
    const [member] = seed('wait', 1)
    await a.r.start(member!)
    const [fromA, fromB] = await Promise.all([
      a.r.settled(member!.memberGuid),
      b.r.settled(member!.memberGuid),
    ])
    expect(fromA?.outcome?.outcome).toBe('connected')
    expect(fromB?.outcome?.outcome).toBe('connected')
    expect(fromB?.status).toBe('done')
    expect(puts(member!.memberGuid)).toBe(1)
    await Promise.all([a.r.close(), b.r.close()])
    await Promise.all([sa.close(), sb.close()])
  })

  it('a store that rejects saves: the waiter resolves with the stored view and no request follows', async () => {
    const inner = sqliteStore(dbPath())
    let saves = 0
    const failing: LifecycleStore = {
      ...inner,
      save: (guid, update, history) =>
        ++saves > 2 ? Promise.reject(new Error('disk full')) : inner.save(guid, update, history),
    }
    const { r, events } = make(failing)
    const [member] = seed('nosave', 1)
    await r.start(member!)
    const view = await r.settled(member!.memberGuid)
    expect(view?.status).toBe('running')
    expect(view?.state).toBe((await inner.get(member!.memberGuid))?.state)
    const errors = events.filter((e) => e.type === 'error' && e.memberGuid === member!.memberGuid)
    expect(errors.map((e) => (e.type === 'error' ? e.error._tag : ''))).toContain('LeaseLost')
    const after = env.sim.requests().filter((q) => q.memberGuid === member!.memberGuid).length
    const report = await r.sweep({ members: [member!] })
    expect(report.members[0]).toMatchObject({ outcome: 'unfinished' })
    // Stopped here: nothing more reached MX for it.
    expect(env.sim.requests().filter((q) => q.memberGuid === member!.memberGuid).length).toBe(after)
    await r.close()
    await inner.close()
  })

  it('a store that cannot lease (acquire, create with a lease): sweep resolves and reports the member with why', async () => {
    const inner = sqliteStore(dbPath())
    const failing: LifecycleStore = {
      ...inner,
      acquire: () => Promise.reject(new Error('locked')),
      // A new member is leased by its own create when a slot is free (decisions/0011).
      create: (record, history, lease) =>
        lease ? Promise.reject(new Error('locked')) : inner.create(record, history),
    }
    const { r } = make(failing)
    const members = seed('noacquire', 2)
    const report = await r.sweep({ members })
    expect(report.members.map((m) => [m.outcome, m.reason])).toEqual([
      ['unfinished', 'storeError'],
      ['unfinished', 'storeError'],
    ])
    expect(members.map((m) => puts(m.memberGuid))).toEqual([0, 0])
    await r.close()
    await inner.close()
  })

  it('lease lost mid-flight: the lifecycle stops before its next request and its waiter resolves', async () => {
    const store = sqliteStore(dbPath())
    const clock = shiftedClock()
    let answer: (() => void) | undefined
    let markAsked: (() => void) | undefined
    const asked = new Promise<void>((resolve) => (markAsked = resolve))
    const ctx = make(store, {
      clock,
      leaseMs: 1_000,
      credentials: (p) =>
        new Promise((resolve) => {
          answer = () => void resolve(good(p.memberGuid, p.fields))
          markAsked!()
        }),
    })
    const [member] = seed('stolen', 1)
    await ctx.r.start(member!)
    await asked
    // The process stalls past its lease; another instance takes the member.
    clock.offset += 2_000
    expect(await store.acquire(member!.memberGuid, 'thief/1', 60_000, clock.now())).toBe(true)
    const settled = ctx.r.settled(member!.memberGuid)
    answer!()
    const view = await settled
    expect(view?.status).not.toBe('done')
    expect(puts(member!.memberGuid)).toBe(0)
    expect(ctx.events.some((e) => e.type === 'error' && e.error._tag === 'LeaseLost')).toBe(true)
    expect((await store.get(member!.memberGuid))?.owner).toBe('thief/1')
    await ctx.r.close()
    await store.close()
  })

  it('close resolves every pending waiter; start and sweep after close are refused', async () => {
    const store = sqliteStore(dbPath())
    const { r } = make(store, { credentials: () => new Promise(() => undefined) })
    const [member] = seed('closing', 1)
    await r.start(member!)
    const pending = r.settled(member!.memberGuid)
    await r.close()
    expect((await pending)?.memberGuid).toBe(member!.memberGuid)
    // A wait begun after close ends at once with the stored view.
    expect((await r.settled(member!.memberGuid))?.status).not.toBe('done')
    await expect(r.start(member!)).rejects.toMatchObject({ _tag: 'ReconnectorError', reason: 'closed' })
    await expect(r.sweep({ members: [member!] })).rejects.toMatchObject({ reason: 'closed' })
    await store.close()
  })
})

describe('concurrent sweeps and ownership (issue 11 items 3 and 4)', () => {
  it('two sweeps over the same members at once, in one process and across two: all resolve, none throws', async () => {
    const path = dbPath()
    const [sa, sb] = [sqliteStore(path), sqliteStore(path)]
    const a = make(sa, { owner: 'a' })
    const b = make(sb, { owner: 'b' })
    const members = seed('twice', 12)
    // Done once, so the next sweeps restart every member: the race on its version.
    await a.r.sweep({ members })
    const reports = await Promise.all([
      a.r.sweep({ members }),
      a.r.sweep({ members }),
      b.r.sweep({ members }),
    ])
    for (const report of reports) expect(report.counts).toEqual({ connected: 12 })
    for (const m of members)
      expect(puts(m.memberGuid)).toBeLessThanOrEqual(await submissions(sa, m.memberGuid))
    await Promise.all([a.r.close(), b.r.close()])
    await Promise.all([sa.close(), sb.close()])
  })

  it('two live reconnectors with the same owner name never drive one member twice', async () => {
    const path = dbPath()
    const [sa, sb] = [sqliteStore(path), sqliteStore(path)]
    const a = make(sa, { owner: 'same' })
    const b = make(sb, { owner: 'same' })
    const members = seed('same-owner', 30)
    const [ra, rb] = await Promise.all([a.r.sweep({ members }), b.r.sweep({ members })])
    expect(ra.counts).toEqual({ connected: 30 })
    expect(rb.counts).toEqual({ connected: 30 })
    for (const m of members) {
      expect(puts(m.memberGuid)).toBe(1)
      const history = await sa.history(m.memberGuid)
      expect(history.filter((h) => h.type === 'started')).toHaveLength(1)
    }
    await Promise.all([a.r.close(), b.r.close()])
    await Promise.all([sa.close(), sb.close()])
  })

  it('two reconnectors with short leases on one file: every member ends once, nothing sent twice', async () => {
    const path = dbPath()
    const [sa, sb] = [sqliteStore(path), sqliteStore(path)]
    const a = make(sa, { owner: 'a', leaseMs: 40 })
    const b = make(sb, { owner: 'b', leaseMs: 40 })
    const members = seed('short-lease', 24)
    const [ra, rb] = await Promise.all([a.r.sweep({ members }), b.r.sweep({ members })])
    // Leases this short lapse under load and flip between the two: a sweep reports a member it lost as
    // unfinished, with why (it resolves, it does not wait on the other process).
    for (const report of [ra, rb]) {
      expect(report.members).toHaveLength(24)
      for (const line of report.members)
        expect([line.outcome, line.reason]).toSatisfy(
          ([outcome, reason]: [string, string | undefined]) =>
            (outcome === 'connected' && reason === undefined) ||
            (outcome === 'unfinished' && (reason === 'leaseLost' || reason === 'versionConflict')),
        )
    }
    // Contention over: one process finishes whatever is left.
    await a.r.close()
    await b.r.resumeAll()
    expect(await sa.counts()).toEqual({ running: 0, waiting: 0, done: 24 })
    for (const m of members) {
      expect((await sa.get(m.memberGuid))?.outcome).toMatchObject({ outcome: 'connected' })
      expect(puts(m.memberGuid)).toBeLessThanOrEqual(await submissions(sa, m.memberGuid))
    }
    await Promise.all([a.r.close(), b.r.close()])
    await Promise.all([sa.close(), sb.close()])
  })
})

describe('sweep journal, quarantine, stale reports (issue 11 items 5–7)', () => {
  it('a sweep that died before its first lifecycle write is finished by resumeAll in a new process', async () => {
    const path = dbPath()
    const first = sqliteStore(path)
    let journaled: (() => void) | undefined
    const reachedCreate = new Promise<void>((resolve) => (journaled = resolve))
    // The first process "dies" right after journaling: its first lifecycle write never happens.
    const dying: LifecycleStore = {
      ...first,
      create: () => {
        journaled!()
        return new Promise(() => undefined)
      },
    }
    const a = make(dying, { owner: 'crashed' })
    const members = seed('journal', 5)
    void a.r.sweep({ members })
    await reachedCreate
    expect(await first.counts()).toEqual({ running: 0, waiting: 0, done: 0 })

    const second = sqliteStore(path)
    const b = make(second, { owner: 'restarted' })
    const report = await b.r.resumeAll()
    expect(report.members.map((m) => m.memberGuid).sort()).toEqual(members.map((m) => m.memberGuid).sort())
    expect(report.counts).toEqual({ connected: 5 })
    expect(await second.openSweeps()).toEqual([])
    await b.r.close()
    await Promise.all([first.close(), second.close()])
  })

  it('corrupt rows (invalid JSON, wrong shape) are quarantined and reported; the others finish', async () => {
    const path = dbPath()
    const store = sqliteStore(path)
    const members = seed('corrupt', 5)
    // As a crashed sweep leaves them: queued, running, no lease.
    for (const m of members)
      await store.create({
        ...m,
        state: 'queued',
        status: 'running',
        wakeAt: null,
        snapshot: { queued: m },
      })
    const db = new Database(path)
    const set = db.prepare(`UPDATE lifecycles SET snapshot = ? WHERE member_guid = ?`)
    set.run('{"queued": {"userId"', members[0]!.memberGuid)
    set.run('{"status":"active","value":"loadingMember","context":5}', members[1]!.memberGuid)
    db.close()
    const { r } = make(store)
    const report = await r.resumeAll()
    expect(report.quarantined.map((q) => q.memberGuid).sort()).toEqual(
      [members[0]!.memberGuid, members[1]!.memberGuid].sort(),
    )
    expect(report.counts).toEqual({ connected: 3 })
    expect((await store.quarantined()).map((q) => q.memberGuid).sort()).toEqual(
      report.quarantined.map((q) => q.memberGuid).sort(),
    )
    // Set aside: a later resume does not trip on them again.
    expect((await r.resumeAll()).members).toEqual([])
    await r.close()
    await store.close()
  })

  it('a snapshot XState cannot restore, and a corrupt row read by settled/view: typed, quarantined', async () => {
    const path = dbPath()
    const store = sqliteStore(path)
    const quiet = make(store, { quiet: true })
    const members = seed('unrestorable', 2)
    // Parked on the user: a real stored snapshot.
    await quiet.r.sweep({ members })
    await quiet.r.close()
    const db = new Database(path)
    db.prepare(
      `UPDATE lifecycles SET snapshot = json_set(snapshot, '$.value', 'noSuchState'), wake_at = 0 WHERE member_guid = ?`,
    ).run(members[0]!.memberGuid)
    db.prepare(`UPDATE lifecycles SET outcome = 'nope{' WHERE member_guid = ?`).run(members[1]!.memberGuid)
    db.close()
    const { r } = make(store)
    await expect(r.view(members[1]!)).rejects.toMatchObject({
      _tag: 'StoreError',
      reason: 'corrupt',
    })
    expect(await r.settled(members[1]!.memberGuid)).toBeUndefined()
    const report = await r.resumeAll()
    expect(report.quarantined.map((q) => q.memberGuid)).toEqual([members[0]!.memberGuid])
    expect(report.members).toEqual([])
    expect((await store.quarantined()).map((q) => q.memberGuid).sort()).toEqual(
      members.map((m) => m.memberGuid).sort(),
    )
    expect(puts(members[0]!.memberGuid)).toBe(0)
    await r.close()
    await store.close()
  })

  it('after a restart, a member whose user deadline passed is reported done, with why', async () => {
    const clock = shiftedClock()
    const store = sqliteStore(dbPath(), { clock: () => clock.now() })
    const quiet = { quiet: true, clock, policy: { ...policy, userResponseMs: 60_000 } }
    const { r } = make(store, quiet)
    const [member] = seed('deadline', 1)
    const first = await r.sweep({ members: [member!] })
    expect(first.members[0]).toMatchObject({ outcome: 'awaitingUser', connectionStatus: 'DENIED' })
    await r.close()
    // The process is down while the user's deadline (60 simulated s) passes.
    clock.offset += 120_000
    const again = make(store, quiet)
    const resumed = await again.r.resumeAll()
    expect(resumed.members[0]).toMatchObject({ outcome: 'needsCredentials', reason: 'userDeadlinePassed' })
    expect((await store.get(member!.memberGuid))?.status).toBe('done')
    const swept = await again.r.sweep({ members: [member!] })
    // Swept again: a fresh lifecycle asks the user again.
    expect(swept.members[0]).toMatchObject({ outcome: 'awaitingUser' })
    await again.r.close()
    await store.close()
  })

  it('sweep over users where one is unknown at MX: that user is a failure row, the rest are swept', async () => {
    const store = sqliteStore(dbPath())
    const { r } = make(store)
    const members = seed('users', 3)
    const userIds = [...new Set(members.map((m) => m.userId)), 'nobody-at-mx']
    const report = await r.sweep({ userIds })
    expect(report.failures.map((f) => f.userId)).toEqual(['nobody-at-mx'])
    expect(report.failures[0]!.error._tag).toBeDefined()
    expect(report.counts).toEqual({ connected: 3 })
    await r.close()
    await store.close()
  })
})

describe('host calls and providers at the edges', () => {
  it('a provider that rejects leaves the member waiting on its user; host calls on idle members are no-ops', async () => {
    const store = sqliteStore(dbPath())
    const { r, events } = make(store, { credentials: () => Promise.reject(new Error('vault down')) })
    const [member, other] = seed('edges', 2)
    const progress: number[] = []
    const report = await r.sweep({ members: [member!] }, { onProgress: (p) => progress.push(p.settled) })
    expect(progress).toEqual([0, 1])
    expect(report.members[0]).toMatchObject({ outcome: 'awaitingUser', connectionStatus: 'DENIED' })
    expect(events.some((e) => e.type === 'error' && e.memberGuid === member!.memberGuid)).toBe(true)
    // Never started here: nothing to submit to, cancel or route to.
    const notFound = { _tag: 'ReconnectorError', reason: 'notFound' }
    await expect(r.submitCredentials(other!, [{ guid: 'CRD-1', value: 'x' }])).rejects.toMatchObject(notFound)
    await expect(r.cancel(other!)).rejects.toMatchObject(notFound)
    expect(await r.settled(other!.memberGuid)).toBeUndefined()
    expect(
      await r.handleWebhook({
        type: 'CONNECTION_STATUS',
        member_guid: other!.memberGuid,
        connection_status: 'CONNECTED',
      }),
    ).toEqual({ routed: false, memberGuid: other!.memberGuid })
    // Cancelled while parked on the user: rehydrated, cancelled, stored.
    expect((await r.cancel(member!)).outcome?.outcome).toBe('cancelled')
    await r.close()
    await r.close()
    await store.close()
  })
})

describe('providers written in plain JS', () => {
  it('a provider returning values (not a promise) is answered; one that throws leaves the member waiting', async () => {
    const store = sqliteStore(dbPath())
    const plain = ((p: { fields: readonly { guid: string; type: string | null }[] }) =>
      p.fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'good' : 'mxuser' }))) as never
    const { r } = make(store, { credentials: plain })
    const [member] = seed('plain', 1)
    const report = await r.sweep({ members: [member!] })
    expect(report.members[0]).toMatchObject({ outcome: 'connected' })
    await r.close()
    const throwing = (() => {
      throw new Error('vault down')
    }) as never
    const { r: r2, events } = make(sqliteStore(dbPath()), { credentials: throwing })
    const [other] = seed('plain-throw', 1)
    const second = await r2.sweep({ members: [other!] })
    expect(second.members[0]).toMatchObject({ outcome: 'awaitingUser', connectionStatus: 'DENIED' })
    expect(events.some((e) => e.type === 'error' && e.memberGuid === other!.memberGuid)).toBe(true)
    await r2.close()
    await store.close()
  })
})

describe('typed argument errors before any I/O (issue 11 item 9)', () => {
  it('refuses loose arguments with ReconnectorError invalid, and sends nothing', async () => {
    const store = sqliteStore(dbPath())
    const { r } = make(store)
    const [member] = seed('args', 1)
    const before = env.sim.requests().length
    const invalid = { _tag: 'ReconnectorError', reason: 'invalid' }
    const calls: Array<() => Promise<unknown>> = [
      () => (r.start as (m?: unknown) => Promise<unknown>)(),
      () => r.start(null as never),
      () => r.start({ userId: undefined as never, memberGuid: member!.memberGuid }),
      () => r.start({ userId: 'u', memberGuid: '..' }),
      () => r.start({ userId: 'u', memberGuid: 'a/b' }),
      () => r.submitCredentials(member!, null as never),
      () => r.submitCredentials({ userId: 'u', memberGuid: '.' }, []),
      () => r.submitCredentials(member!.memberGuid as never, []),
      () => r.submitMfa(member!, [{ guid: 'x' }] as never),
      () => r.view({ userId: 'u', memberGuid: '' }),
      () => r.view({ userId: '', memberGuid: member!.memberGuid }),
      () => r.settled(null as never),
      () => r.cancel({ userId: 'u', memberGuid: 'x'.repeat(300) }),
      () => r.sweep(null as never),
      () => r.sweep({ userIds: [undefined as never] }),
      () => r.sweep({ members: [member!] }, { onProgress: 5 as never }),
      () => r.resumeAll({ onProgress: 'x' as never }),
    ]
    for (const call of calls) await expect(call()).rejects.toMatchObject(invalid)
    await expect(
      r.handleWebhook({
        type: 'CONNECTION_STATUS',
        member_guid: 'M'.repeat(1 << 20),
        connection_status: 'DENIED',
      }),
    ).rejects.toMatchObject({ _tag: 'ReconnectorError', reason: 'invalidWebhook' })
    expect(() => createReconnector({ client: env.client, store, leaseMs: -1 })).toThrow(/leaseMs/)
    expect(env.sim.requests().length).toBe(before)
    expect(await store.counts()).toEqual({ running: 0, waiting: 0, done: 0 })
    await r.close()
    await store.close()
  })
})
