import { describe, expect, it } from 'vitest'
import { allUnfinished, isStoreError, StoreError } from '../../src/stores/index.js'
import type { LifecycleStore } from '../../src/stores/index.js'
import { change, newRecord, rejection, storeKinds, testClock, useTempDir } from './harness.js'

// The LifecycleStore contract (src/stores/types.ts), run against every store: the reconnector may be given
// any of them (design/reconnector.md, "Stores") and must see the same behaviour.

const dir = useTempDir()

describe.each(storeKinds(dir))('$name store contract', (kind) => {
  function setup(): { store: LifecycleStore; clock: ReturnType<typeof testClock> } {
    const clock = testClock()
    return { store: kind.open({ clock: clock.read }), clock }
  }

  describe('create', () => {
    it('stores a new record at version 1 with the clock as its times', async () => {
      const { store, clock } = setup()
      const { created, record } = await store.create(newRecord('MBR-1', { wakeAt: 5000 }))
      expect(created).toBe(true)
      expect(record).toEqual({
        ...newRecord('MBR-1', { wakeAt: 5000 }),
        outcome: null,
        owner: null,
        leaseUntil: null,
        version: 1,
        createdAt: clock.now,
        updatedAt: clock.now,
      })
      expect(await store.get('MBR-1')).toEqual(record)
    })

    it('is idempotent: a second create returns the stored record and writes nothing', async () => {
      const { store, clock } = setup()
      const first = await store.create(newRecord('MBR-1'), [{ type: 'started' }])
      clock.now += 10
      const second = await store.create(
        newRecord('MBR-1', { userId: 'someone-else', state: 'other', status: 'waiting' }),
        [{ type: 'started-again' }],
      )
      expect(second).toEqual({ created: false, record: first.record })
      expect((await store.history('MBR-1')).map((entry) => entry.type)).toEqual(['started'])
    })

    it('returns an existing record even when it is done (the caller decides to restart it)', async () => {
      const { store } = setup()
      const { record } = await store.create(newRecord('MBR-1'))
      await store.save(
        'MBR-1',
        change(record, { expectedVersion: 1, status: 'done', outcome: { outcome: 'connected' } }),
      )
      const again = await store.create(newRecord('MBR-1'))
      expect(again.created).toBe(false)
      expect(again.record.status).toBe('done')
    })

    it('leases a record it creates to the given owner, in the same write (acquire folded into create)', async () => {
      const { store, clock } = setup()
      const { created, record } = await store.create(newRecord('MBR-1'), [{ type: 'started' }], {
        owner: 'worker-a/1',
        leaseMs: 60_000,
      })
      expect(created).toBe(true)
      expect(record).toMatchObject({ owner: 'worker-a/1', leaseUntil: clock.now + 60_000, version: 1 })
      expect(await store.get('MBR-1')).toEqual(record)
      // Held: another owner cannot take it before it lapses; the holder renews.
      expect(await store.acquire('MBR-1', 'worker-b/1', 60_000)).toBe(false)
      expect(await store.acquire('MBR-1', 'worker-a/1', 60_000)).toBe(true)
      // `now` sets the lease's start, as acquire's does.
      const other = await store.create(newRecord('MBR-2'), [], { owner: 'w/2', leaseMs: 10, now: 500 })
      expect(other.record).toMatchObject({ owner: 'w/2', leaseUntil: 510 })
    })

    it('takes no lease when the record already exists', async () => {
      const { store } = setup()
      const first = await store.create(newRecord('MBR-1'))
      const again = await store.create(newRecord('MBR-1'), [{ type: 'again' }], {
        owner: 'worker-a/1',
        leaseMs: 60_000,
      })
      expect(again).toEqual({ created: false, record: first.record })
      expect(await store.get('MBR-1')).toMatchObject({ owner: null, leaseUntil: null })
      expect(await store.history('MBR-1')).toEqual([])
    })

    it('refuses a malformed lease and writes nothing', async () => {
      const { store } = setup()
      for (const lease of [
        { owner: '', leaseMs: 1000 },
        { owner: 'a', leaseMs: 0 },
        { owner: 'a', leaseMs: 1.5 },
        null,
      ]) {
        const error = await rejection(store.create(newRecord('MBR-1'), [], lease as never))
        expect(error).toMatchObject({ _tag: 'StoreError', reason: 'invalid', memberGuid: 'MBR-1' })
      }
      expect(await store.get('MBR-1')).toBeUndefined()
    })

    it('keeps an outcome given at creation', async () => {
      const { store } = setup()
      const { record } = await store.create(
        newRecord('MBR-1', { status: 'done', outcome: { outcome: 'cancelled' } }),
      )
      expect(record.outcome).toEqual({ outcome: 'cancelled' })
    })
  })

  describe('get', () => {
    it('is undefined for an unknown member', async () => {
      const { store } = setup()
      expect(await store.get('MBR-none')).toBeUndefined()
    })

    it('hands out fresh copies: mutating input or output never reaches the store', async () => {
      const { store } = setup()
      const snapshot = { context: { items: [1, 2] } }
      await store.create(newRecord('MBR-1', { snapshot }))
      snapshot.context.items.push(3)
      const read = await store.get('MBR-1')
      ;(read!.snapshot as typeof snapshot).context.items.push(4)
      expect((await store.get('MBR-1'))!.snapshot).toEqual({ context: { items: [1, 2] } })
    })

    it('stores JSON: undefined properties are dropped, as JSON.stringify does', async () => {
      const { store } = setup()
      await store.create(
        newRecord('MBR-1', { snapshot: { output: undefined, error: undefined, value: 'a' } }),
      )
      expect((await store.get('MBR-1'))!.snapshot).toStrictEqual({ value: 'a' })
    })
  })

  describe('save', () => {
    it('compares and sets on the version, moving it by one and stamping updatedAt', async () => {
      const { store, clock } = setup()
      const { record } = await store.create(newRecord('MBR-1'))
      clock.now += 250
      const saved = await store.save('MBR-1', {
        expectedVersion: record.version,
        state: 'credentials.awaiting',
        status: 'waiting',
        wakeAt: clock.now + 900_000,
        snapshot: { value: { credentials: 'awaiting' } },
      })
      // The new version only: the caller has the rest (issue 15).
      expect(saved).toEqual({ version: 2 })
      expect(await store.get('MBR-1')).toEqual({
        ...record,
        state: 'credentials.awaiting',
        status: 'waiting',
        wakeAt: clock.now + 900_000,
        snapshot: { value: { credentials: 'awaiting' } },
        version: 2,
        updatedAt: clock.now,
      })
    })

    it('rejects a stale version with a conflict and changes nothing, history included', async () => {
      const { store } = setup()
      const { record } = await store.create(newRecord('MBR-1'))
      await store.save('MBR-1', change(record, { expectedVersion: 1, state: 'next' }))
      const saved = await store.get('MBR-1')
      const error = await rejection(
        store.save('MBR-1', change(record, { expectedVersion: 1, state: 'lost' }), [{ type: 'lost-write' }]),
      )
      expect(error).toBeInstanceOf(StoreError)
      expect(error).toMatchObject({
        reason: 'conflict',
        memberGuid: 'MBR-1',
        expectedVersion: 1,
        actualVersion: 2,
      })
      expect(await store.get('MBR-1')).toEqual(saved)
      expect(await store.history('MBR-1')).toEqual([])
    })

    it('lets exactly one of many concurrent saves on the same version win', async () => {
      const { store } = setup()
      const { record } = await store.create(newRecord('MBR-1'))
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          store.save('MBR-1', change(record, { expectedVersion: 1, state: `s${i}` })),
        ),
      )
      const won = results.filter((result) => result.status === 'fulfilled')
      expect(won).toHaveLength(1)
      for (const result of results) {
        if (result.status === 'rejected') expect(isStoreError(result.reason, 'conflict')).toBe(true)
      }
      expect((await store.get('MBR-1'))!.version).toBe(2)
    })

    it('rejects an unknown member with notFound', async () => {
      const { store } = setup()
      const error = await rejection(store.save('MBR-none', { ...newRecord('MBR-none'), expectedVersion: 1 }))
      expect(error).toMatchObject({ _tag: 'StoreError', reason: 'notFound', memberGuid: 'MBR-none' })
    })

    it('keeps the outcome when omitted and clears it with null', async () => {
      const { store } = setup()
      const { record } = await store.create(newRecord('MBR-1'))
      const done = await store.save(
        'MBR-1',
        change(record, {
          expectedVersion: 1,
          status: 'done',
          outcome: { outcome: 'needsMfa' },
        }),
      )
      const kept = await store.save(
        'MBR-1',
        change(record, { expectedVersion: done.version, status: 'done' }),
      )
      expect((await store.get('MBR-1'))!.outcome).toEqual({ outcome: 'needsMfa' })
      const cleared = await store.save(
        'MBR-1',
        change(record, {
          expectedVersion: kept.version,
          status: 'running',
          outcome: null,
        }),
      )
      expect(cleared).toEqual({ version: 4 })
      expect((await store.get('MBR-1'))!.outcome).toBeNull()
    })

    it('drops the lease when the lifecycle is done', async () => {
      const { store, clock } = setup()
      const { record } = await store.create(newRecord('MBR-1'))
      expect(await store.acquire('MBR-1', 'worker-a', 60_000)).toBe(true)
      await store.save('MBR-1', change(record, { expectedVersion: 1, status: 'waiting' }))
      expect(await store.get('MBR-1')).toMatchObject({ owner: 'worker-a', leaseUntil: clock.now + 60_000 })
      await store.save('MBR-1', change(record, { expectedVersion: 2, status: 'done' }))
      expect(await store.get('MBR-1')).toMatchObject({ owner: null, leaseUntil: null })
    })
  })

  describe('history', () => {
    it('is append-only and ordered: seq 1, 2, 3… across create, save and append', async () => {
      const { store, clock } = setup()
      const { record } = await store.create(newRecord('MBR-1'), [{ type: 'started', data: { by: 'test' } }])
      clock.now += 5
      await store.save('MBR-1', change(record, { expectedVersion: 1, state: 'b' }), [
        { type: 'transition', data: { to: 'b' } },
        { type: 'prompt', data: { fields: ['login'] }, at: 42 },
      ])
      clock.now += 5
      const appended = await store.append('MBR-1', [{ type: 'webhook' }])
      expect(appended).toEqual([{ memberGuid: 'MBR-1', seq: 4, at: clock.now, type: 'webhook', data: null }])
      expect(await store.history('MBR-1')).toEqual([
        { memberGuid: 'MBR-1', seq: 1, at: 1_000_000, type: 'started', data: { by: 'test' } },
        { memberGuid: 'MBR-1', seq: 2, at: 1_000_005, type: 'transition', data: { to: 'b' } },
        { memberGuid: 'MBR-1', seq: 3, at: 42, type: 'prompt', data: { fields: ['login'] } },
        { memberGuid: 'MBR-1', seq: 4, at: 1_000_010, type: 'webhook', data: null },
      ])
      expect((await store.get('MBR-1'))!.version).toBe(2)
    })

    it('keeps each member separate and pages with afterSeq / limit', async () => {
      const { store } = setup()
      await store.create(newRecord('MBR-1'), [{ type: 'a' }, { type: 'b' }, { type: 'c' }])
      await store.create(newRecord('MBR-2'), [{ type: 'x' }])
      expect((await store.history('MBR-1', { afterSeq: 1, limit: 1 })).map((e) => e.type)).toEqual(['b'])
      expect((await store.history('MBR-1', { afterSeq: 3 })).map((e) => e.type)).toEqual([])
      expect((await store.history('MBR-2')).map((e) => [e.seq, e.type])).toEqual([[1, 'x']])
      expect(await store.history('MBR-none')).toEqual([])
    })

    it('append needs a record, and an empty append writes nothing', async () => {
      const { store } = setup()
      expect(await rejection(store.append('MBR-none', [{ type: 'a' }]))).toMatchObject({ reason: 'notFound' })
      expect(await rejection(store.append('MBR-none', []))).toMatchObject({ reason: 'notFound' })
      await store.create(newRecord('MBR-1'))
      expect(await store.append('MBR-1', [])).toEqual([])
      expect(await store.history('MBR-1')).toEqual([])
    })
  })

  describe('unfinished', () => {
    it('pages every unfinished record in code-point order of the guid, skipping done ones', async () => {
      const { store } = setup()
      // Non-ASCII guids: the order must be SQLite's (UTF-8 bytes), not JavaScript's UTF-16 order.
      const guids = [
        'MBR-b',
        'MBR-a',
        'MBR-\u{1F600}',
        'MBR-\uFF5E',
        'MBR-é',
        'MBR-Z',
        ...Array.from({ length: 20 }, (_, i) => `MBR-${i}`),
      ]
      for (const [i, guid] of guids.entries()) {
        await store.create(
          newRecord(guid, { status: i % 3 === 0 ? 'done' : i % 3 === 1 ? 'running' : 'waiting' }),
        )
      }
      const expected = guids
        .filter((_, i) => i % 3 !== 0)
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      const seen: string[] = []
      for await (const record of allUnfinished(store, 4)) seen.push(record.memberGuid)
      expect(seen).toEqual(expected)
      expect((await store.unfinished({ limit: 3 })).map((r) => r.memberGuid)).toEqual(expected.slice(0, 3))
      expect((await store.unfinished({ after: expected[2]!, limit: 2 })).map((r) => r.memberGuid)).toEqual(
        expected.slice(3, 5),
      )
      expect(await store.unfinished({ after: expected.at(-1)! })).toEqual([])
    })
  })

  describe('due and nextWake', () => {
    it('returns unfinished, unleased records woken by `at`, ordered by wakeAt then guid, limited', async () => {
      const { store } = setup()
      await store.create(newRecord('MBR-c', { status: 'waiting', wakeAt: 300 }))
      await store.create(newRecord('MBR-b', { status: 'waiting', wakeAt: 100 }))
      await store.create(newRecord('MBR-a', { status: 'waiting', wakeAt: 300 }))
      await store.create(newRecord('MBR-late', { status: 'waiting', wakeAt: 5000 }))
      await store.create(newRecord('MBR-never', { status: 'waiting', wakeAt: null }))
      await store.create(newRecord('MBR-done', { status: 'done', wakeAt: 50 }))
      await store.create(newRecord('MBR-running', { status: 'running', wakeAt: 200 }))
      expect((await store.due(1000, 10)).map((r) => r.memberGuid)).toEqual([
        'MBR-b',
        'MBR-running',
        'MBR-a',
        'MBR-c',
      ])
      expect((await store.due(1000, 2)).map((r) => r.memberGuid)).toEqual(['MBR-b', 'MBR-running'])
      expect((await store.due(99, 10)).map((r) => r.memberGuid)).toEqual([])
      expect(await store.nextWake()).toBe(100)
    })

    it('skips a leased record until its lease lapses', async () => {
      const { store } = setup()
      await store.create(newRecord('MBR-1', { status: 'running', wakeAt: 100 }))
      await store.create(newRecord('MBR-2', { status: 'waiting', wakeAt: 400 }))
      expect(await store.acquire('MBR-1', 'worker-a', 500, 0)).toBe(true)
      expect((await store.due(499, 10)).map((r) => r.memberGuid)).toEqual(['MBR-2'])
      expect((await store.due(500, 10)).map((r) => r.memberGuid)).toEqual(['MBR-1', 'MBR-2'])
      // Leased MBR-1 can wake at 500 (lease end); MBR-2 at 400.
      expect(await store.nextWake()).toBe(400)
      await store.release('MBR-2', 'nobody')
      expect(await store.acquire('MBR-2', 'worker-b', 1000, 0)).toBe(true)
      expect(await store.nextWake()).toBe(500)
    })

    it('nextWake is null when nothing unfinished has a wake-up time', async () => {
      const { store } = setup()
      expect(await store.nextWake()).toBeNull()
      await store.create(newRecord('MBR-1', { status: 'waiting', wakeAt: null }))
      await store.create(newRecord('MBR-2', { status: 'done', wakeAt: 10 }))
      expect(await store.nextWake()).toBeNull()
    })
  })

  describe('leases', () => {
    it('grants a member to one owner at a time, renews for the holder, and hands over after lapse', async () => {
      const { store } = setup()
      await store.create(newRecord('MBR-1'))
      expect(await store.acquire('MBR-1', 'worker-a', 1000, 0)).toBe(true)
      expect(await store.acquire('MBR-1', 'worker-b', 1000, 10)).toBe(false)
      expect(await store.acquire('MBR-1', 'worker-a', 1000, 500)).toBe(true)
      expect(await store.get('MBR-1')).toMatchObject({ owner: 'worker-a', leaseUntil: 1500, version: 1 })
      expect(await store.acquire('MBR-1', 'worker-b', 1000, 1499)).toBe(false)
      expect(await store.acquire('MBR-1', 'worker-b', 1000, 1500)).toBe(true)
      expect(await store.get('MBR-1')).toMatchObject({ owner: 'worker-b', leaseUntil: 2500 })
    })

    it('lets only the holder release, and then another owner acquire', async () => {
      const { store } = setup()
      await store.create(newRecord('MBR-1'))
      expect(await store.acquire('MBR-1', 'worker-a', 1000, 0)).toBe(true)
      await store.release('MBR-1', 'worker-b')
      expect(await store.acquire('MBR-1', 'worker-b', 1000, 1)).toBe(false)
      await store.release('MBR-1', 'worker-a')
      expect(await store.get('MBR-1')).toMatchObject({ owner: null, leaseUntil: null, version: 1 })
      expect(await store.acquire('MBR-1', 'worker-b', 1000, 2)).toBe(true)
      await store.release('MBR-none', 'worker-b')
    })

    it('races: of many owners acquiring at once, exactly one wins', async () => {
      const { store } = setup()
      await store.create(newRecord('MBR-1'))
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.acquire('MBR-1', `worker-${i}`, 1000, 0)),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
    })

    it('acquire uses the store clock by default and rejects unknown members', async () => {
      const { store, clock } = setup()
      await store.create(newRecord('MBR-1'))
      expect(await store.acquire('MBR-1', 'worker-a', 1000)).toBe(true)
      expect((await store.get('MBR-1'))!.leaseUntil).toBe(clock.now + 1000)
      expect(await rejection(store.acquire('MBR-none', 'worker-a', 1000))).toMatchObject({
        reason: 'notFound',
      })
    })
  })

  it('counts records per status', async () => {
    const { store } = setup()
    expect(await store.counts()).toEqual({ running: 0, waiting: 0, done: 0 })
    await store.create(newRecord('MBR-1', { status: 'running' }))
    await store.create(newRecord('MBR-2', { status: 'waiting' }))
    await store.create(newRecord('MBR-3', { status: 'waiting' }))
    await store.create(newRecord('MBR-4', { status: 'done' }))
    expect(await store.counts()).toEqual({ running: 1, waiting: 2, done: 1 })
  })

  it('after close, every call rejects with closed; close is idempotent', async () => {
    const { store } = setup()
    await store.create(newRecord('MBR-1'))
    await store.close()
    await store.close()
    for (const call of [
      () => store.get('MBR-1'),
      () => store.create(newRecord('MBR-2')),
      () => store.save('MBR-1', { ...newRecord('MBR-1'), expectedVersion: 1 }),
      () => store.counts(),
      () => store.due(0, 1),
    ]) {
      expect(await rejection(call())).toMatchObject({ _tag: 'StoreError', reason: 'closed' })
    }
  })
})
