import { fc, test as fcTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { StoreError } from '../../src/stores/index.js'
import type { LifecycleStore } from '../../src/stores/index.js'
import { change, newRecord, rejection, storeKinds, testClock, useTempDir } from './harness.js'

// "Bad input never loses or corrupts stored state" (issue): every bad input is refused with a typed
// StoreError before anything is written, and the stored row and history stay exactly as they were.

const dir = useTempDir()

class Money {
  constructor(readonly cents: number) {}
}

const cyclic: Record<string, unknown> = { a: 1 }
cyclic.self = cyclic

let deep: unknown = 'bottom'
for (let i = 0; i < 300; i++) deep = [deep]

/** Snapshots that are not plain JSON data, with the field the error must name. */
const BAD_SNAPSHOTS: readonly [string, unknown, string][] = [
  ['NaN', { context: { n: Number.NaN } }, 'update.snapshot.context.n'],
  ['Infinity', { n: Number.POSITIVE_INFINITY }, 'update.snapshot.n'],
  ['a function', { f: () => 1 }, 'update.snapshot.f'],
  ['a symbol', { s: Symbol('x') }, 'update.snapshot.s'],
  ['a bigint', { b: 10n }, 'update.snapshot.b'],
  ['a Date', { at: new Date(0) }, 'update.snapshot.at'],
  ['a Map', { m: new Map() }, 'update.snapshot.m'],
  ['a class instance', { price: new Money(5) }, 'update.snapshot.price'],
  ['an Error', { error: new Error('boom') }, 'update.snapshot.error'],
  ['undefined in an array', { list: [1, undefined] }, 'update.snapshot.list[1]'],
  ['a cycle', cyclic, 'update.snapshot.self'],
  ['nesting too deep', deep, 'update.snapshot'],
  ['undefined', undefined, 'update.snapshot'],
]

describe.each(storeKinds(dir))('$name store refuses bad input', (kind) => {
  async function seeded(): Promise<{ store: LifecycleStore; before: () => Promise<unknown> }> {
    const clock = testClock()
    const store = kind.open({ clock: clock.read, maxJsonBytes: 4096 })
    const { record } = await store.create(newRecord('MBR-1'), [{ type: 'started' }])
    await store.save('MBR-1', change(record, { state: 'b', status: 'waiting', wakeAt: 10 }), [{ type: 'b' }])
    await store.acquire('MBR-1', 'worker-a', 100, 0)
    const snapshot = async (): Promise<unknown> => ({
      record: await store.get('MBR-1'),
      history: await store.history('MBR-1'),
      counts: await store.counts(),
    })
    const initial = await snapshot()
    return { store, before: async () => expect(await snapshot()).toEqual(initial) }
  }

  const valid = change({ version: 2, state: 'c', status: 'waiting', wakeAt: 20, snapshot: { ok: true } })

  it.each(BAD_SNAPSHOTS)('a snapshot with %s', async (_name, snapshot, field) => {
    const { store, before } = await seeded()
    const error = await rejection(store.save('MBR-1', { ...valid, snapshot }))
    expect(error).toBeInstanceOf(StoreError)
    expect(error).toMatchObject({ reason: 'invalid', field: expect.stringContaining(field) as unknown })
    await before()
  })

  it.each<[string, Record<string, unknown>]>([
    ['a NaN wakeAt', { wakeAt: Number.NaN }],
    ['a fractional wakeAt', { wakeAt: 1.5 }],
    ['a negative wakeAt', { wakeAt: -1 }],
    ['a string wakeAt', { wakeAt: '2024-01-01' }],
    ['an unknown status', { status: 'paused' }],
    ['an empty state', { state: '' }],
    ['a state with a control character', { state: 'a\u0000b' }],
    ['expectedVersion 0', { expectedVersion: 0 }],
    ['a fractional expectedVersion', { expectedVersion: 1.5 }],
    ['a string expectedVersion', { expectedVersion: '2' }],
    ['a non-JSON outcome', { outcome: { n: Number.NaN } }],
  ])('an update with %s', async (_name, patch) => {
    const { store, before } = await seeded()
    expect(await rejection(store.save('MBR-1', { ...valid, ...patch }))).toMatchObject({ reason: 'invalid' })
    await before()
  })

  it.each<[string, unknown]>([
    ['not an array', { type: 'x' }],
    ['an entry without a type', [{ type: 'ok' }, { data: 1 }]],
    [
      'an entry with non-JSON data after a good one',
      [{ type: 'ok' }, { type: 'bad', data: { n: Number.NaN } }],
    ],
    ['an entry with a bad time', [{ type: 'ok', at: Number.NaN }]],
    ['an entry that is null', [null]],
  ])('history that is %s (on save and append)', async (_name, history) => {
    const { store, before } = await seeded()
    const error = await rejection(store.save('MBR-1', valid, history as never))
    expect(error).toMatchObject({ reason: 'invalid' })
    expect(await rejection(store.append('MBR-1', history as never))).toMatchObject({ reason: 'invalid' })
    await before()
  })

  it('a snapshot larger than maxJsonBytes', async () => {
    const { store, before } = await seeded()
    const error = await rejection(store.save('MBR-1', { ...valid, snapshot: { blob: 'x'.repeat(5000) } }))
    expect(error).toMatchObject({ reason: 'invalid', field: 'update.snapshot' })
    await before()
  })

  it.each<[string, unknown]>([
    ['an empty guid', ''],
    ['a guid with a newline', 'MBR-1\n'],
    ['a guid with a lone surrogate', 'MBR-\ud800'],
    ['a number guid', 42],
  ])('%s, on every operation', async (_name, guid) => {
    const { store, before } = await seeded()
    const g = guid as string
    for (const call of [
      () => store.get(g),
      () => store.create({ ...newRecord('x'), memberGuid: g }),
      () => store.save(g, valid),
      () => store.append(g, [{ type: 'x' }]),
      () => store.history(g),
      () => store.acquire(g, 'worker-a', 10, 0),
      () => store.release(g, 'worker-a'),
      () => store.unfinished({ after: g }),
    ]) {
      expect(await rejection(call())).toMatchObject({ _tag: 'StoreError', reason: 'invalid' })
    }
    await before()
  })

  it('bad create input writes no record', async () => {
    const { store, before } = await seeded()
    for (const bad of [
      { ...newRecord('MBR-2'), userId: '' },
      { ...newRecord('MBR-2'), status: 'bogus' },
      { ...newRecord('MBR-2'), wakeAt: Number.POSITIVE_INFINITY },
      { ...newRecord('MBR-2'), snapshot: new Map() },
      { ...newRecord('MBR-2'), outcome: () => 1 },
    ]) {
      expect(await rejection(store.create(bad as never, [{ type: 'never' }]))).toMatchObject({
        reason: 'invalid',
      })
    }
    expect(await rejection(store.create(newRecord('MBR-2'), [{ type: '' }]))).toMatchObject({
      reason: 'invalid',
    })
    expect(await store.get('MBR-2')).toBeUndefined()
    expect(await store.history('MBR-2')).toEqual([])
    await before()
  })

  it('bad lease, paging and due arguments', async () => {
    const { store, before } = await seeded()
    for (const call of [
      () => store.acquire('MBR-1', 'worker-b', 0, 200),
      () => store.acquire('MBR-1', 'worker-b', Number.NaN, 200),
      () => store.acquire('MBR-1', '', 10, 200),
      () => store.acquire('MBR-1', 'worker-b', 10, -5),
      () => store.acquire('MBR-1', 'worker-b', Number.MAX_SAFE_INTEGER, 200),
      () => store.release('MBR-1', ''),
      () => store.unfinished({ limit: 0 }),
      () => store.history('MBR-1', { afterSeq: -1 }),
      () => store.history('MBR-1', { limit: 1.5 }),
      () => store.due(Number.NaN, 10),
      () => store.due(10, 0),
    ]) {
      expect(await rejection(call())).toMatchObject({ reason: 'invalid' })
    }
    await before()
  })

  it('a broken clock (NaN) writes nothing', async () => {
    const store = kind.open({ clock: () => Number.NaN })
    expect(await rejection(store.create(newRecord('MBR-1')))).toMatchObject({
      reason: 'invalid',
      field: 'clock()',
    })
    expect(await store.get('MBR-1')).toBeUndefined()
  })

  it('error messages name the field, never the value', async () => {
    const { store } = await seeded()
    const error = await rejection(
      store.save('MBR-1', { ...valid, snapshot: { secretish: ['hunter2', Number.NaN] } }),
    )
    expect(error).toMatchObject({ field: 'update.snapshot.secretish[1]' })
    expect(String((error as Error).message)).not.toContain('hunter2')
  })

  fcTest.prop(
    [fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true })],
    {
      numRuns: 60,
    },
  )(
    'any value is either stored as its JSON or refused without a trace',
    async (snapshot) => {
      const store = kind.open({ clock: () => 5 })
      const { record } = await store.create(newRecord('MBR-1'))
      const result = await store.save('MBR-1', change(record, { snapshot })).then(
        (saved) => ({ saved }),
        (error: unknown) => ({ error }),
      )
      if ('saved' in result) {
        expect(result.saved).toEqual({ version: 2 })
        expect((await store.get('MBR-1'))!.snapshot).toEqual(JSON.parse(JSON.stringify(snapshot)))
      } else {
        expect(result.error).toMatchObject({ _tag: 'StoreError', reason: 'invalid' })
        expect(await store.get('MBR-1')).toEqual(record)
      }
      await store.close()
      // 60 stores, each a real database connection for postgres: generous on a loaded machine.
    },
    300_000,
  )
})
