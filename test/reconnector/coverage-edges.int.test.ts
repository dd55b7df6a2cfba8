import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/bridge/clock.js'
import { createReconnector } from '../../src/reconnector/index.js'
import type { ReconnectorEvent, ReconnectorOptions } from '../../src/reconnector/index.js'
import { StoreError } from '../../src/stores/errors.js'
import { memoryStore } from '../../src/stores/index.js'
import type { LifecycleStore } from '../../src/stores/index.js'
import { TIME_SCALE, seedDenied, simEnv } from '../support/sim-env.js'

// The reconnector's edges the other suites leave unreached (issue 12, 90% branches of src/reconnector):
// close while a sweep is still starting its members or while a member's lease is being taken; two
// submissions racing to bring one parked member into memory; a save refused because another writer moved
// the row; a lease release that fails; and resumeAll over sweep journals that overlap, a member finished
// since its sweep began, and a journaled member the store cannot read. Real simulator over HTTP and the
// real in-memory store (wrapped only to hold or fail one call); every wait is on a promise the code under
// test or the store resolves, never on a timer.

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env

beforeAll(async () => {
  env = await simEnv({ seed: 61 })
})
afterAll(async () => {
  await env.close()
})

// A user deadline of an hour (36 real s): a parked member stays parked however slow the machine is.
const policy = { timeScale: TIME_SCALE, userResponseMs: 3_600_000 }
const good = (fields: readonly { guid: string; type: string | null }[]) =>
  fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'good' : 'mxuser' }))
const requests = (memberGuid: string) => env.sim.requests().filter((q) => q.memberGuid === memberGuid)
const puts = (memberGuid: string) => requests(memberGuid).filter((q) => q.method === 'PUT').length
const member = (userId: string) => ({ userId, memberGuid: seedDenied(env.sim, userId) })

function make(store: LifecycleStore, extra: Partial<ReconnectorOptions> = {}) {
  const events: ReconnectorEvent[] = []
  const r = createReconnector({ client: env.client, store, policy, onEvent: (e) => events.push(e), ...extra })
  return { r, events }
}

/** A promise the test resolves by hand, and one that says the code reached the held call. */
function hold() {
  let open!: () => void
  let reached!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  const seen = new Promise<void>((resolve) => (reached = resolve))
  return { open, opened, seen, reached }
}

/** Lets every pending promise callback run (memoryStore settles on microtasks only). */
const drain = () => new Promise((resolve) => setImmediate(resolve))

describe('close while members are being started', () => {
  it('close during a sweep’s starts: every member is reported closed, nothing is sent, no lease kept', async () => {
    const inner = memoryStore()
    const members = [member('ce-close-1'), member('ce-close-2')]
    const gate = hold()
    const store: LifecycleStore = {
      ...inner,
      create: async (...args) => {
        gate.reached()
        await gate.opened
        return inner.create(...args)
      },
    }
    const { r } = make(store)
    const sweep = r.sweep({ members })
    await gate.seen
    await r.close()
    gate.open()
    const report = await sweep
    expect(report.members.map((m) => [m.memberGuid, m.outcome, m.reason])).toEqual(
      members.map((m) => [m.memberGuid, 'unfinished', 'closed']),
    )
    for (const m of members) {
      expect(requests(m.memberGuid)).toEqual([])
      // A row written after close is left to the next process at once: no lease on it.
      expect((await inner.get(m.memberGuid))?.owner ?? null).toBeNull()
    }
  })

  it('closed while taking a parked member’s lease: given back at once, for the next process', async () => {
    const inner = memoryStore()
    const m = member('ce-lease')
    let holding = false
    const gate = hold()
    let armed = false
    let released!: () => void
    const releasedNow = new Promise<void>((resolve) => (released = resolve))
    const store: LifecycleStore = {
      ...inner,
      acquire: async (...args) => {
        if (holding && args[0] === m.memberGuid) {
          holding = false
          gate.reached()
          await gate.opened
        }
        return inner.acquire(...args)
      },
      release: async (...args) => {
        await inner.release(...args)
        if (armed && args[0] === m.memberGuid) released()
      },
    }
    const { r } = make(store)
    const parked = await r.sweep({ members: [m] })
    expect(parked.members[0]).toMatchObject({ outcome: 'awaitingUser' })
    const before = requests(m.memberGuid).length
    holding = true
    // The user answers: the member is brought back into memory, and close comes while its lease is taken.
    const answer = r.submitCredentials(m, [{ guid: 'CRD-any', value: 'x' }])
    await gate.seen
    await r.close()
    armed = true
    gate.open()
    await releasedNow
    expect(await answer).toEqual({ accepted: false })
    expect(await inner.get(m.memberGuid)).toMatchObject({ status: 'waiting', owner: null })
    expect(await inner.acquire(m.memberGuid, 'next-process', 60_000)).toBe(true)
    expect(requests(m.memberGuid)).toHaveLength(before)
  })
})

describe('host calls racing to bring a parked member into memory', () => {
  it('two submissions at once share one activation: one is sent, the other refused, one PUT', async () => {
    const inner = memoryStore()
    const m = member('ce-race')
    let holding = false
    const gate = hold()
    const store: LifecycleStore = {
      ...inner,
      acquire: async (...args) => {
        if (holding && args[0] === m.memberGuid) {
          holding = false
          gate.reached()
          await gate.opened
        }
        return inner.acquire(...args)
      },
    }
    const { r, events } = make(store)
    const parked = await r.sweep({ members: [m] })
    expect(parked.members[0]).toMatchObject({ outcome: 'awaitingUser' })
    expect(events.some((e) => e.type === 'evicted' && e.memberGuid === m.memberGuid)).toBe(true)
    const prompt = (await r.view(m))!.prompt!
    expect(prompt.type).toBe('credentials.required')
    const fields = prompt.type === 'credentials.required' ? prompt.fields : []

    holding = true
    const a = r.submitCredentials(m, good(fields))
    await gate.seen
    const b = r.submitCredentials(m, good(fields))
    await drain() // the second submission reaches the activation the first one started
    gate.open()
    const results = await Promise.all([a, b])
    expect(results.map((x) => x.accepted).sort()).toEqual([false, true])
    const done = await r.settled(m.memberGuid)
    expect(done?.outcome?.outcome).toBe('connected')
    expect(puts(m.memberGuid)).toBe(1)
    await r.close()
  })
})

describe('parked members read again', () => {
  it('settled on a parked member whose user deadline passed while it was out of memory ends it, with why', async () => {
    const clock = { offset: 0, now: () => Date.now() + clock.offset, sleep: systemClock.sleep }
    const inner = memoryStore({ clock: () => clock.now() })
    const m = member('ce-deadline')
    const { r } = make(inner, { clock, policy: { timeScale: TIME_SCALE, userResponseMs: 600_000 } })
    const parked = await r.sweep({ members: [m] })
    expect(parked.members[0]).toMatchObject({ outcome: 'awaitingUser' })
    // Parked and evicted: settled answers at once while the deadline (6 real s) is ahead.
    expect((await r.settled(m.memberGuid))?.status).toBe('waiting')
    clock.offset += 3_600_000
    const ended = await r.settled(m.memberGuid)
    expect(ended?.outcome).toMatchObject({ outcome: 'needsCredentials', reason: 'userDeadlinePassed' })
    expect(puts(m.memberGuid)).toBe(0)
    await r.close()
  })

  it('answers of the wrong kind for a parked member are refused, sent nowhere, and recorded', async () => {
    const inner = memoryStore()
    const m = member('ce-wrong-kind')
    const { r } = make(inner)
    await r.sweep({ members: [m] })
    const result = await r.submitMfa(m, [{ guid: 'CRD-nope', value: 'x' }])
    expect(result.accepted).toBe(false)
    await r.close()
    const submitted = (await inner.history(m.memberGuid)).filter((h) => h.type === 'submitted')
    expect(submitted.map((h) => h.data)).toEqual([
      { kind: 'mfa.submit', guids: ['CRD-nope'], accepted: false },
    ])
    expect(puts(m.memberGuid)).toBe(0)
  })
})

describe('saves refused and leases not given back', () => {
  it('another writer moves the row before our save: the lifecycle stops, reported as versionConflict', async () => {
    const inner = memoryStore()
    const m = member('ce-conflict')
    let moved = false
    let sentBefore = -1
    const store: LifecycleStore = {
      ...inner,
      save: async (memberGuid, update, history) => {
        // The save of the credential update (a prompt a provider answers is stored running too: decisions/0011).
        if (memberGuid === m.memberGuid && update.state === 'credentials.updating' && !moved) {
          moved = true
          sentBefore = requests(memberGuid).length
          // Someone else writes the row (no owner check) just before the save of the credential update.
          const { expectedOwner: _owner, ...unowned } = update
          await inner.save(memberGuid, unowned, [])
        }
        return inner.save(memberGuid, update, history)
      },
    }
    const { r, events } = make(store, { credentials: (p) => Promise.resolve(good(p.fields)) })
    const report = await r.sweep({ members: [m] })
    expect(report.members[0]).toMatchObject({ outcome: 'unfinished', reason: 'versionConflict' })
    const errors = events.flatMap((e) =>
      e.type === 'error' && e.memberGuid === m.memberGuid ? [e.error] : [],
    )
    expect(errors).toContainEqual({ _tag: 'LeaseLost', message: 'stopped here: versionConflict' })
    // The save that failed preceded the credential update: it was never sent, nor anything else.
    expect(sentBefore).toBeGreaterThan(0)
    expect(requests(m.memberGuid)).toHaveLength(sentBefore)
    expect(puts(m.memberGuid)).toBe(0)
    await r.close()
  })

  it('a lease that cannot be given back does not keep a parked member in memory', async () => {
    const inner = memoryStore()
    const m = member('ce-release')
    let releases = 0
    const store: LifecycleStore = {
      ...inner,
      release: (memberGuid) => {
        releases += 1
        return Promise.reject(new StoreError({ reason: 'io', message: 'disk gone', memberGuid }))
      },
    }
    const { r, events } = make(store)
    const report = await r.sweep({ members: [m] })
    expect(report.members[0]).toMatchObject({ outcome: 'awaitingUser', connectionStatus: 'DENIED' })
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'evicted', memberGuid: m.memberGuid, awaitingUser: true }),
    )
    expect(releases).toBeGreaterThanOrEqual(1)
    await r.close()
  })
})

describe('resumeAll over journals left open', () => {
  it('overlapping journals, a member finished since, one unreadable: each member reported once', async () => {
    const inner = memoryStore()
    const [parked, finished, unreadable] = [member('ce-res-p'), member('ce-res-f'), member('ce-res-u')]
    let failReads = false
    const closeAttempts: string[] = []
    const store: LifecycleStore = {
      ...inner,
      closeSweep: (id) => {
        closeAttempts.push(id)
        return Promise.reject(new StoreError({ reason: 'io', message: 'disk gone' }))
      },
      get: (guid) =>
        failReads && guid === unreadable.memberGuid
          ? Promise.reject(new StoreError({ reason: 'io', message: 'disk gone', memberGuid: guid }))
          : inner.get(guid),
    }
    // Only the `finished` member's user answers; the others wait on their users.
    const first = make(store, {
      credentials: (p) => Promise.resolve(p.memberGuid === finished.memberGuid ? good(p.fields) : undefined),
    })
    const one = await first.r.sweep({ members: [parked, finished] })
    const two = await first.r.sweep({ members: [parked, unreadable] })
    expect(one.members.map((x) => x.outcome)).toEqual(['awaitingUser', 'connected'])
    expect(two.members.map((x) => x.outcome)).toEqual(['awaitingUser', 'awaitingUser'])
    await first.r.close()
    expect(closeAttempts).toHaveLength(2)
    expect(await inner.openSweeps()).toHaveLength(2)
    const finishedPuts = puts(finished.memberGuid)
    expect(finishedPuts).toBe(1)

    failReads = true
    const { r } = make(store)
    const report = await r.resumeAll()
    const lines = Object.fromEntries(report.members.map((x) => [x.memberGuid, x]))
    expect(report.members).toHaveLength(3)
    expect(lines[parked.memberGuid]).toMatchObject({ outcome: 'awaitingUser' })
    expect(lines[finished.memberGuid]).toMatchObject({ outcome: 'connected' })
    expect(lines[unreadable.memberGuid]).toMatchObject({ outcome: 'unfinished', reason: 'storeError' })
    // The finished member is reported as its sweep left it, not run again.
    expect(puts(finished.memberGuid)).toBe(finishedPuts)
    expect(closeAttempts).toHaveLength(4)
    await r.close()
  })
})
