import { describe, expect, it } from 'vitest'
import type { NexusClientApi } from '../../src/client/types.js'
import { gateClient } from '../../src/reconnector/gate.js'
import { createLimiter } from '../../src/reconnector/limiter.js'
import { createOwnership } from '../../src/reconnector/ownership.js'
import { snapshotProblem } from '../../src/reconnector/record.js'
import { buildReport } from '../../src/reconnector/report.js'
import { createTimerQueue, realTimerHost } from '../../src/reconnector/timer-queue.js'
import { createTracker } from '../../src/reconnector/tracker.js'
import type { LifecycleRecord, LifecycleStore } from '../../src/stores/index.js'
import { memoryStore } from '../../src/stores/index.js'

// The reconnector's small parts on their own (issue 12, coverage of src/reconnector): the client gate,
// the limiter's queue, the real timer host, snapshot checks, reports, the tracker and ownership edges.
// No timers race here: every wait is on a promise the code under test resolves.

describe('gateClient', () => {
  it('gates and counts member calls only; list, job, stats and close pass straight through', async () => {
    const calls: string[] = []
    const record = (name: string) => (args?: unknown) => {
      calls.push(name)
      return Promise.resolve({ name, args })
    }
    const client = {
      readMember: record('readMember'),
      listMemberCredentials: record('listMemberCredentials'),
      updateMember: record('updateMember'),
      listMemberChallenges: record('listMemberChallenges'),
      resumeAggregation: record('resumeAggregation'),
      aggregateMember: record('aggregateMember'),
      oauthWindowUri: record('oauthWindowUri'),
      listMembers: record('listMembers'),
      readJob: record('readJob'),
      stats: record('stats'),
      close: record('close'),
    } as unknown as NexusClientApi
    const gated: string[] = []
    const counted: string[] = []
    const g = gateClient(
      client,
      (memberGuid) => {
        gated.push(memberGuid)
        return Promise.resolve()
      },
      (memberGuid) => counted.push(memberGuid),
    )
    const member = { userId: 'u-1', memberGuid: 'MBR-1' }
    await g.readMember(member)
    await g.listMemberCredentials(member)
    await g.updateMember({ ...member, credentials: [] })
    await g.listMemberChallenges(member)
    await g.resumeAggregation({ ...member, challenges: [] } as never)
    await g.aggregateMember(member)
    await expect(g.oauthWindowUri(member as never)).resolves.toMatchObject({ name: 'oauthWindowUri' })
    expect(gated).toEqual(Array(7).fill('MBR-1'))
    expect(counted).toEqual(Array(7).fill('MBR-1'))

    await expect(g.listMembers({ userId: 'u-1' })).resolves.toMatchObject({ name: 'listMembers' })
    await g.readJob({ jobGuid: 'JOB-1' } as never)
    g.stats()
    await g.close()
    expect(gated).toHaveLength(7)
    expect(counted).toHaveLength(7)
    expect(calls.slice(7)).toEqual(['listMembers', 'readJob', 'stats', 'close'])
  })

  it('a gate that refuses stops the call before it reaches the client', async () => {
    const calls: string[] = []
    const client = {
      readMember: () => {
        calls.push('readMember')
        return Promise.resolve({})
      },
    } as unknown as NexusClientApi
    const g = gateClient(
      client,
      () => Promise.reject(new Error('lease lost')),
      () => undefined,
    )
    await expect(g.readMember({ userId: 'u-1', memberGuid: 'MBR-1' })).rejects.toThrow('lease lost')
    expect(calls).toEqual([])
  })
})

describe('limiter', () => {
  it('counts waiting tasks and hands slots over in FIFO order', async () => {
    const limiter = createLimiter(1)
    const order: number[] = []
    let open: (() => void) | undefined
    const first = limiter.run(
      () =>
        new Promise<void>((resolve) => {
          open = resolve
        }),
    )
    const second = limiter.run(() => Promise.resolve(order.push(2)))
    const third = limiter.run(() => Promise.resolve(order.push(3)))
    expect(limiter.active).toBe(1)
    expect(limiter.waiting).toBe(2)
    open!()
    await Promise.all([first, second, third])
    expect(order).toEqual([2, 3])
    expect(limiter.active).toBe(0)
    expect(limiter.waiting).toBe(0)
  })
})

describe('realTimerHost', () => {
  it('fires a due key through a real unref’d timer, and next() names the armed time', async () => {
    const fired = new Promise<string>((resolve) => {
      const queue = createTimerQueue(resolve, realTimerHost)
      const at = Date.now() - 1
      queue.schedule('later', Date.now() + 3_600_000)
      expect(queue.next()).toBe(queue.next())
      queue.schedule('due', at)
    })
    await expect(fired).resolves.toBe('due')
  })

  it('clearTimer cancels a real timer (nothing fires after cancel)', async () => {
    const seen: string[] = []
    const queue = createTimerQueue((key) => seen.push(key), realTimerHost)
    queue.schedule('a', Date.now() + 3_600_000)
    expect(queue.next()).not.toBeUndefined()
    queue.cancel('a')
    expect(queue.size).toBe(0)
    // A due key scheduled after the cancel fires; the cancelled one never does.
    const fired = new Promise<void>((resolve) => {
      const q2 = createTimerQueue(() => resolve(), realTimerHost)
      q2.schedule('b', 0)
    })
    await fired
    queue.close()
    expect(seen).toEqual([])
  })
})

const record = (snapshot: unknown, extra: Partial<LifecycleRecord> = {}): LifecycleRecord => ({
  memberGuid: 'MBR-1',
  userId: 'u-1',
  state: 'x',
  status: 'running',
  wakeAt: null,
  snapshot,
  version: 1,
  owner: null,
  leaseUntil: null,
  updatedAt: 0,
  createdAt: 0,
  outcome: null,
  ...extra,
})

describe('snapshotProblem', () => {
  const context = {
    memberGuid: 'MBR-1',
    userId: 'u-1',
    policy: {},
    attempts: {},
    wakeAt: null,
    fields: null,
    challenges: null,
  }
  const active = (over: Record<string, unknown> = {}, ctx: Record<string, unknown> = {}) => ({
    status: 'active',
    value: 'idle',
    context: { ...context, ...ctx },
    ...over,
  })

  it('accepts a queued input and an active snapshot for this member', () => {
    expect(snapshotProblem(record({ queued: { userId: 'u-1', memberGuid: 'MBR-1' } }))).toBeUndefined()
    expect(snapshotProblem(record(active()))).toBeUndefined()
    expect(snapshotProblem(record(active({ value: { a: 'b' } })))).toBeUndefined()
  })

  it('names each malformed shape', () => {
    expect(snapshotProblem(record('nope'))).toBe('snapshot is not an object')
    expect(snapshotProblem(record({ queued: null }))).toBe('queued snapshot does not name this member')
    expect(snapshotProblem(record({ queued: { userId: 1, memberGuid: 'MBR-1' } }))).toBe(
      'queued snapshot does not name this member',
    )
    expect(snapshotProblem(record({ queued: { userId: 'u', memberGuid: 'MBR-2' } }))).toBe(
      'queued snapshot does not name this member',
    )
    expect(snapshotProblem(record(active({ status: 'done' })))).toBe('snapshot is not an active lifecycle')
    expect(snapshotProblem(record(active({ value: 3 })))).toBe('snapshot has no state value')
    expect(snapshotProblem(record(active({ context: 'x' })))).toBe('snapshot has no context')
    expect(snapshotProblem(record(active({}, { memberGuid: 'MBR-2' })))).toBe(
      'snapshot context does not name this member',
    )
    expect(snapshotProblem(record(active({}, { userId: 7 })))).toBe(
      'snapshot context does not name this member',
    )
    expect(snapshotProblem(record(active({}, { policy: null })))).toBe(
      'snapshot context lacks policy or attempts',
    )
    expect(snapshotProblem(record(active({}, { attempts: 'a' })))).toBe(
      'snapshot context lacks policy or attempts',
    )
    for (const bad of [{ wakeAt: 'soon' }, { fields: 'f' }, { challenges: {} }])
      expect(snapshotProblem(record(active({}, bad)))).toBe('snapshot context has malformed fields')
  })
})

describe('buildReport', () => {
  it('reports quarantined rows apart, prompts as awaitingUser, stored reasons and unknown members', () => {
    const report = buildReport(
      ['Q', 'P', 'D', 'U', 'N'],
      [
        { view: undefined, quarantined: 'bad json' },
        {
          view: {
            userId: 'u-p',
            memberGuid: 'P',
            state: 's',
            status: 'waiting',
            prompt: { type: 'credentials.required' },
            connectionStatus: 'DENIED',
          } as never,
        },
        {
          view: {
            userId: 'u-d',
            memberGuid: 'D',
            status: 'done',
            outcome: { outcome: 'needsCredentials', reason: 'userDeadlinePassed', attempts: 2 },
            connectionStatus: 'DENIED',
          } as never,
        },
        { view: undefined, reason: 'storeError' },
        undefined,
      ],
      (guid) =>
        guid === 'P' ? { userId: 'u-p', memberGuid: 'P', calls: 3, startedAt: 10, parkedAt: 25 } : undefined,
      { failures: [], durationMs: 5 },
    )
    expect(report.quarantined).toEqual([{ memberGuid: 'Q', reason: 'bad json' }])
    const byGuid = Object.fromEntries(report.members.map((m) => [m.memberGuid, m]))
    expect(byGuid.P).toMatchObject({ outcome: 'awaitingUser', calls: 3, durationMs: 15, userId: 'u-p' })
    expect(byGuid.P?.reason).toBeUndefined()
    expect(byGuid.D).toMatchObject({ outcome: 'needsCredentials', reason: 'userDeadlinePassed', attempts: 2 })
    expect(byGuid.U).toMatchObject({ outcome: 'unfinished', reason: 'storeError', userId: '', calls: 0 })
    expect(byGuid.N).toMatchObject({ outcome: 'unfinished', reason: 'unfinished', connectionStatus: null })
  })
})

describe('tracker', () => {
  it('keeps counters while any reporter remains, and only for reported members', () => {
    let now = 100
    const tracker = createTracker(() => now)
    tracker.activated({ userId: 'u', memberGuid: 'A' })
    expect(tracker.get('A')).toBeUndefined()
    tracker.report(['A'])
    tracker.report(['A'])
    tracker.activated({ userId: 'u', memberGuid: 'A' })
    tracker.called('A')
    now = 130
    tracker.mark('A', 'finished')
    expect(tracker.get('A')).toMatchObject({ calls: 1, startedAt: 100, finishedAt: 130 })
    tracker.unreport(['A'])
    expect(tracker.get('A')?.calls).toBe(1)
    tracker.unreport(['A'])
    expect(tracker.get('A')).toBeUndefined()
    // Unreporting a member nobody reported is harmless.
    tracker.unreport(['B'])
    expect(tracker.get('B')).toBeUndefined()
  })
})

describe('ownership edges', () => {
  const seeded = async (store: LifecycleStore, memberGuid: string) => {
    await store.create(
      {
        memberGuid,
        userId: 'u',
        state: 'queued',
        status: 'running',
        wakeAt: null,
        snapshot: { queued: { userId: 'u', memberGuid } },
      },
      [],
    )
  }

  it('remembers a gone instance, and waits when the takeover loses a race', async () => {
    const inner = memoryStore()
    let instanceReads = 0
    let takeOvers = 0
    const store: LifecycleStore = {
      ...inner,
      instance: (id) => {
        instanceReads += 1
        return inner.instance(id)
      },
      takeOver: () => {
        takeOvers += 1
        return Promise.resolve(false)
      },
    }
    await seeded(inner, 'MBR-1')
    await seeded(inner, 'MBR-2')
    const dead = createOwnership(inner, { owner: 'n', leaseMs: 1_000, host: 'h', isAlive: () => false })
    expect((await dead.acquire('MBR-1', 0)).held).toBe(true)
    expect((await dead.acquire('MBR-2', 0)).held).toBe(true)
    const me = createOwnership(store, { owner: 'n', leaseMs: 1_000, host: 'h', isAlive: () => false })
    expect(await me.acquire('MBR-1', 10)).toEqual({ held: false, leaseUntil: 1_000 })
    expect(await me.acquire('MBR-2', 10)).toEqual({ held: false, leaseUntil: 1_000 })
    // The first look proved the holder gone; the second reuses it without reading the instance again.
    expect(instanceReads).toBe(1)
    expect(takeOvers).toBe(2)
  })

  it('a member with no record is not held and names no lease', async () => {
    const inner = memoryStore()
    const store: LifecycleStore = { ...inner, acquire: () => Promise.resolve(false) }
    const me = createOwnership(store, { owner: 'n', leaseMs: 1_000 })
    expect(await me.acquire('MBR-none', 0)).toEqual({ held: false, leaseUntil: null })
    await me.close()
    expect(await inner.instance(me.holder)).toBeUndefined()
  })
})
