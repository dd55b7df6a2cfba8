import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/bridge/clock.js'
import { createReconnector } from '../../src/reconnector/index.js'
import type { ReconnectorEvent, ReconnectorOptions } from '../../src/reconnector/index.js'
import { createScheduler } from '../../src/reconnector/scheduler.js'
import { StoreError } from '../../src/stores/errors.js'
import { memoryStore } from '../../src/stores/index.js'
import type { LifecycleStore } from '../../src/stores/index.js'
import { TIME_SCALE, seedDenied, simEnv } from '../support/sim-env.js'

// The lifecycle driver (src/reconnector/driver.ts) where its first Stryker run found it untested (issue 12):
// a finished member started again (docs/reconnector.md: "a finished member starts a new run, history
// continues"), past a concurrent writer; rows that cannot be read ("bad rows never block others"); close
// while a row is being created (the lease is left to the next process); a lease that cannot be taken; and
// the lease renewal before a request once the lease is past half its life ("one live lifecycle per
// member"). Real simulator over HTTP and the real in-memory store, wrapped only to hold or fail one call;
// waits are on promises and events, and time passes by shifting an injected clock.

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env

beforeAll(async () => {
  env = await simEnv({ seed: 83 })
})
afterAll(async () => {
  await env.close()
})

// A user deadline of an hour (36 real s): a parked member stays parked however slow the machine is.
const policy = { timeScale: TIME_SCALE, userResponseMs: 3_600_000 }
// For tests that move the clock 40 s ahead: a user deadline of 100 hours (3,600 real s).
const longPolicy = { timeScale: TIME_SCALE, userResponseMs: 360_000_000 }
const good = (fields: readonly { guid: string; type: string | null }[]) =>
  fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'good' : 'mxuser' }))
const requests = (memberGuid: string) => env.sim.requests().filter((q) => q.memberGuid === memberGuid)
const puts = (memberGuid: string) => requests(memberGuid).filter((q) => q.method === 'PUT').length
const member = (userId: string) => ({ userId, memberGuid: seedDenied(env.sim, userId) })
const answer: ReconnectorOptions['credentials'] = (p) => Promise.resolve(good(p.fields))

function make(store: LifecycleStore, extra: Partial<ReconnectorOptions> = {}) {
  const events: ReconnectorEvent[] = []
  const listeners = new Set<(e: ReconnectorEvent) => void>()
  const onEvent = (e: ReconnectorEvent) => {
    events.push(e)
    for (const listener of listeners) listener(e)
  }
  const r = createReconnector({ client: env.client, store, policy, onEvent, ...extra })
  /** Resolves on the first event (past or future) matching `match`. */
  const event = (match: (e: ReconnectorEvent) => boolean) =>
    new Promise<ReconnectorEvent>((resolve) => {
      const seen = events.find(match)
      if (seen) return resolve(seen)
      const listener = (e: ReconnectorEvent) => {
        if (!match(e)) return
        listeners.delete(listener)
        resolve(e)
      }
      listeners.add(listener)
    })
  return { r, events, event }
}

/** A promise the test resolves by hand, and one that says the code reached the held call. */
function hold() {
  let open!: () => void
  let reached!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  const seen = new Promise<void>((resolve) => (reached = resolve))
  return { open, opened, seen, reached }
}

/** A clock `offset` ms ahead of the system clock. */
function shiftedClock() {
  const clock = { offset: 0, now: () => Date.now() + clock.offset, sleep: systemClock.sleep }
  return clock
}

const corrupt = (memberGuid: string) =>
  new StoreError({ reason: 'corrupt', message: 'row is not JSON', memberGuid })
const ioError = (memberGuid: string) => new StoreError({ reason: 'io', message: 'disk gone', memberGuid })
const conflict = (memberGuid: string) =>
  new StoreError({ reason: 'conflict', message: 'moved by another writer', memberGuid })
const quarantinedEvent = (memberGuid: string) => (e: ReconnectorEvent) =>
  e.type === 'error' && e.memberGuid === memberGuid && e.error._tag === 'Quarantined'

describe('a finished member started again (reconnector.md: a finished member starts a new run)', () => {
  it('runs again from the start, and its history continues across both runs', async () => {
    const store = memoryStore()
    const m = member('md-again')
    const { r } = make(store, { credentials: answer })
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    const putsBefore = puts(m.memberGuid)

    const again = await r.start(m)
    expect(again.status).not.toBe('done')
    expect(again.outcome).toBeUndefined()
    const second = await r.settled(m.memberGuid)
    expect(second?.status).toBe('done')
    // The member is connected now, so the second run ends without a credential update.
    expect(second?.outcome?.outcome).toBe('connected')
    expect(puts(m.memberGuid)).toBe(putsBefore)
    const history = await store.history(m.memberGuid)
    expect(history.filter((h) => h.type === 'started')).toHaveLength(2)
    expect(history.filter((h) => h.type === 'outcome')).toHaveLength(2)
    await r.close()
  })

  it('a concurrent writer moving the finished row: start looks again and restarts it once', async () => {
    const inner = memoryStore()
    const m = member('md-conflict')
    let moved = 0
    const store: LifecycleStore = {
      ...inner,
      save: async (memberGuid, update, history) => {
        if (memberGuid === m.memberGuid && update.state === 'queued' && moved === 0) {
          moved += 1
          // Another writer touches the finished row first (still finished, one version later).
          const row = (await inner.get(memberGuid))!
          await inner.save(
            memberGuid,
            {
              expectedVersion: row.version,
              state: row.state,
              status: 'done',
              wakeAt: null,
              snapshot: row.snapshot,
            },
            [{ type: 'note' }],
          )
        }
        return inner.save(memberGuid, update, history)
      },
    }
    const { r } = make(store, { credentials: answer })
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.status).toBe('done')
    const again = await r.start(m)
    expect(moved).toBe(1)
    expect(again.status).not.toBe('done')
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    expect((await inner.history(m.memberGuid)).filter((h) => h.type === 'started')).toHaveLength(2)
    await r.close()
  })

  it('a restart whose save fails for another reason rejects with the store error', async () => {
    const inner = memoryStore()
    const m = member('md-restart-io')
    let fail = false
    const store: LifecycleStore = {
      ...inner,
      save: (memberGuid, update, history) =>
        fail && memberGuid === m.memberGuid
          ? Promise.reject(ioError(memberGuid))
          : inner.save(memberGuid, update, history),
    }
    const { r } = make(store, { credentials: answer })
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.status).toBe('done')
    fail = true
    await expect(r.start(m)).rejects.toMatchObject({ _tag: 'StoreError', reason: 'io' })
    expect((await inner.get(m.memberGuid))?.status).toBe('done')
    await r.close()
  })

  it('a restart that always meets another writer gives up and returns the finished view (never spins)', async () => {
    const inner = memoryStore()
    const m = member('md-restart-spin')
    let fail = false
    let tries = 0
    const store: LifecycleStore = {
      ...inner,
      save: (memberGuid, update, history) => {
        if (fail && memberGuid === m.memberGuid) {
          tries += 1
          return Promise.reject(conflict(memberGuid))
        }
        return inner.save(memberGuid, update, history)
      },
    }
    const { r } = make(store, { credentials: answer })
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.status).toBe('done')
    fail = true
    const view = await r.start(m)
    expect(view.status).toBe('done')
    expect(view.outcome?.outcome).toBe('connected')
    expect(tries).toBeGreaterThan(1)
    await r.close()
  })

  it('a sweep runs again a member that finished before the sweep began', async () => {
    const store = memoryStore()
    const m = member('md-since')
    const { r } = make(store, { credentials: answer })
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    const report = await r.sweep({ members: [m] })
    expect(report.members[0]).toMatchObject({ memberGuid: m.memberGuid, outcome: 'connected' })
    expect((await store.history(m.memberGuid)).filter((h) => h.type === 'started')).toHaveLength(2)
    await r.close()
  })
})

describe('rows that cannot be read are quarantined (reconnector.md: bad rows never block others)', () => {
  it('settled on a parked member whose row became unreadable resolves, and sets the row aside', async () => {
    const inner = memoryStore()
    const m = member('md-settle-corrupt')
    let broken = false
    const store: LifecycleStore = {
      ...inner,
      get: (guid) => (broken && guid === m.memberGuid ? Promise.reject(corrupt(guid)) : inner.get(guid)),
    }
    const { r, events } = make(store)
    const parked = await r.sweep({ members: [m] })
    expect(parked.members[0]).toMatchObject({ outcome: 'awaitingUser' })
    broken = true
    await expect(r.settled(m.memberGuid)).resolves.toBeUndefined()
    expect(events.find(quarantinedEvent(m.memberGuid))).toMatchObject({
      error: { _tag: 'Quarantined', message: 'row is not JSON' },
    })
    expect(await inner.quarantined()).toEqual([
      expect.objectContaining({ memberGuid: m.memberGuid, reason: 'row is not JSON' }),
    ])
    await r.close()
  })

  it('a start that finds the existing row unreadable when it looks at it sets the row aside', async () => {
    const inner = memoryStore()
    const m = member('md-wake-corrupt')
    let broken = false
    const store: LifecycleStore = {
      ...inner,
      get: (guid) => (broken && guid === m.memberGuid ? Promise.reject(corrupt(guid)) : inner.get(guid)),
    }
    const { r, event, events } = make(store)
    await r.sweep({ members: [m] })
    broken = true
    // `create` still returns the row (it does not decode it); the driver's own read of it fails.
    const view = await r.start(m)
    expect(view.status).toBe('waiting')
    const seen = await event(quarantinedEvent(m.memberGuid))
    expect(seen).toMatchObject({ error: { message: 'row is not JSON' } })
    expect(
      events.some(
        (e) => e.type === 'error' && e.memberGuid === m.memberGuid && e.error._tag === 'StoreError',
      ),
    ).toBe(false)
    await r.close()
    expect((await inner.quarantined()).map((q) => q.memberGuid)).toEqual([m.memberGuid])
  })

  it('an unknown member has no view and no settlement', async () => {
    const { r } = make(memoryStore())
    await expect(r.view({ userId: 'md-nobody', memberGuid: 'MBR-md-nobody' })).resolves.toBeUndefined()
    await expect(r.settled('MBR-md-nobody')).resolves.toBeUndefined()
    await r.close()
  })
})

describe('close while a new member’s row is being written', () => {
  it('the row is created but its lease is given back at once and nothing is sent', async () => {
    const inner = memoryStore()
    const m = member('md-close-create')
    const gate = hold()
    const store: LifecycleStore = {
      ...inner,
      create: async (...args) => {
        if (args[0].memberGuid === m.memberGuid) {
          gate.reached()
          await gate.opened
        }
        return inner.create(...args)
      },
    }
    const { r } = make(store)
    const started = r.start(m)
    await gate.seen
    const closing = r.close()
    gate.open()
    const view = await started
    expect(view.memberGuid).toBe(m.memberGuid)
    await closing
    const row = await inner.get(m.memberGuid)
    expect(row?.status).not.toBe('done')
    expect(row?.owner ?? null).toBeNull()
    expect(requests(m.memberGuid)).toHaveLength(0)
  })
})

describe('a lease that cannot be taken when a parked member is asked again', () => {
  it('resumeAll reports the error, frees that member’s slot, and the next member runs', async () => {
    const inner = memoryStore()
    const [a, b] = [member('md-acq-a'), member('md-acq-b')]
    const first = make(inner)
    const parked = await first.r.sweep({ members: [a, b] })
    expect(parked.members.map((x) => x.outcome)).toEqual(['awaitingUser', 'awaitingUser'])
    await first.r.close()

    const store: LifecycleStore = {
      ...inner,
      acquire: (guid, ...rest) =>
        guid === a.memberGuid ? Promise.reject(ioError(guid)) : inner.acquire(guid, ...rest),
    }
    // One slot: if the failed activation kept it, `b` would never run.
    const { r, events } = make(store, { credentials: answer, concurrency: 1 })
    const report = await r.resumeAll()
    const lines = Object.fromEntries(report.members.map((x) => [x.memberGuid, x]))
    // Its lease failed before anyone waited on it: it is reported as stored, still waiting on its user.
    expect(lines[a.memberGuid]).toMatchObject({ outcome: 'awaitingUser' })
    expect(lines[b.memberGuid]).toMatchObject({ outcome: 'connected' })
    const errors = events.flatMap((e) =>
      e.type === 'error' && e.memberGuid === a.memberGuid ? [e.error] : [],
    )
    expect(errors).toContainEqual({ _tag: 'StoreError', message: 'disk gone' })
    expect(puts(a.memberGuid)).toBe(0)
    await r.close()
  })
})

describe('lease renewal before a request (reconnector.md: renewed before any request once past half its life)', () => {
  /** A provider the test answers by hand, and a store that counts lease calls on the member. */
  function setup(m: { memberGuid: string }, held: () => boolean = () => true) {
    const inner = memoryStore()
    const acquires: number[] = []
    const store: LifecycleStore = {
      ...inner,
      acquire: (guid, owner, leaseMs, now) => {
        if (guid === m.memberGuid) acquires.push(puts(guid))
        return held() ? inner.acquire(guid, owner, leaseMs, now) : Promise.resolve(false)
      },
    }
    let release!: () => void
    const asked = hold()
    const credentials: ReconnectorOptions['credentials'] = (p) =>
      new Promise((resolve) => {
        release = () => resolve(good(p.fields))
        asked.reached()
      })
    return { inner, store, acquires, credentials, asked, answer: () => release() }
  }

  it('a young lease is not renewed; one past half its life is, once, before the request', async () => {
    const m = member('md-renew')
    const clock = shiftedClock()
    const s = setup(m)
    const { r } = make(s.store, { credentials: s.credentials, clock, policy: longPolicy })
    await r.start(m)
    await s.asked.seen
    // Created with its lease 60 s ago at most: nothing renewed it yet.
    expect(s.acquires).toEqual([])
    clock.offset += 40_000 // past half of the 60-s lease, not past its end
    s.answer()
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    // Renewed once, before the credential update was sent; the renewed lease then served every request.
    expect(s.acquires).toEqual([0])
    expect(puts(m.memberGuid)).toBe(1)
    await r.close()
  })

  it('requests in the lease’s first half renew nothing', async () => {
    const m = member('md-young')
    const s = setup(m)
    const { r } = make(s.store, { credentials: s.credentials })
    await r.start(m)
    await s.asked.seen
    s.answer()
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    expect(s.acquires).toEqual([])
    await r.close()
  })

  it('a lease taken by another holder meanwhile stops the lifecycle before the request: nothing is sent', async () => {
    const m = member('md-lost')
    const clock = shiftedClock()
    let held = true
    const s = setup(m, () => held)
    const { r, event } = make(s.store, { credentials: s.credentials, clock, policy: longPolicy })
    await r.start(m)
    await s.asked.seen
    clock.offset += 40_000
    held = false
    s.answer()
    const seen = await event(
      (e) => e.type === 'error' && e.memberGuid === m.memberGuid && e.error._tag === 'LeaseLost',
    )
    expect(seen).toMatchObject({ error: { message: 'stopped here: leaseLost' } })
    expect(puts(m.memberGuid)).toBe(0)
    await r.close()
  })

  it('the renewal interval keeps a busy member’s lease (leaseMs 600: every 200 ms)', async () => {
    const m = member('md-interval')
    const s = setup(m)
    let renewed!: () => void
    const twice = new Promise<void>((resolve) => (renewed = resolve))
    const store: LifecycleStore = {
      ...s.store,
      acquire: async (...args) => {
        const got = await s.store.acquire(...args)
        if (s.acquires.length >= 2) renewed()
        return got
      },
    }
    const { r } = make(store, { credentials: s.credentials, leaseMs: 600 })
    await r.start(m)
    await s.asked.seen
    await twice
    const row = await s.inner.get(m.memberGuid)
    expect(row?.owner).not.toBeNull()
    s.answer()
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    await r.close()
  })
})

describe('a scheduling engine that runs members in other processes (docs/scale-out.md)', () => {
  it('a member it takes is not run here; one it declines runs here', async () => {
    const store = memoryStore()
    const m = member('md-handover')
    let takes = true
    const handed: [string, string | undefined][] = []
    const scheduler: ReconnectorOptions['scheduler'] = (deps) => ({
      ...createScheduler(deps),
      handOver: (memberGuid, record) => {
        handed.push([memberGuid, record?.status])
        return takes
      },
    })
    const { r } = make(store, { scheduler, credentials: answer })
    const view = await r.start(m)
    expect(view.state).toBe('queued')
    // Handed over when created (nothing read yet), and not run here: no request, no lease taken.
    expect(handed).toEqual([[m.memberGuid, undefined]])
    expect(requests(m.memberGuid)).toHaveLength(0)
    expect((await store.get(m.memberGuid))?.owner ?? null).toBeNull()
    takes = false
    // The engine declines when the member is looked at again: it runs here.
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    expect(handed[1]).toEqual([m.memberGuid, 'running'])
    await r.close()
  })
})

describe('members parked on their users, looked at again (reconnector.md: parked ones are asked again when a provider exists)', () => {
  /** Parks the members with a reconnector that has no provider, then closes it. */
  async function parked(store: LifecycleStore, ...members: { userId: string; memberGuid: string }[]) {
    const first = make(store)
    const report = await first.r.sweep({ members })
    expect(report.members.map((x) => x.outcome)).toEqual(members.map(() => 'awaitingUser'))
    await first.r.close()
  }

  it('start on a parked member returns its view and does not ask the provider again', async () => {
    const store = memoryStore()
    const m = member('md-parked-start')
    let asked = 0
    const { r, events } = make(store, {
      credentials: () => {
        asked += 1
        return Promise.resolve(undefined)
      },
    })
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.prompt?.type).toBe('credentials.required')
    expect(asked).toBe(1)
    const again = await r.start(m)
    expect(again.status).toBe('waiting')
    expect((await r.settled(m.memberGuid))?.prompt?.type).toBe('credentials.required')
    await r.close()
    expect(asked).toBe(1)
    expect(events.filter((e) => e.type === 'prompt')).toHaveLength(1)
  })

  it('resumeAll without providers leaves parked members where they are: none is leased or read', async () => {
    const inner = memoryStore()
    const m = member('md-parked-noprov')
    await parked(inner, m)
    const before = requests(m.memberGuid).length
    let acquires = 0
    const store: LifecycleStore = {
      ...inner,
      acquire: (...args) => {
        if (args[0] === m.memberGuid) acquires += 1
        return inner.acquire(...args)
      },
    }
    const { r, events } = make(store)
    const report = await r.resumeAll()
    expect(report.members).toEqual([
      expect.objectContaining({ memberGuid: m.memberGuid, outcome: 'awaitingUser' }),
    ])
    await r.close()
    expect(acquires).toBe(0)
    expect(requests(m.memberGuid)).toHaveLength(before)
    expect(events.filter((e) => e.type === 'prompt')).toHaveLength(0)
  })

  it('resumeAll with a provider that declines: each member is asked once more and parked again, one slot for all', async () => {
    const inner = memoryStore()
    const [a, b] = [member('md-decline-a'), member('md-decline-b')]
    await parked(inner, a, b)
    const asked: string[] = []
    const { r, events } = make(inner, {
      concurrency: 1,
      credentials: (p) => {
        asked.push(p.memberGuid)
        return Promise.resolve(undefined)
      },
    })
    const report = await r.resumeAll()
    expect(report.members.map((x) => x.outcome)).toEqual(['awaitingUser', 'awaitingUser'])
    expect(asked.sort()).toEqual([a.memberGuid, b.memberGuid].sort())
    // Parked again: out of memory, lease given back.
    for (const x of [a, b]) {
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'evicted', memberGuid: x.memberGuid, awaitingUser: true }),
      )
      expect((await inner.get(x.memberGuid))?.owner ?? null).toBeNull()
    }
    await r.close()
  })

  it('a member finished by another writer while its lease is taken is not run here; its stored outcome is reported', async () => {
    const inner = memoryStore()
    const m = member('md-finished-meanwhile')
    await parked(inner, m)
    let finishIt = true
    const store: LifecycleStore = {
      ...inner,
      acquire: async (...args) => {
        if (finishIt && args[0] === m.memberGuid) {
          finishIt = false
          const row = (await inner.get(m.memberGuid))!
          const outcome = { outcome: 'cancelled', connectionStatus: 'DENIED' }
          await inner.save(
            m.memberGuid,
            {
              expectedVersion: row.version,
              state: 'cancelled',
              status: 'done',
              wakeAt: null,
              snapshot: row.snapshot,
              outcome,
            },
            [{ type: 'outcome', data: outcome }],
          )
        }
        return inner.acquire(...args)
      },
    }
    let asked = 0
    const { r } = make(store, {
      credentials: (p) => {
        asked += 1
        return Promise.resolve(good(p.fields))
      },
    })
    const report = await r.resumeAll()
    expect(finishIt).toBe(false)
    expect(report.members).toEqual([
      expect.objectContaining({ memberGuid: m.memberGuid, outcome: 'cancelled' }),
    ])
    expect(asked).toBe(0)
    expect(puts(m.memberGuid)).toBe(0)
    expect((await inner.get(m.memberGuid))?.owner ?? null).toBeNull()
    await r.close()
  })
})
