import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { postgresStore, StoreError } from '../../src/stores/index.js'
import type { PostgresLifecycleStore, PostgresStoreOptions } from '../../src/stores/index.js'
import { useTestDatabase, withClient } from '../support/postgres.js'
import { change, newRecord, rejection } from './harness.js'

// What only the PostgreSQL store has (docs/decisions/0010-postgres-store.md): a shared server many
// processes open at once, versioned migrations under an advisory lock, a schema of its own, and a pool.
// The shared contract suites (contract, durability, validation, model) run against it as well.

const database = useTestDatabase('pg_store')
let n = 0
const opened: PostgresLifecycleStore[] = []

/** A store on a fresh schema (or the one given), closed after the test. */
function open(options: PostgresStoreOptions = {}, url = database()): PostgresLifecycleStore {
  const store = postgresStore(url, { schema: `s_${++n}`, ...options })
  opened.push(store)
  return store
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()))
})

const sql = <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
  withClient(database(), async (client) => (await client.query<T>(text, values)).rows)

describe('postgresStore schema', () => {
  it('creates its tables in its own schema and records the version it wrote', async () => {
    const store = open({ schema: 'mx_reconnect' })
    await store.ready()
    expect(store.schemaVersion).toBe(1)
    expect(store.schema).toBe('mx_reconnect')
    expect(await sql(`SELECT version::int, app FROM mx_reconnect.schema_version`)).toEqual([
      { version: 1, app: 'mx-reconnect' },
    ])
    const tables = await sql<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'mx_reconnect' ORDER BY 1`,
    )
    expect(tables.map((t) => t.table_name)).toEqual([
      'history',
      'instances',
      'lifecycles',
      'quarantine',
      'schema_version',
      'sweep_members',
      'sweeps',
    ])
    // Nothing lands in public.
    expect(
      await sql(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`),
    ).toEqual([])
  })

  it('several processes opening one new schema at once migrate it exactly once', async () => {
    const schema = `race_${++n}`
    const stores = Array.from({ length: 6 }, () => open({ schema }))
    await Promise.all(stores.map((store) => store.ready()))
    expect(await sql(`SELECT count(*)::int AS n FROM ${schema}.schema_version`)).toEqual([{ n: 1 }])
    await Promise.all(stores.map((store, i) => store.create(newRecord(`MBR-${i}`))))
    expect((await stores[0]!.counts()).running).toBe(6)
  })

  it('keeps everything across close and reopen', async () => {
    const first = open({ schema: 'reopen' })
    const { record } = await first.create(newRecord('MBR-1'), [{ type: 'started' }])
    await first.save('MBR-1', change(record, { state: 'next', status: 'waiting', wakeAt: 5 }), [
      { type: 'moved' },
    ])
    await first.close()
    const again = open({ schema: 'reopen' })
    expect(await again.get('MBR-1')).toMatchObject({
      state: 'next',
      status: 'waiting',
      wakeAt: 5,
      version: 2,
    })
    expect((await again.history('MBR-1')).map((e) => e.type)).toEqual(['started', 'moved'])
    expect(await sql(`SELECT count(*)::int AS n FROM reopen.schema_version`)).toEqual([{ n: 1 }])
  })

  it('refuses a schema written by a newer version, and leaves it untouched', async () => {
    const store = open({ schema: 'newer' })
    await store.create(newRecord('MBR-1'))
    await sql(`INSERT INTO newer.schema_version (version, app, applied_at) VALUES (99, 'mx-reconnect', 0)`)
    const later = open({ schema: 'newer' })
    const error = await rejection(later.ready())
    expect(error).toBeInstanceOf(StoreError)
    expect(error).toMatchObject({ reason: 'schema' })
    expect((error as StoreError).message).toMatch(
      /newer mx-reconnect \(schema version 99; this version reads up to 1\)/,
    )
    expect(await rejection(later.get('MBR-1'))).toMatchObject({ reason: 'schema' })
    expect(await sql(`SELECT member_guid FROM newer.lifecycles`)).toEqual([{ member_guid: 'MBR-1' }])
  })

  it('refuses a schema that is not ours, without touching it', async () => {
    await sql(`CREATE SCHEMA theirs; CREATE TABLE theirs.lifecycles (id int)`)
    expect(await rejection(open({ schema: 'theirs' }).ready())).toMatchObject({
      reason: 'schema',
      message: expect.stringMatching(/schema theirs is not an mx-reconnect store/) as unknown,
    })
    await sql(`CREATE SCHEMA other_app; CREATE TABLE other_app.schema_version (id int)`)
    expect(await rejection(open({ schema: 'other_app' }).ready())).toMatchObject({ reason: 'schema' })
    await sql(`CREATE SCHEMA named; CREATE TABLE named.schema_version (version bigint, app text, applied_at bigint);
      INSERT INTO named.schema_version VALUES (1, 'another-app', 0)`)
    expect(await rejection(open({ schema: 'named' }).ready())).toMatchObject({ reason: 'schema' })
    expect(await sql(`SELECT count(*)::int AS n FROM theirs.lifecycles`)).toEqual([{ n: 0 }])
  })

  it('takes only plain lower-case schema names (it quotes them itself)', () => {
    for (const schema of ['', 'Upper', 'a-b', 'x"; DROP TABLE y; --', '1abc', 'a'.repeat(64), 'pg_x']) {
      let thrown: unknown
      try {
        postgresStore(database(), { schema })
      } catch (error) {
        thrown = error
      }
      expect(thrown, schema).toMatchObject({ _tag: 'StoreError', reason: 'invalid', field: 'schema' })
    }
  })

  it('makes the history append-only in the database itself', async () => {
    const store = open({ schema: 'appendonly' })
    await store.create(newRecord('MBR-1'), [{ type: 'started' }])
    await expect(sql(`UPDATE appendonly.history SET type = 'forged'`)).rejects.toThrow(
      /history is append-only/,
    )
    await expect(sql(`DELETE FROM appendonly.history`)).rejects.toThrow(/history is append-only/)
    expect((await store.history('MBR-1')).map((e) => e.type)).toEqual(['started'])
  })
})

describe('postgresStore rows', () => {
  it('a row with invalid JSON is a corrupt error naming its member, and can be quarantined', async () => {
    const store = open({ schema: 'corrupt' })
    await store.create(newRecord('MBR-ok'))
    await store.create(newRecord('MBR-bad'))
    await sql(`UPDATE corrupt.lifecycles SET snapshot = '{"broken' WHERE member_guid = 'MBR-bad'`)
    const error = await rejection(store.get('MBR-bad'))
    expect(error).toBeInstanceOf(StoreError)
    expect(error).toMatchObject({ reason: 'corrupt', memberGuid: 'MBR-bad', field: 'snapshot' })
    expect(await store.unfinishedGuids()).toEqual(['MBR-bad', 'MBR-ok'])
    await store.quarantine('MBR-bad', 'unreadable')
    expect(await store.unfinishedGuids()).toEqual(['MBR-ok'])
    expect((await store.unfinished()).map((r) => r.memberGuid)).toEqual(['MBR-ok'])
    expect(await store.quarantined()).toMatchObject([{ memberGuid: 'MBR-bad', reason: 'unreadable' }])
  })

  it('two processes (two pools) on one schema: compare-and-set and leases hold across them', async () => {
    const a = open({ schema: 'shared' })
    const b = open({ schema: 'shared' })
    const { record } = await a.create(newRecord('MBR-1'))
    expect((await b.create(newRecord('MBR-1'))).created).toBe(false)
    const results = await Promise.allSettled([
      a.save('MBR-1', change(record, { state: 'from-a' })),
      b.save('MBR-1', change(record, { state: 'from-b' })),
    ])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect((await a.get('MBR-1'))?.version).toBe(2)
    const leases = await Promise.all([
      a.acquire('MBR-1', 'a/1', 60_000, 0),
      b.acquire('MBR-1', 'b/1', 60_000, 0),
    ])
    expect(leases.filter(Boolean)).toHaveLength(1)
  })

  it('writes exactly what it was given: JSON text byte for byte, times as bigint', async () => {
    const store = open({ schema: 'bytes' })
    const snapshot = { z: 1, a: [true, null, 'é\u0000\u{1F600}'], n: -0, big: 2 ** 53 - 1 }
    await store.create(newRecord('MBR-1', { snapshot, wakeAt: 2 ** 53 - 1 }))
    const [row] = await sql<{ snapshot: string; wake_at: string }>(
      `SELECT snapshot, wake_at::text FROM bytes.lifecycles WHERE member_guid = 'MBR-1'`,
    )
    expect(row).toEqual({ snapshot: JSON.stringify(snapshot), wake_at: String(2 ** 53 - 1) })
    expect((await store.get('MBR-1'))?.snapshot).toEqual({ ...snapshot, n: 0 })
    expect((await store.get('MBR-1'))?.wakeAt).toBe(2 ** 53 - 1)
  })

  it('a failure in the database is io with its SQLSTATE, and writes nothing', async () => {
    const store = open({ schema: 'failing' })
    const { record } = await store.create(newRecord('MBR-1'))
    await sql(`ALTER TABLE failing.lifecycles ADD CONSTRAINT no_forbidden CHECK (state <> 'forbidden')`)
    const error = await rejection(
      store.save('MBR-1', change(record, { state: 'forbidden' }), [{ type: 'x' }]),
    )
    expect(error).toMatchObject({ _tag: 'StoreError', reason: 'io', code: '23514' })
    expect((error as StoreError).message).toMatch(/^store postgres:\/\/\S+ failed: .*no_forbidden/)
    expect(await store.get('MBR-1')).toEqual(record)
    expect(await store.history('MBR-1')).toEqual([])
  })

  it('journals a sweep without members', async () => {
    const store = open()
    await store.openSweep({ id: 'empty', holder: 'h', startedAt: 1, members: [] })
    expect(await store.openSweeps()).toEqual([{ id: 'empty', holder: 'h', startedAt: 1, members: [] }])
  })

  it("leaves pg's global type parsers alone (other pg users, e.g. pg-boss, keep bigint as text)", async () => {
    const store = open()
    await store.create(newRecord('MBR-1'))
    expect((await store.get('MBR-1'))?.version).toBe(1)
    expect(await sql(`SELECT 5::bigint AS five`)).toEqual([{ five: '5' }])
  })
})

describe('postgresStore connections', () => {
  it('a server that does not answer: ready() and every call reject with open, naming no password', async () => {
    const store = open({}, 'postgres://mx:not-a-real-pw@127.0.0.1:1/mx')
    const error = await rejection(store.ready())
    expect(error).toMatchObject({ _tag: 'StoreError', reason: 'open', path: 'postgres://mx@127.0.0.1:1/mx' })
    expect((error as StoreError).message).toMatch(
      /^cannot open store postgres:\/\/mx@127\.0\.0\.1:1\/mx: .*ECONNREFUSED/,
    )
    expect(JSON.stringify(error)).not.toContain('not-a-real-pw')
    expect(await rejection(store.get('MBR-1'))).toMatchObject({ reason: 'open' })
    await store.close()
    // localhost may be two addresses (::1 and 127.0.0.1): still one line, still no password.
    const both = open({}, 'postgres://mx:not-a-real-pw@localhost:1/mx')
    const twice = await rejection(both.ready())
    expect(twice).toMatchObject({ reason: 'open', path: 'postgres://mx@localhost:1/mx' })
    expect((twice as StoreError).message).toMatch(
      /^cannot open store postgres:\/\/mx@localhost:1\/mx: .*ECONNREFUSED[^\n]*$/,
    )
    expect(await rejection(store.get('MBR-1'))).toMatchObject({ reason: 'closed' })
  })

  it('refuses a URL that is not postgres://, without echoing it', () => {
    for (const url of ['', 'mysql://u:pw@h/db', 'postgres:/nohost', 'postgres://u:pw@[bad/db', undefined]) {
      let thrown: unknown
      try {
        postgresStore(url as string)
      } catch (error) {
        thrown = error
      }
      expect(thrown, String(url)).toMatchObject({ _tag: 'StoreError', reason: 'open' })
      expect(JSON.stringify(thrown)).not.toContain('pw@')
    }
  })

  it('close() ends the pool: no connection of the store stays open on the server', async () => {
    const name = `mxr-close-${++n}`
    const store = open({ applicationName: name })
    await Promise.all(Array.from({ length: 5 }, (_, i) => store.create(newRecord(`MBR-${i}`))))
    const count = async () =>
      (
        await sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`,
          [name],
        )
      )[0]!.n
    expect(await count()).toBeGreaterThan(0)
    await store.close()
    // The server drops a backend shortly after its client hangs up: wait for it, bounded generously.
    await expect.poll(count, { timeout: 10_000, interval: 50 }).toBe(0)
    expect(await rejection(store.counts())).toMatchObject({ reason: 'closed' })
    await store.close()
  })
})
