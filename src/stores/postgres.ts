import type pg from 'pg'
import { StoreError } from './errors.js'
import {
  prepareAcquire,
  prepareAppend,
  prepareCreate,
  prepareDue,
  prepareHistoryQuery,
  preparePage,
  prepareSave,
} from './prepare.js'
import { bindPgDurability } from './postgres-durability.js'
import { checkPgUrl, createPool, ioError, openError, redactUrl } from './postgres-pool.js'
import { DEFAULT_PG_SCHEMA, migratePg, PG_SCHEMA_VERSION, pgTables } from './postgres-schema.js'
import { coreSql } from './postgres-sql.js'
import { toEntry, toRecord, type HistoryRow, type Row } from './row.js'
import { checkGuid, checkText, DEFAULT_MAX_JSON_BYTES, readClock, type PreparedHistory } from './validate.js'
import type { LifecycleCounts, LifecycleStore, StoreOptions } from './types.js'

// The shared store for many workers (design/reconnector.md, "Stores"; issue 16): PostgreSQL through a pg
// Pool, one statement per state change, compare-and-set on the version and leases in the row, exactly the
// contract of the memory and SQLite stores. Schema and migration choices: docs/decisions/0010-postgres-store.md.

/**
 * Options for `postgresStore`.
 *
 * @example
 * ```ts
 * const options: PostgresStoreOptions = { schema: 'mx_reconnect', maxConnections: 20, applicationName: 'payments-api' }
 * const store = postgresStore(process.env.DATABASE_URL!, options)
 * ```
 */
export interface PostgresStoreOptions extends StoreOptions {
  /** The PostgreSQL schema (namespace) holding the tables; created on first open. Default `mx_reconnect`. */
  readonly schema?: string
  /** Most connections the store's pool opens at once. Default 10. */
  readonly maxConnections?: number
  /** How long to wait for a connection before failing (ms). Default 10,000. */
  readonly connectionTimeoutMs?: number
  /** `application_name` shown in `pg_stat_activity`. Default `mx-reconnect`. */
  readonly applicationName?: string
}

/**
 * A `LifecycleStore` in PostgreSQL.
 *
 * @example
 * ```ts
 * const store: PostgresLifecycleStore = postgresStore(process.env.DATABASE_URL!)
 * await store.ready() // fail early on a bad URL or password
 * console.log(`storing lifecycles in ${store.description}, schema ${store.schema}`)
 * ```
 */
export interface PostgresLifecycleStore extends LifecycleStore {
  /** The server and database, without the password: `postgres://user@host:5432/db`. */
  readonly description: string
  /** The PostgreSQL schema the tables are in. */
  readonly schema: string
  /** The schema version this code writes (the database is at it once `ready()` resolves). */
  readonly schemaVersion: number
  /**
   * Resolves once the server answered and the schema is migrated; rejects with `StoreError` `open`
   * (cannot connect, bad credentials) or `schema` (a newer or foreign schema). Every other method waits
   * for it first, so calling it is only needed to fail early (e.g. a CLI checking its `--store`).
   */
  ready(): Promise<void>
}

function notFound(memberGuid: string): StoreError {
  return new StoreError({
    reason: 'notFound',
    memberGuid,
    message: `no lifecycle stored for member ${memberGuid}`,
  })
}

/** The three arrays a history insert takes. */
function historyArrays(entries: readonly PreparedHistory[]): [number[], string[], string[]] {
  return [entries.map((e) => e.at), entries.map((e) => e.type), entries.map((e) => e.data)]
}

/** The entries as stored after `lastSeq` was reserved for them. */
function entriesAfter(memberGuid: string, lastSeq: number, entries: readonly PreparedHistory[]) {
  const first = lastSeq - entries.length + 1
  return entries.map((entry, i) => toEntry({ memberGuid, seq: first + i, ...entry }))
}

/**
 * A `LifecycleStore` in PostgreSQL 12+ at `url` (`postgres://user:password@host:port/database`). Returns at
 * once; the pool connects and creates or migrates the schema in the background, and every call waits for
 * that. `ready()` reports a database that cannot be opened. `close()` ends the pool.
 *
 * @example
 * ```ts
 * const store = postgresStore(process.env.DATABASE_URL!)
 * await store.ready()
 * const { record } = await store.create({ memberGuid: 'MBR-1', userId: 'u-1', state: 'loadingMember', status: 'running', wakeAt: null, snapshot: {} })
 * await store.save('MBR-1', { expectedVersion: record.version, state: 'done', status: 'done', wakeAt: null, snapshot: {}, outcome: { outcome: 'connected' } })
 * await store.close()
 * ```
 */
export function postgresStore(url: string, options: PostgresStoreOptions = {}): PostgresLifecycleStore {
  const where = redactUrl(checkPgUrl(url))
  const tables = pgTables(options.schema ?? DEFAULT_PG_SCHEMA)
  const clock = options.clock ?? Date.now
  const maxBytes = options.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES
  const pool = createPool({
    url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMs: options.connectionTimeoutMs ?? 10_000,
    applicationName: options.applicationName ?? 'mx-reconnect',
  })
  const sql = coreSql(tables)

  const opening: Promise<void> = (async () => {
    const client = await pool.connect()
    try {
      const encoding = await client.query<{ server_encoding: string }>('SHOW server_encoding')
      if (encoding.rows[0]?.server_encoding !== 'UTF8')
        throw new StoreError({
          reason: 'open',
          path: where,
          message: `cannot open store ${where}: the database must be UTF8`,
        })
      await migratePg(client, tables, where)
    } finally {
      client.release()
    }
  })().catch((error: unknown) => {
    throw openError(where, error)
  })
  // A store nobody calls must not crash the process with an unhandled rejection.
  opening.catch(() => undefined)

  let closed = false
  let ending: Promise<void> | undefined

  /** Runs one operation: refuses after close, waits for the schema, turns pg failures into `io`. */
  async function run<T>(operation: () => Promise<T>): Promise<T> {
    if (closed)
      throw new StoreError({ reason: 'closed', path: where, message: `the store ${where} is closed` })
    await opening
    try {
      return await operation()
    } catch (error) {
      throw ioError(where, error)
    }
  }

  async function rows<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    return (await pool.query<R>(text, values)).rows
  }

  return {
    description: where,
    schema: tables.schema,
    schemaVersion: PG_SCHEMA_VERSION,
    ready: () => (closed ? run(() => Promise.resolve()) : opening),
    ...bindPgDurability(pool, tables, run, clock, notFound),

    get: (memberGuid) =>
      run(async () => {
        const [row] = await rows<Row>(sql.get, [checkGuid(memberGuid)])
        return row === undefined ? undefined : toRecord(row)
      }),

    create: (record, history, lease) =>
      run(async () => {
        const now = readClock(clock)
        const input = prepareCreate(record, history, now, maxBytes, lease)
        const [row] = await rows<Row>(sql.create, [
          input.memberGuid,
          input.userId,
          input.state,
          input.status,
          input.wakeAt,
          input.snapshot,
          input.outcome,
          now,
          input.history.length,
          ...historyArrays(input.history),
          input.owner,
          input.leaseUntil,
        ])
        if (row !== undefined) return { created: true, record: toRecord(row) }
        const [existing] = await rows<Row>(sql.get, [input.memberGuid])
        return { created: false, record: toRecord(existing!) }
      }),

    save: (memberGuid, update, history) =>
      run(async () => {
        const now = readClock(clock)
        const input = prepareSave(memberGuid, update, history, now, maxBytes)
        const [saved] = await rows<{ version: number }>(sql.save, [
          input.memberGuid,
          input.expectedVersion,
          input.expectedOwner,
          input.state,
          input.status,
          input.wakeAt,
          input.snapshot,
          input.outcome === undefined,
          input.outcome ?? null,
          now,
          input.history.length,
          ...historyArrays(input.history),
        ])
        if (saved !== undefined) return { version: saved.version }
        const [current] = await rows<{ version: number }>(sql.version, [input.memberGuid])
        if (current === undefined) throw notFound(input.memberGuid)
        if (current.version === input.expectedVersion)
          throw new StoreError({
            reason: 'conflict',
            field: 'owner',
            memberGuid: input.memberGuid,
            message: `member ${input.memberGuid} is leased to another holder`,
          })
        throw new StoreError({
          reason: 'conflict',
          memberGuid: input.memberGuid,
          expectedVersion: input.expectedVersion,
          actualVersion: current.version,
          message: `member ${input.memberGuid} is at version ${current.version}, not ${input.expectedVersion}`,
        })
      }),

    append: (memberGuid, history) =>
      run(async () => {
        const input = prepareAppend(memberGuid, history, readClock(clock), maxBytes)
        if (input.history.length === 0) {
          if ((await rows(sql.exists, [input.memberGuid])).length === 0) throw notFound(input.memberGuid)
          return []
        }
        const [bumped] = await rows<{ lastSeq: number }>(sql.append, [
          input.memberGuid,
          input.history.length,
          ...historyArrays(input.history),
        ])
        if (bumped === undefined) throw notFound(input.memberGuid)
        return entriesAfter(input.memberGuid, bumped.lastSeq, input.history)
      }),

    history: (memberGuid, options) =>
      run(async () => {
        const query = prepareHistoryQuery(memberGuid, options)
        const found = await rows<HistoryRow>(sql.history, [query.memberGuid, query.afterSeq, query.limit])
        return found.map(toEntry)
      }),

    unfinished: (options) =>
      run(async () => {
        const page = preparePage(options)
        return (await rows<Row>(sql.unfinished, [page.after, page.limit])).map(toRecord)
      }),

    due: (at, limit) =>
      run(async () => {
        const query = prepareDue(at, limit)
        return (await rows<Row>(sql.due, [query.at, query.limit])).map(toRecord)
      }),

    nextWake: () => run(async () => (await rows<{ t: number | null }>(sql.nextWake, []))[0]?.t ?? null),

    acquire: (memberGuid, owner, leaseMs, now) =>
      run(async () => {
        const lease = prepareAcquire(memberGuid, owner, leaseMs, now ?? readClock(clock))
        const result = await pool.query(sql.acquire, [lease.memberGuid, lease.owner, lease.now, lease.until])
        if (result.rowCount === 1) return true
        if ((await rows(sql.exists, [lease.memberGuid])).length === 0) throw notFound(lease.memberGuid)
        return false
      }),

    release: (memberGuid, owner) =>
      run(async () => {
        const guid = checkGuid(memberGuid)
        await pool.query(sql.release, [guid, checkText(owner, 'owner', undefined, guid)])
      }),

    counts: () =>
      run(async () => {
        const counts: Record<keyof LifecycleCounts, number> = { running: 0, waiting: 0, done: 0 }
        for (const row of await rows<{ status: keyof LifecycleCounts; n: number }>(sql.counts, []))
          counts[row.status] = row.n
        return counts
      }),

    close: () => {
      if (ending === undefined) {
        closed = true
        // Let the opening finish (or fail) first, so its connection is back in the pool before it ends.
        ending = opening.catch(() => undefined).then(() => pool.end())
      }
      return ending
    },
  }
}
