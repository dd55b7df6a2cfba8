import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/bridge/clock.js'
import { createReconnector } from '../../src/reconnector/index.js'
import type { ReconnectorEvent, ReconnectorOptions } from '../../src/reconnector/index.js'
import { StoreError } from '../../src/stores/errors.js'
import { memoryStore } from '../../src/stores/index.js'
import type { LifecycleStore } from '../../src/stores/index.js'
import { TIME_SCALE, seedDenied, simEnv } from '../support/sim-env.js'

// The live half of the lifecycle driver (src/reconnector/live.ts) where its first Stryker run found it
// untested (issue 12): an automated provider that fails or throws (types.ts: "undefined from it leaves the
// lifecycle waiting for the user"; reconnector.md: waiters always resolve), a per-member policy, the XState
// inspection option (types.ts `inspect`), the history of a provider's submission (reconnector.md: "every
// ... submission (guids only) ... is appended"), and close over a lifecycle whose lease cannot be given
// back. Real simulator over HTTP and the real in-memory store, wrapped only to fail one call.

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env

beforeAll(async () => {
  env = await simEnv({ seed: 89 })
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

const errorsOf = (events: readonly ReconnectorEvent[], memberGuid: string) =>
  events.flatMap((e) => (e.type === 'error' && e.memberGuid === memberGuid ? [e.error] : []))

describe('an automated provider that fails (types.ts: a provider’s failure is its answer, never uncaught)', () => {
  it('a provider that rejects: the error is reported, the member waits on its user, nothing is sent', async () => {
    const store = memoryStore()
    const m = member('ml-reject')
    const { r, events } = make(store, { credentials: () => Promise.reject(new Error('vault sealed')) })
    const report = await r.sweep({ members: [m] })
    expect(report.members[0]).toMatchObject({ outcome: 'awaitingUser' })
    // A foreign error is reported by its name only (its message might carry a secret: events never do).
    expect(errorsOf(events, m.memberGuid)).toContainEqual({ _tag: 'UnknownError', message: 'Error' })
    expect(JSON.stringify(events)).not.toContain('vault sealed')
    expect((await store.get(m.memberGuid))?.status).toBe('waiting')
    expect(puts(m.memberGuid)).toBe(0)
    await r.close()
  })

  it('a provider that throws instead of returning a promise is taken the same way', async () => {
    const store = memoryStore()
    const m = member('ml-throw')
    const credentials = (() => {
      throw new TypeError('not a promise')
    }) as unknown as NonNullable<ReconnectorOptions['credentials']>
    const { r, events } = make(store, { credentials })
    const report = await r.sweep({ members: [m] })
    expect(report.members[0]).toMatchObject({ outcome: 'awaitingUser' })
    expect(errorsOf(events, m.memberGuid)).toContainEqual({ _tag: 'UnknownError', message: 'TypeError' })
    expect(puts(m.memberGuid)).toBe(0)
    await r.close()
  })

  it('a provider’s accepted answer is recorded with its field guids only, and the member connects', async () => {
    const store = memoryStore()
    const m = member('ml-recorded')
    let guids: string[] = []
    const { r } = make(store, {
      credentials: (p) => {
        guids = p.fields.map((f) => f.guid)
        return Promise.resolve(good(p.fields))
      },
    })
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    const submitted = (await store.history(m.memberGuid)).filter((h) => h.type === 'submitted')
    expect(guids.length).toBeGreaterThan(0)
    expect(submitted).toHaveLength(1)
    expect(submitted[0]?.data).toMatchObject({ guids, accepted: true })
    expect(JSON.stringify(submitted)).not.toContain('good')
    await r.close()
  })
})

describe('options a lifecycle is started with', () => {
  it('a member’s own policy is used instead of the reconnector’s (its user deadline here)', async () => {
    const store = memoryStore()
    const [own, shared] = [member('ml-policy-own'), member('ml-policy-shared')]
    const { r, events } = make(store)
    const before = Date.now()
    // 10 hours (360 real s) for this member; the reconnector's is 1 hour (36 real s).
    await r.start({ ...own, policy: { timeScale: TIME_SCALE, userResponseMs: 36_000_000 } })
    await r.start(shared)
    await r.settled(own.memberGuid)
    await r.settled(shared.memberGuid)
    const wakeAt = (guid: string) =>
      events.flatMap((e) => (e.type === 'evicted' && e.memberGuid === guid ? [e.wakeAt] : []))[0]!
    expect(wakeAt(own.memberGuid) - before).toBeGreaterThan(300_000)
    expect(wakeAt(shared.memberGuid) - before).toBeLessThan(40_000)
    expect((await store.get(own.memberGuid))?.wakeAt).toBe(wakeAt(own.memberGuid))
    await r.close()
  })

  it('the inspect option sees the lifecycle’s actor (XState inspection events)', async () => {
    const store = memoryStore()
    const m = member('ml-inspect')
    const seen: string[] = []
    const { r } = make(store, { inspect: (e) => seen.push(e.type) })
    await r.start(m)
    await r.settled(m.memberGuid)
    expect(seen).toContain('@xstate.actor')
    expect(seen).toContain('@xstate.snapshot')
    await r.close()
  })
})

describe('close with a lifecycle in memory', () => {
  it('a lease that cannot be given back does not make close fail', async () => {
    const inner = memoryStore()
    const m = member('ml-close-release')
    let releases = 0
    const store: LifecycleStore = {
      ...inner,
      release: (guid) => {
        releases += 1
        return Promise.reject(new StoreError({ reason: 'io', message: 'disk gone', memberGuid: guid }))
      },
    }
    let asked!: () => void
    const prompted = new Promise<void>((resolve) => (asked = resolve))
    // A provider that never answers keeps the lifecycle busy, so in memory at close.
    const { r } = make(store, {
      credentials: () => {
        asked()
        return new Promise(() => undefined)
      },
    })
    await r.start(m)
    await prompted
    await expect(r.close()).resolves.toBeUndefined()
    expect(releases).toBe(1)
    expect(puts(m.memberGuid)).toBe(0)
  })
})

describe('what a live lifecycle stores (reconnector.md: history; stored before the side effect)', () => {
  it('history holds each state change once, in order, as the transition events said, then the outcome', async () => {
    const store = memoryStore()
    const m = member('ml-history')
    const { r, events } = make(store, { credentials: (p) => Promise.resolve(good(p.fields)) })
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    const history = await store.history(m.memberGuid)
    const states = history.filter((h) => h.type === 'state').map((h) => h.data)
    const transitions = events.flatMap((e) =>
      e.type === 'transition' && e.memberGuid === m.memberGuid
        ? [{ state: e.state, connectionStatus: e.connectionStatus }]
        : [],
    )
    expect(states).toEqual(transitions)
    expect(states.length).toBeGreaterThan(2)
    for (let i = 1; i < states.length; i++) expect(states[i]).not.toEqual(states[i - 1])
    expect(transitions.map((t) => t.state)).toContain('credentials.awaiting')
    const outcome = events.find((e) => e.type === 'outcome' && e.memberGuid === m.memberGuid)
    const outcomes = history.filter((h) => h.type === 'outcome')
    expect(outcomes.map((h) => h.data)).toEqual([outcome?.type === 'outcome' ? outcome.output : 'none'])
    expect(history.at(-1)?.type).toBe('outcome')
    await r.close()
  })

  it('a prompt a provider is answering is stored running, not waiting (no other process takes it for parked)', async () => {
    const inner = memoryStore()
    const m = member('ml-asking')
    const saved: { state: string; status: string }[] = []
    const store: LifecycleStore = {
      ...inner,
      save: (guid, update, history) => {
        if (guid === m.memberGuid) saved.push({ state: update.state, status: update.status })
        return inner.save(guid, update, history)
      },
    }
    let answer!: () => void
    let asked!: () => void
    const prompted = new Promise<void>((resolve) => (asked = resolve))
    const { r } = make(store, {
      credentials: (p) =>
        new Promise((resolve) => {
          answer = () => resolve(good(p.fields))
          asked()
        }),
    })
    await r.start(m)
    await prompted
    answer()
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    const awaiting = saved.filter((s) => s.state === 'credentials.awaiting')
    expect(awaiting.length).toBeGreaterThan(0)
    expect(awaiting.every((s) => s.status === 'running')).toBe(true)
    await r.close()
  })

  it('credentials refused until the budget is spent end needsCredentials without a deadline reason', async () => {
    const store = memoryStore()
    const m = member('ml-refused')
    // docs/simulator.md: a username other than `mxuser` is DENIED.
    const bad = (fields: readonly { guid: string; type: string | null }[]) =>
      fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'good' : 'nobody' }))
    const { r } = make(store, {
      credentials: (p) => Promise.resolve(bad(p.fields)),
      policy: { ...policy, attempts: { credentials: 2 } },
    })
    await r.start(m)
    const done = await r.settled(m.memberGuid)
    expect(done?.outcome?.outcome).toBe('needsCredentials')
    expect(done?.outcome).not.toHaveProperty('reason')
    expect((await store.get(m.memberGuid))?.outcome).not.toHaveProperty('reason')
    await r.close()
  })
})

describe('a user deadline that passes on an MFA prompt (reconnector.md, Sweep report: userDeadlinePassed)', () => {
  it('ends needsMfa with reason userDeadlinePassed, stored with the outcome', async () => {
    const clock = { offset: 0, now: () => Date.now() + clock.offset, sleep: systemClock.sleep }
    const store = memoryStore({ clock: () => clock.now() })
    const m = member('ml-mfa-deadline')
    // docs/simulator.md: the password `challenge` leads to one TEXT challenge; nobody answers it.
    const { r } = make(store, {
      clock,
      credentials: (p) =>
        Promise.resolve(
          p.fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'challenge' : 'mxuser' })),
        ),
    })
    await r.start(m)
    const waiting = await r.settled(m.memberGuid)
    expect(waiting?.prompt?.type).toBe('mfa.required')
    clock.offset += 7_200_000
    const ended = await r.settled(m.memberGuid)
    expect(ended?.outcome).toMatchObject({ outcome: 'needsMfa', reason: 'userDeadlinePassed' })
    expect((await store.get(m.memberGuid))?.outcome).toMatchObject({
      outcome: 'needsMfa',
      reason: 'userDeadlinePassed',
    })
    await r.close()
  })
})
