import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach } from 'vitest'
import { memoryStore, sqliteStore } from '../../src/stores/index.js'
import type {
  LifecycleRecord,
  LifecycleStore,
  LifecycleUpdate,
  NewLifecycleRecord,
  StoreOptions,
} from '../../src/stores/index.js'
import { recyclingPgStores, useTestDatabase } from '../support/postgres.js'

/** A temp directory for this test file, removed after it. */
export function useTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mx-stores-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A hand-driven clock (house rule 7): tests move `now`, never sleep. */
export interface TestClock {
  now: number
  readonly read: () => number
}

export function testClock(start = 1_000_000): TestClock {
  const clock = {
    now: start,
    read: () => clock.now,
  }
  return clock
}

/** A way to make a fresh, empty store of one kind. */
export interface StoreKind {
  readonly name: 'memory' | 'sqlite' | 'postgres'
  open(options?: StoreOptions): LifecycleStore
}

let fileCounter = 0

/**
 * Every store: sqlite ones are real files in `dir`; postgres ones are empty schemas in this file's own
 * database on the test run's real server (test/support/postgres.ts). Stores opened here are closed after
 * each test.
 */
export function storeKinds(dir: string): readonly StoreKind[] {
  const opened: LifecycleStore[] = []
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()))
  })
  // Each store starts empty: a schema of its own, emptied and reused once the store is closed.
  const openPostgres = recyclingPgStores(useTestDatabase('stores'), 'store')
  const track = (store: LifecycleStore): LifecycleStore => {
    opened.push(store)
    return store
  }
  return [
    { name: 'memory', open: (options) => track(memoryStore(options)) },
    {
      name: 'sqlite',
      open: (options) => track(sqliteStore(join(dir, `store-${++fileCounter}.db`), options)),
    },
    {
      name: 'postgres',
      open: (options) => track(openPostgres(options)),
    },
  ]
}

/** A valid new record, with overrides. */
export function newRecord(
  memberGuid: string,
  overrides: Partial<NewLifecycleRecord> = {},
): NewLifecycleRecord {
  return {
    memberGuid,
    userId: 'user-1',
    state: 'loadingMember',
    status: 'running',
    wakeAt: null,
    snapshot: { status: 'active', value: 'loadingMember', context: { memberGuid, attempts: 0 } },
    ...overrides,
  }
}

/** Calls `operation` and returns its rejection (fails when it resolves). */
export async function rejection(operation: Promise<unknown>): Promise<unknown> {
  try {
    await operation
  } catch (error) {
    return error
  }
  throw new Error('expected the operation to reject')
}

/** A `save` update that keeps `record`'s state unless overridden (the outcome is left out: kept). */
export function change(
  record: Pick<LifecycleRecord, 'version' | 'state' | 'status' | 'wakeAt' | 'snapshot'>,
  overrides: Partial<LifecycleUpdate> = {},
): LifecycleUpdate {
  return {
    expectedVersion: record.version,
    state: record.state,
    status: record.status,
    wakeAt: record.wakeAt,
    snapshot: record.snapshot,
    ...overrides,
  }
}
