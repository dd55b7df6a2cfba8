import fc from 'fast-check'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { memoryStore, sqliteStore, StoreError } from '../../src/stores/index.js'
import type { LifecycleStatus, LifecycleStore } from '../../src/stores/index.js'
import { recyclingPgStores, useTestDatabase } from '../support/postgres.js'
import { useTempDir } from './harness.js'

// Model-based test: random command sequences run against memoryStore (the model) and sqliteStore or
// postgresStore (the real thing) side by side; every answer, value or error, must be the same (design:
// the stores are identical).

const dir = useTempDir()
const openPostgres = recyclingPgStores(useTestDatabase('model'), 'model')

interface Pair {
  readonly memory: LifecycleStore
  /** The store under test (SQLite or PostgreSQL). */
  readonly real: LifecycleStore
  readonly kind: string
  readonly clock: { now: number }
}

/** An outcome both stores can be compared on: the value, or the error's data (message included). */
async function outcome(operation: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await operation() }
  } catch (error) {
    if (!(error instanceof StoreError)) throw error
    const { reason, message, field, memberGuid, expectedVersion, actualVersion } = error
    return { error: { reason, message, field, memberGuid, expectedVersion, actualVersion } }
  }
}

/** Runs the same call on both stores and fails when they answer differently. */
async function same(
  pair: Pair,
  name: string,
  call: (store: LifecycleStore) => Promise<unknown>,
): Promise<void> {
  const expected = await outcome(() => call(pair.memory))
  const actual = await outcome(() => call(pair.real))
  expect(actual, `${name}: ${pair.kind} differs from memory`).toStrictEqual(expected)
}

// Few guids and owners, so commands collide; non-ASCII guids check the shared sort order.
const GUIDS = ['MBR-a', 'MBR-B', 'MBR-b', 'MBR-é', 'MBR-\u{1F600}', 'MBR-\uFF5E']
const guid = fc.constantFrom(...GUIDS)
const owner = fc.constantFrom('worker-1', 'worker-2')
const status = fc.constantFrom<LifecycleStatus>('running', 'waiting', 'done')
// Coarse times, so wake-ups tie (ordering falls to the guid) and leases lapse exactly at `due`'s `at`.
const time = fc.integer({ min: 0, max: 20 }).map((n) => n * 100)
const wakeAt = fc.option(
  fc.integer({ min: 0, max: 5 }).map((n) => n * 100),
  { nil: null },
)
const json = fc.jsonValue({ maxDepth: 2 })
/** Mostly JSON; sometimes a value a store must refuse. */
const snapshot = fc.oneof(
  { weight: 19, arbitrary: json },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(Number.NaN, new Date(0), { f: [undefined] }, undefined) },
)
const history = fc.array(
  fc.record({
    // '' is refused: one bad entry must sink the whole operation.
    type: fc.oneof(
      { weight: 30, arbitrary: fc.constantFrom('transition', 'prompt') },
      { weight: 1, arbitrary: fc.constant('') },
    ),
    data: fc.option(json, { nil: undefined }),
  }),
  { maxLength: 2 },
)
/** undefined: the member's current version (a save that should win); a number: a guess (often a conflict). */
const expectedVersion = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 }) },
)

type Step = fc.AsyncCommand<Pair, Pair>

function step(name: string, run: (pair: Pair) => Promise<void>): Step {
  return { check: () => true, run: (_model, pair) => run(pair), toString: () => name }
}

const create = fc
  .tuple(guid, status, wakeAt, snapshot, history)
  .map(([g, s, w, snap, h]) =>
    step(`create(${g}, ${s}, ${w})`, (pair) =>
      same(pair, 'create', (store) =>
        store.create(
          { memberGuid: g, userId: 'u', state: `st-${s}`, status: s, wakeAt: w, snapshot: snap },
          h,
        ),
      ),
    ),
  )

const save = fc
  .tuple(guid, expectedVersion, status, wakeAt, snapshot, history, fc.option(json, { nil: undefined }))
  .map(([g, v, s, w, snap, h, out]) =>
    step(`save(${g}, v=${v ?? 'current'}, ${s}, ${w})`, async (pair) => {
      const current = (await pair.memory.get(g))?.version ?? 1
      const update = { expectedVersion: v ?? current, state: `st-${s}`, status: s, wakeAt: w, snapshot: snap }
      await same(pair, 'save', (store) =>
        store.save(g, out === undefined ? update : { ...update, outcome: out }, h),
      )
    }),
  )

const acquire = fc
  .tuple(guid, owner, fc.integer({ min: 1, max: 5 }))
  .map(([g, o, n]) =>
    step(`acquire(${g}, ${o}, ${n * 100})`, (pair) =>
      same(pair, 'acquire', (s) => s.acquire(g, o, n * 100, pair.clock.now)),
    ),
  )

// Writes appear several times: fc.commands picks uniformly among the entries.
const commands = [
  create,
  create,
  save,
  save,
  save,
  acquire,
  acquire,
  fc
    .tuple(guid, history)
    .map(([g, h]) =>
      step(`append(${g}, ${h.length})`, (pair) => same(pair, 'append', (s) => s.append(g, h))),
    ),
  fc
    .tuple(guid, owner)
    .map(([g, o]) => step(`release(${g}, ${o})`, (pair) => same(pair, 'release', (s) => s.release(g, o)))),
  fc.integer({ min: 1, max: 4 }).map((n) =>
    step(`tick(${n * 100})`, (pair) => {
      pair.clock.now += n * 100
      return Promise.resolve()
    }),
  ),
  guid.map((g) => step(`get(${g})`, (pair) => same(pair, 'get', (s) => s.get(g)))),
  fc
    .tuple(guid, fc.nat(4), fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }))
    .map(([g, after, limit]) =>
      step(`history(${g}, ${after}, ${limit})`, (pair) =>
        same(pair, 'history', (s) =>
          s.history(g, limit === undefined ? { afterSeq: after } : { afterSeq: after, limit }),
        ),
      ),
    ),
  fc
    .tuple(fc.option(guid, { nil: undefined }), fc.integer({ min: 1, max: 4 }))
    .map(([after, limit]) =>
      step(`unfinished(${after}, ${limit})`, (pair) =>
        same(pair, 'unfinished', (s) => s.unfinished(after === undefined ? { limit } : { after, limit })),
      ),
    ),
  fc
    .tuple(time, fc.integer({ min: 1, max: 4 }))
    .map(([at, limit]) => step(`due(${at}, ${limit})`, (pair) => same(pair, 'due', (s) => s.due(at, limit)))),
  fc.constant(step('nextWake()', (pair) => same(pair, 'nextWake', (s) => s.nextWake()))),
  fc.constant(step('counts()', (pair) => same(pair, 'counts', (s) => s.counts()))),
]

let run = 0

const REAL = [
  {
    kind: 'sqlite',
    open: (clock: () => number) => sqliteStore(join(dir, `model-${++run}.db`), { clock }),
    runs: 100,
  },
  {
    // An empty schema per run (emptied and reused); fewer runs: every command is a network round trip.
    kind: 'postgres',
    open: (clock: () => number) => openPostgres({ clock }),
    runs: 25,
  },
] as const

describe.each(REAL)('$kind store behaves exactly like memoryStore', ({ kind, open, runs }) => {
  it('on random command sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 80, size: 'large' }), async (cmds) => {
        const clock = { now: 0 }
        const read = (): number => clock.now
        const pair: Pair = { memory: memoryStore({ clock: read }), real: open(read), kind, clock }
        try {
          await fc.asyncModelRun(() => ({ model: pair, real: pair }), cmds)
          // Whatever happened, both end with the same full contents.
          for (const g of GUIDS) {
            await same(pair, 'final get', (s) => s.get(g))
            await same(pair, 'final history', (s) => s.history(g))
          }
        } finally {
          await pair.memory.close()
          await pair.real.close()
        }
      }),
      { numRuns: runs },
    )
    // Generous: many runs of 80 commands each, on a machine shared with other test files.
  }, 300_000)
})
