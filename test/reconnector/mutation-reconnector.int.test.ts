import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReconnector, ReconnectorError } from '../../src/reconnector/index.js'
import type { ReconnectorEvent, ReconnectorOptions } from '../../src/reconnector/index.js'
import { createScheduler, type SchedulerDeps } from '../../src/reconnector/scheduler.js'
import { memoryStore } from '../../src/stores/index.js'
import type { CreateLease, LifecycleStore } from '../../src/stores/index.js'
import { TIME_SCALE, seedDenied, simEnv } from '../support/sim-env.js'

// createReconnector (src/reconnector/reconnector.ts: argument checks and the wiring of the parts), against
// the survivors of its first Stryker run (issue 12). Oracles: the `ReconnectorOptions` TSDoc (defaults),
// reconnector.md (the user check, typed arguments, `close`), decisions/0008 (leases name `owner/<id>`,
// `watchMs` is a quarter of the lease, at most 1 s). Real simulator over HTTP (`clean` profile) and the
// real in-memory store and scheduler, wrapped only to record what they are given.

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env

beforeAll(async () => {
  env = await simEnv({ seed: 73, profile: 'clean' })
})
afterAll(async () => {
  await env.close()
})

// A user deadline of an hour (36 real s): a parked member stays parked however slow the machine is.
const policy = { timeScale: TIME_SCALE, userResponseMs: 3_600_000 }
const good = (fields: readonly { guid: string; type: string | null }[]) =>
  fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'good' : 'mxuser' }))
const requests = (memberGuid: string) => env.sim.requests().filter((q) => q.memberGuid === memberGuid)
const member = (userId: string) => ({ userId, memberGuid: seedDenied(env.sim, userId) })

function make(store: LifecycleStore, extra: Partial<ReconnectorOptions> = {}) {
  const events: ReconnectorEvent[] = []
  const r = createReconnector({ client: env.client, store, policy, onEvent: (e) => events.push(e), ...extra })
  return { r, events }
}

/** The in-memory store, recording the leases it is asked for (on create and on acquire). */
function leaseRecording(inner: LifecycleStore = memoryStore()) {
  const leases: { owner: string; leaseMs: number }[] = []
  const store: LifecycleStore = {
    ...inner,
    create: (record, history, lease?: CreateLease) => {
      if (lease) leases.push({ owner: lease.owner, leaseMs: lease.leaseMs })
      return inner.create(record, history, lease)
    },
    acquire: (memberGuid, owner, leaseMs, now) => {
      leases.push({ owner, leaseMs })
      return inner.acquire(memberGuid, owner, leaseMs, now)
    },
  }
  return { store, leases }
}

/** The in-process scheduler, recording what the reconnector builds it with and its intervals. */
function schedulerRecording() {
  const built: SchedulerDeps[] = []
  const intervals: number[] = []
  const closes: SchedulerDeps[] = []
  const scheduler = (deps: SchedulerDeps) => {
    built.push(deps)
    const inner = createScheduler(deps)
    return {
      ...inner,
      every: (ms: number, task: () => void) => {
        intervals.push(ms)
        inner.every(ms, task)
      },
      close: () => {
        closes.push(deps)
        inner.close()
      },
    }
  }
  return { scheduler, built, intervals, closes }
}

/** A credentials provider that answers only when the test says so; `asked` resolves on the prompt. */
function heldProvider() {
  let answer!: () => void
  let markAsked!: () => void
  const asked = new Promise<void>((resolve) => (markAsked = resolve))
  const credentials: NonNullable<ReconnectorOptions['credentials']> = (p) =>
    new Promise((resolve) => {
      answer = () => resolve(good(p.fields))
      markAsked()
    })
  return { credentials, asked, answer: () => answer() }
}

/** What a rejected call rejected with. */
const refusal = (call: () => Promise<unknown>) =>
  call().then(
    () => undefined,
    (e: unknown) => e,
  )

describe('defaults and wiring', () => {
  it('leases last 60 s under the owner "reconnector" unless told otherwise', async () => {
    const { store, leases } = leaseRecording()
    const m = member('rc-defaults')
    const { r } = make(store)
    await r.start(m)
    await r.settled(m.memberGuid)
    await r.close()
    expect(leases.length).toBeGreaterThan(0)
    for (const lease of leases) {
      expect(lease.leaseMs).toBe(60_000)
      expect(lease.owner).toMatch(/^reconnector\/./)
    }

    const other = leaseRecording()
    const n = member('rc-lease-ms')
    const { r: r2 } = make(other.store, { leaseMs: 4_000, owner: 'rc-owner' })
    await r2.start(n)
    await r2.settled(n.memberGuid)
    await r2.close()
    expect(other.leases.length).toBeGreaterThan(0)
    for (const lease of other.leases) {
      expect(lease.leaseMs).toBe(4_000)
      expect(lease.owner).toMatch(/^rc-owner\/./)
    }
  })

  it('the scheduler gets the clock, the lease, a watch period of a quarter lease (at most 1 s) and a renewal interval inside the lease', async () => {
    const clock = {
      now: () => Date.now(),
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    }
    for (const [leaseMs, watchMs] of [
      [undefined, 1_000],
      [60_000, 1_000],
      [4_000, 1_000],
      [2_000, 500],
      [400, 100],
    ] as const) {
      const { scheduler, built, intervals } = schedulerRecording()
      const { r } = make(memoryStore(), { scheduler, clock, ...(leaseMs ? { leaseMs } : {}) })
      const lease = leaseMs ?? 60_000
      expect(built).toHaveLength(1)
      expect(built[0]!.clock).toBe(clock)
      expect(built[0]!.leaseMs).toBe(lease)
      expect(built[0]!.watchMs).toBe(watchMs)
      // One interval renews every live lease, often enough that none lapses between two renewals.
      expect(intervals).toHaveLength(1)
      expect(intervals[0]).toBeGreaterThan(0)
      expect(intervals[0]).toBeLessThanOrEqual(lease / 2)
      await r.close()
    }
  })

  it('a sweep, settled and waiters see the member only while someone waits on it (watched)', async () => {
    const { scheduler, built } = schedulerRecording()
    const m = member('rc-watched')
    const { r } = make(memoryStore(), { scheduler })
    expect(built[0]!.watched(m.memberGuid)).toBe(false)
    await r.start(m)
    const waiting = r.settled(m.memberGuid)
    expect(built[0]!.watched(m.memberGuid)).toBe(true)
    await waiting
    expect(built[0]!.watched(m.memberGuid)).toBe(false)
    await r.close()
  })

  it('a sweep line times its member on the reconnector’s clock: a finite span within the sweep', async () => {
    const m = member('rc-line-time')
    const { r } = make(memoryStore(), { credentials: (p) => Promise.resolve(good(p.fields)) })
    const report = await r.sweep({ members: [m] })
    const line = report.members[0]!
    expect(line.outcome).toBe('connected')
    expect(Number.isFinite(line.durationMs)).toBe(true)
    expect(line.durationMs).toBeGreaterThanOrEqual(0)
    expect(line.durationMs).toBeLessThanOrEqual(report.durationMs)
    await r.close()
  })

  it('at most 32 lifecycles run at once by default', async () => {
    const inner = memoryStore()
    const members = Array.from({ length: 34 }, (_, i) => member(`rc-limit-${i}`))
    // Every member's first lifecycle write waits until the test opens the gate.
    let open!: () => void
    const gate = new Promise<void>((resolve) => (open = resolve))
    let arrived = 0
    let reach!: () => void
    const reached = new Promise<void>((resolve) => (reach = resolve))
    const store: LifecycleStore = {
      ...inner,
      create: async (...args) => {
        if (++arrived === 32) reach()
        await gate
        return inner.create(...args)
      },
    }
    const { r } = make(store, { credentials: (p) => Promise.resolve(good(p.fields)) })
    const sweep = r.sweep({ members })
    await reached
    // Let every pending callback run: a 33rd begin would reach the store now.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(arrived).toBe(32)
    open()
    const report = await sweep
    expect(report.counts).toEqual({ connected: 34 })
    await r.close()
  })
})

describe('close and leases', () => {
  it('refuses every call after close with ReconnectorError closed, naming the member where there is one', async () => {
    const m = member('rc-closed')
    const { r } = make(memoryStore())
    await r.close()
    await r.close() // idempotent
    for (const call of [
      () => r.start(m),
      () => r.submitCredentials(m, [{ guid: 'CRD-1', value: 'x' }]),
      () => r.submitMfa(m, [{ guid: 'CHL-1', value: 'x' }]),
    ]) {
      const error = await refusal(call)
      expect(error).toBeInstanceOf(ReconnectorError)
      expect(error).toMatchObject({ reason: 'closed', memberGuid: m.memberGuid })
      expect((error as Error).message).toBe('reconnector is closed')
    }
    for (const call of [() => r.sweep({ members: [m] }), () => r.resumeAll()])
      expect(await refusal(call)).toMatchObject({
        _tag: 'ReconnectorError',
        reason: 'closed',
        memberGuid: '',
      })
    expect(requests(m.memberGuid)).toEqual([])
  })

  it('close does not close a client it was given, and resolves when the store cannot forget its instance', async () => {
    const inner = memoryStore()
    const store: LifecycleStore = { ...inner, removeInstance: () => Promise.reject(new Error('disk gone')) }
    const m = member('rc-close-client')
    const { r } = make(store)
    await r.start(m)
    await r.settled(m.memberGuid)
    await expect(r.close()).resolves.toBeUndefined()
    // The host's client still works.
    expect((await env.client.readMember({ userId: m.userId, memberGuid: m.memberGuid })).guid).toBe(
      m.memberGuid,
    )
  })

  it('close stops the scheduler once, and ends the waits on a member another instance holds (reason: closed)', async () => {
    const store = memoryStore()
    const m = member('rc-close-watch')
    const provider = heldProvider()
    const a = make(store, { credentials: provider.credentials })
    const { scheduler, closes } = schedulerRecording()
    const b = make(store, { scheduler })
    await a.r.start(m)
    await provider.asked
    // A holds the member (its lifecycle waits on the provider); B can only watch it.
    const watching = b.r.settled(m.memberGuid)
    const swept = b.r.sweep({ members: [m] })
    await b.r.close()
    await b.r.close()
    expect(closes).toHaveLength(1)
    expect(await watching).toMatchObject({ memberGuid: m.memberGuid, status: 'running' })
    expect((await swept).members.map((x) => [x.memberGuid, x.outcome, x.reason])).toEqual([
      [m.memberGuid, 'unfinished', 'closed'],
    ])
    provider.answer()
    expect((await a.r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    await a.r.close()
  })

  it('one interval renews the lease of a lifecycle that sends nothing for longer than its lease', async () => {
    const inner = memoryStore()
    const m = member('rc-renew')
    const provider = heldProvider()
    let renewed!: () => void
    const renewal = new Promise<void>((resolve) => (renewed = resolve))
    let asking = false
    const store: LifecycleStore = {
      ...inner,
      acquire: (memberGuid, owner, leaseMs, now) => {
        if (asking && memberGuid === m.memberGuid) renewed()
        return inner.acquire(memberGuid, owner, leaseMs, now)
      },
    }
    const { r } = make(store, { credentials: provider.credentials, leaseMs: 300 })
    await r.start(m)
    await provider.asked
    asking = true
    // The lifecycle waits on its provider: no request, so only the interval can renew its lease.
    await renewal
    const record = await inner.get(m.memberGuid)
    expect(record?.leaseUntil ?? 0).toBeGreaterThan(Date.now())
    provider.answer()
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    await r.close()
  })

  it('a second close is a no-op: the lifecycles parked by the first stay as stored', async () => {
    const inner = memoryStore()
    let removals = 0
    const store: LifecycleStore = {
      ...inner,
      removeInstance: (id) => {
        removals += 1
        return inner.removeInstance(id)
      },
    }
    const m = member('rc-close-twice')
    const { r } = make(store)
    await r.start(m)
    await r.settled(m.memberGuid)
    await r.close()
    const stored = await inner.get(m.memberGuid)
    await r.close()
    expect(removals).toBe(1)
    expect(await inner.get(m.memberGuid)).toEqual(stored)
  })
})

describe('host calls', () => {
  it('refuses malformed member refs with ReconnectorError invalid, naming the guid when it is one', async () => {
    const { r } = make(memoryStore())
    const badUser = { userId: '', memberGuid: 'MBR-rc-named' }
    for (const call of [
      () => r.start(badUser),
      () => r.submitCredentials(badUser, []),
      () => r.submitMfa(badUser, []),
      () => r.cancel(badUser),
      () => r.view(badUser),
    ])
      expect(await refusal(call)).toMatchObject({
        _tag: 'ReconnectorError',
        reason: 'invalid',
        memberGuid: 'MBR-rc-named',
      })
    for (const bad of [null, undefined, 42]) {
      for (const call of [
        () => r.start(bad as never),
        () => r.submitCredentials(bad as never, []),
        () => r.cancel(bad as never),
        () => r.view(bad as never),
      ]) {
        const error = await refusal(call)
        expect(error).toBeInstanceOf(ReconnectorError)
        expect(error).toMatchObject({ reason: 'invalid', memberGuid: '' })
      }
    }
    expect(await refusal(() => r.settled('a/b'))).toMatchObject({ reason: 'invalid', memberGuid: '' })
    expect(await refusal(() => r.settled(7 as never))).toMatchObject({ reason: 'invalid', memberGuid: '' })
    await r.close()
  })

  it('every refusal names the argument that failed: options, member, memberGuid, target', async () => {
    const message = (error: unknown) => (error as Error).message
    expect(() => createReconnector({ client: env.client, concurrency: 0 })).toThrow(
      /^invalid options: options\.concurrency/,
    )
    const { r } = make(memoryStore())
    expect(message(await refusal(() => r.start({ userId: '', memberGuid: 'MBR-x' })))).toMatch(
      /^invalid member: member\.userId/,
    )
    expect(message(await refusal(() => r.cancel({ userId: '', memberGuid: 'MBR-x' })))).toMatch(
      /^invalid member: member\.userId/,
    )
    expect(message(await refusal(() => r.settled('a/b')))).toMatch(/^invalid memberGuid: memberGuid/)
    expect(message(await refusal(() => r.sweep(42 as never)))).toMatch(/^invalid target: target/)
    expect(message(await refusal(() => r.sweep({ members: [] }, 42 as never)))).toMatch(
      /^invalid options: options/,
    )
    expect(message(await refusal(() => r.resumeAll(42 as never)))).toMatch(/^invalid options: options/)
    for (const call of [() => r.sweep(42 as never), () => r.resumeAll(42 as never)])
      expect(await refusal(call)).toMatchObject({ _tag: 'ReconnectorError', reason: 'invalid' })
    await r.close()
  })

  it('names the kind of answers that are malformed: credentials or mfa', async () => {
    const { r } = make(memoryStore())
    const m = { userId: 'u-1', memberGuid: 'MBR-rc-kind' }
    const cred = await refusal(() => r.submitCredentials(m, 'nope' as never))
    const mfa = await refusal(() => r.submitMfa(m, 'nope' as never))
    expect(cred).toMatchObject({ reason: 'invalid', memberGuid: 'MBR-rc-kind' })
    expect(mfa).toMatchObject({ reason: 'invalid', memberGuid: 'MBR-rc-kind' })
    expect((cred as Error).message).toMatch(/credentials/)
    expect((cred as Error).message).not.toMatch(/mfa/)
    expect((mfa as Error).message).toMatch(/mfa/)
    expect((mfa as Error).message).not.toMatch(/credentials/)
    await r.close()
  })

  it('a submission to a parked member is recorded in its history by kind, guids only', async () => {
    const inner = memoryStore()
    const m = member('rc-submit')
    const { r } = make(inner)
    await r.start(m)
    const view = await r.settled(m.memberGuid)
    expect(view?.prompt?.type).toBe('credentials.required')
    const fields = view!.prompt!.type === 'credentials.required' ? view!.prompt!.fields : []
    const result = await r.submitCredentials(m, good(fields))
    expect(result).toMatchObject({ accepted: true })
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    const submitted = (await inner.history(m.memberGuid)).filter((h) => h.type === 'submitted')
    expect(submitted).toHaveLength(1)
    expect(submitted[0]!.data).toMatchObject({ kind: 'credentials.submit', guids: fields.map((f) => f.guid) })
    expect(JSON.stringify(submitted[0])).not.toContain('good')
    // Done: a late answer is not taken, and nothing more is recorded.
    expect(await r.submitMfa(m, [{ guid: 'CHL-1', value: '1' }])).toEqual({ accepted: false })
    expect((await inner.history(m.memberGuid)).filter((h) => h.type === 'submitted')).toHaveLength(1)
    await r.close()
  })

  it('cancel answers with the stored, cancelled view', async () => {
    const inner = memoryStore()
    const m = member('rc-cancel')
    const { r } = make(inner)
    await r.start(m)
    await r.settled(m.memberGuid)
    const view = await r.cancel(m)
    expect(view).toMatchObject({ memberGuid: m.memberGuid, userId: m.userId, status: 'done' })
    expect(view.outcome?.outcome).toBe('cancelled')
    expect((await inner.get(m.memberGuid))?.status).toBe('done')
    await r.close()
  })

  it('webhooks: a body that is not an object is refused naming the root, a bad member_guid as such; one for no lifecycle is not routed', async () => {
    const { r } = make(memoryStore())
    const root = await refusal(() => r.handleWebhook(42))
    expect(root).toMatchObject({ _tag: 'ReconnectorError', reason: 'invalidWebhook', memberGuid: '' })
    expect((root as Error).message).toMatch(/^invalid MX webhook body: \(root\) /)
    const badGuid = await refusal(() =>
      r.handleWebhook({ type: 'CONNECTION_STATUS', member_guid: 'a/b', connection_status: 'DENIED' }),
    )
    expect(badGuid).toMatchObject({ reason: 'invalidWebhook', memberGuid: '' })
    expect((badGuid as Error).message).toBe('invalid MX webhook body: member_guid is not a member guid')
    await expect(
      r.handleWebhook({
        type: 'CONNECTION_STATUS',
        member_guid: 'MBR-rc-nobody',
        connection_status: 'DENIED',
      }),
    ).resolves.toEqual({ routed: false, memberGuid: 'MBR-rc-nobody' })
    await r.close()
  })

  it('MFA answers for a member waiting on its credentials are refused and sent nowhere, however they look', async () => {
    const inner = memoryStore()
    const m = member('rc-mfa-for-credentials')
    const { r } = make(inner)
    await r.start(m)
    const view = await r.settled(m.memberGuid)
    const fields = view?.prompt?.type === 'credentials.required' ? view.prompt.fields : []
    expect(fields.length).toBeGreaterThan(0)
    // Well-formed credentials, given as MFA answers.
    expect(await r.submitMfa(m, good(fields))).toEqual({ accepted: false })
    expect(requests(m.memberGuid).filter((q) => q.method === 'PUT')).toEqual([])
    expect((await r.view(m))?.prompt?.type).toBe('credentials.required')
    await r.close()
  })

  it('cancel of a finished member answers with its stored view', async () => {
    const m = member('rc-cancel-done')
    const { r } = make(memoryStore(), { credentials: (p) => Promise.resolve(good(p.fields)) })
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    const view = await r.cancel(m)
    expect(view).toMatchObject({ memberGuid: m.memberGuid, status: 'done' })
    expect(view.outcome?.outcome).toBe('connected')
    await r.close()
  })

  it('a lifecycle evicted while it waits on a timer is woken by it and finishes', async () => {
    const m = member('rc-evicted-timer')
    // Evict on any timer: every poll wait parks the lifecycle in the store until its wake-up.
    const { r, events } = make(memoryStore(), {
      evictAfterMs: 0,
      credentials: (p) => Promise.resolve(good(p.fields)),
    })
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    expect(events.some((e) => e.type === 'evicted' && e.memberGuid === m.memberGuid && !e.awaitingUser)).toBe(
      true,
    )
    await r.close()
  })
})
