import Database from 'better-sqlite3'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { allUnfinished, sqliteStore, StoreError } from '../../src/stores/index.js'
import type { LifecycleStore } from '../../src/stores/index.js'
import { findInFile } from '../support/scan-file.js'
import { change, newRecord, rejection, testClock, useTempDir } from './harness.js'

// What only the SQLite store has: a file that outlives the process, a recorded schema version, WAL, and
// bytes on disk that hold only what the store was given (docs/decisions/0004-stores.md).

const dir = useTempDir()
let n = 0
const freshPath = (): string => join(dir, `file-${++n}.db`)

function raw(path: string): Database.Database {
  return new Database(path)
}

function thrown(operation: () => unknown): unknown {
  try {
    operation()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

async function contents(store: LifecycleStore, guids: readonly string[]): Promise<unknown> {
  const unfinished = []
  for await (const record of allUnfinished(store, 2)) unfinished.push(record)
  return {
    records: await Promise.all(guids.map((g) => store.get(g))),
    histories: await Promise.all(guids.map((g) => store.history(g))),
    unfinished,
    due: await store.due(10_000_000, 100),
    nextWake: await store.nextWake(),
    counts: await store.counts(),
  }
}

describe('sqliteStore files', () => {
  it('keeps everything across close and reopen, and carries on from there', async () => {
    const path = freshPath()
    const clock = testClock()
    const store = sqliteStore(path, { clock: clock.read })
    const guids = ['MBR-1', 'MBR-2', 'MBR-3']
    for (const g of guids) await store.create(newRecord(g), [{ type: 'started', data: { g } }])
    const one = (await store.get('MBR-1'))!
    clock.now += 100
    await store.save('MBR-1', change(one, { state: 'mfa.awaiting', status: 'waiting', wakeAt: 2_000_000 }), [
      { type: 'prompt', data: { challenges: [{ guid: 'CRD-1', label: 'Favourite colour?' }] } },
    ])
    const two = (await store.get('MBR-2'))!
    await store.save('MBR-2', change(two, { status: 'done', outcome: { outcome: 'connected', attempts: 1 } }))
    await store.acquire('MBR-3', 'worker-a', 60_000)
    const before = await contents(store, guids)
    await store.close()

    const reopened = sqliteStore(path, { clock: clock.read })
    expect(await contents(reopened, guids)).toEqual(before)
    const saved = await reopened.save(
      'MBR-1',
      change((await reopened.get('MBR-1'))!, { state: 'mfa.resuming' }),
    )
    expect(saved.version).toBe(3)
    expect((await reopened.append('MBR-1', [{ type: 'note' }]))[0]!.seq).toBe(3)
    await reopened.close()
  })

  it('records the schema version and the app in meta, and runs in WAL mode', async () => {
    const path = freshPath()
    const store = sqliteStore(path)
    expect(store.schemaVersion).toBe(2)
    expect(store.path).toBe(path)
    await store.create(newRecord('MBR-1'))
    const db = raw(path)
    expect(db.prepare(`SELECT key, value FROM meta ORDER BY key`).all()).toEqual([
      { key: 'app', value: 'mx-reconnect' },
      { key: 'schema_version', value: '2' },
    ])
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
    await store.close()
  })

  it('refuses a file written by a newer schema version, and leaves it untouched', async () => {
    const path = freshPath()
    await sqliteStore(path).close()
    const db = raw(path)
    db.prepare(`UPDATE meta SET value = '3' WHERE key = 'schema_version'`).run()
    // A rollback-journal file: switching it to WAL before refusing would change its header bytes.
    db.pragma('journal_mode = DELETE')
    db.close()
    const bytes = readFileSync(path)

    const error = thrown(() => sqliteStore(path))
    expect(error).toBeInstanceOf(StoreError)
    expect(error).toMatchObject({ reason: 'schema', path })
    expect((error as Error).message).toContain(path)
    expect((error as Error).message).toMatch(
      /newer mx-reconnect \(schema version 3; this version reads up to 2\)/,
    )
    expect(readFileSync(path).equals(bytes)).toBe(true)
  })

  it('refuses a SQLite file that is not ours, and a file that is not a database', () => {
    const foreign = freshPath()
    const db = raw(foreign)
    db.exec(
      `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('schema_version', '1')`,
    )
    db.close()
    expect(thrown(() => sqliteStore(foreign))).toMatchObject({ reason: 'schema', path: foreign })

    const text = join(dir, 'notes.txt')
    writeFileSync(
      text,
      'this is not a database, it is a shopping list: eggs, milk, flour, sugar, butter\n'.repeat(40),
    )
    const before = readFileSync(text)
    const error = thrown(() => sqliteStore(text))
    expect(error).toMatchObject({ _tag: 'StoreError', reason: 'open', path: text, code: 'SQLITE_NOTADB' })
    expect((error as Error).message).toBe(`cannot open store ${text}: is not a SQLite database`)
    expect(readFileSync(text).equals(before)).toBe(true)
  })

  it('names the path when it cannot be opened', () => {
    const missingDir = join(dir, 'no-such-dir', 'store.db')
    const error = thrown(() => sqliteStore(missingDir))
    expect(error).toMatchObject({ _tag: 'StoreError', reason: 'open', path: missingDir })
    expect((error as Error).message).toContain(missingDir)

    const aDirectory = join(dir, 'a-directory')
    mkdirSync(aDirectory)
    expect(thrown(() => sqliteStore(aDirectory))).toMatchObject({ reason: 'open', path: aDirectory })
    expect(thrown(() => sqliteStore(''))).toMatchObject({ reason: 'open' })
  })

  it('adds its tables to an existing database without touching other tables', async () => {
    const path = freshPath()
    const db = raw(path)
    db.exec(
      `CREATE TABLE partner_things (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO partner_things VALUES (1, 'kept')`,
    )
    db.close()
    const store = sqliteStore(path)
    await store.create(newRecord('MBR-1'))
    await store.close()
    const check = raw(path)
    expect(check.prepare(`SELECT name FROM partner_things`).all()).toEqual([{ name: 'kept' }])
    check.close()
  })

  it('makes the history append-only in the file itself', async () => {
    const path = freshPath()
    const store = sqliteStore(path)
    await store.create(newRecord('MBR-1'), [{ type: 'started' }])
    const db = raw(path)
    expect(() => db.prepare(`UPDATE history SET type = 'rewritten'`).run()).toThrow(/append-only/)
    expect(() => db.prepare(`DELETE FROM history`).run()).toThrow(/append-only/)
    db.close()
    expect((await store.history('MBR-1')).map((e) => e.type)).toEqual(['started'])
    await store.close()
  })

  it('two connections to one file (two processes): compare-and-set and leases hold across them', async () => {
    const path = freshPath()
    const a = sqliteStore(path)
    const b = sqliteStore(path)
    const { record } = await a.create(newRecord('MBR-1'))
    expect((await b.create(newRecord('MBR-1'))).created).toBe(false)
    await b.save('MBR-1', change(record, { state: 'from-b' }))
    expect(await rejection(a.save('MBR-1', change(record, { state: 'from-a' })))).toMatchObject({
      reason: 'conflict',
      actualVersion: 2,
    })
    expect(await a.acquire('MBR-1', 'process-a', 10_000, 0)).toBe(true)
    expect(await b.acquire('MBR-1', 'process-b', 10_000, 1)).toBe(false)
    expect((await b.get('MBR-1'))!.state).toBe('from-b')
    await a.close()
    await b.close()
  })

  it('reports a lock held past the busy timeout as io / SQLITE_BUSY, and writes nothing', async () => {
    const path = freshPath()
    const store = sqliteStore(path, { busyTimeoutMs: 1 })
    const { record } = await store.create(newRecord('MBR-1'))
    const other = raw(path)
    other.exec('BEGIN IMMEDIATE')
    const error = await rejection(store.save('MBR-1', change(record, { state: 'blocked' }), [{ type: 'x' }]))
    expect(error).toMatchObject({ _tag: 'StoreError', reason: 'io', code: 'SQLITE_BUSY', path })
    other.exec('ROLLBACK')
    other.close()
    expect(await store.get('MBR-1')).toEqual(record)
    expect(await store.history('MBR-1')).toEqual([])
    await store.close()
  })

  it('holds only what it was given: markers are on disk, rejected input never is', async () => {
    const path = freshPath()
    const store = sqliteStore(path)
    for (let i = 0; i < 50; i++) {
      const { record } = await store.create(
        newRecord(`MBR-${i}`, { snapshot: { note: `GIVEN-SNAPSHOT-${i}` } }),
        [{ type: 'started', data: { note: `GIVEN-HISTORY-${i}` } }],
      )
      await store.save(
        `MBR-${i}`,
        change(record, { status: 'done', outcome: { note: `GIVEN-OUTCOME-${i}` } }),
      )
      // Refused inputs carrying a marker: one bad value sinks the whole write.
      await rejection(
        store.save(
          `MBR-${i}`,
          change(record, { expectedVersion: 2, snapshot: { note: `REFUSED-${i}`, n: Number.NaN } }),
        ),
      )
      await rejection(
        store.save(`MBR-${i}`, change(record, { expectedVersion: 2 }), [
          { type: 'ok', data: `REFUSED-HISTORY-${i}` },
          { type: 'bad', data: () => 1 },
        ]),
      )
      await rejection(
        store.create(
          newRecord(`MBR-refused-${i}`, { snapshot: { when: new Date(), note: `REFUSED-NEW-${i}` } }),
        ),
      )
    }
    const given = ['GIVEN-SNAPSHOT-7', 'GIVEN-HISTORY-49', 'GIVEN-OUTCOME-0', 'MBR-42']
    const refused = [
      'REFUSED-7',
      'REFUSED-HISTORY-3',
      'REFUSED-NEW-11',
      'MBR-refused-0',
      'a-string-never-given',
    ]
    // While open, the writes sit in the -wal file; after close they are checkpointed into the database.
    expect(await findInFile(path, [...given, ...refused])).toEqual(given)
    await store.close()
    expect(await findInFile(path, [...given, ...refused])).toEqual(given)
  })

  it('synchronous: full is accepted and stores the same', async () => {
    const path = freshPath()
    const store = sqliteStore(path, { synchronous: 'full' })
    await store.create(newRecord('MBR-1'))
    expect((await store.get('MBR-1'))!.version).toBe(1)
    await store.close()
  })
})
