import Database from 'better-sqlite3'
import { StoreError } from './errors.js'
import {
  prepareAcquire,
  prepareAppend,
  prepareCreate,
  prepareDue,
  prepareHistoryQuery,
  preparePage,
  prepareSave,
  type PreparedCreate,
  type PreparedSave,
} from './prepare.js'
import { toEntry, toRecord, type HistoryRow, type Row } from './row.js'
import { settle } from './settle.js'
import { createBatch } from './sqlite-batch.js'
import { bindDurability } from './sqlite-durability.js'
import { SCHEMA_VERSION, migrate, readSchemaVersion, refuseNewer } from './sqlite-schema.js'
import { checkGuid, checkText, DEFAULT_MAX_JSON_BYTES, readClock, type PreparedHistory } from './validate.js'
import type { HistoryEntry, LifecycleCounts, LifecycleStore, SaveResult, StoreOptions } from './types.js'

// The embedded default store (design/reconnector.md, "Stores"): better-sqlite3 12, WAL, prepared statements,
// group commit (one transaction per event-loop turn, sqlite-batch.ts). Durability choices are in
// docs/decisions/0004-stores.md and 0010-store-write-path.md.

/**
 * Options for `sqliteStore`.
 *
 * @example
 * ```ts
 * const options: SqliteStoreOptions = { synchronous: 'full', busyTimeoutMs: 10_000 }
 * const store = sqliteStore('./mx-reconnect.db', options)
 * ```
 */
export interface SqliteStoreOptions extends StoreOptions {
  /**
   * `normal` (default): with WAL, a committed transaction survives a crash of the process (SIGKILL), and
   * the file is never corrupted; only an OS crash or power cut can roll back the last commits.
   * `full`: also fsync the WAL on every commit, surviving power loss, at a large cost per save.
   */
  readonly synchronous?: 'normal' | 'full'
  /** How long a write waits for another connection's lock before failing with `io` / `SQLITE_BUSY`. Default 5000. */
  readonly busyTimeoutMs?: number
}

/**
 * A `LifecycleStore` in a SQLite file.
 *
 * @example
 * ```ts
 * const store: SqliteLifecycleStore = sqliteStore('./mx-reconnect.db')
 * console.log(store.path, `schema version ${store.schemaVersion}`)
 * ```
 */
export interface SqliteLifecycleStore extends LifecycleStore {
  /** The database file, as given. */
  readonly path: string
  /** The schema version of the open file. */
  readonly schemaVersion: number
}

const COLUMNS = `member_guid AS memberGuid, user_id AS userId, state, status, wake_at AS wakeAt, snapshot, outcome,
  owner, lease_until AS leaseUntil, version, created_at AS createdAt, updated_at AS updatedAt, last_seq AS lastSeq`

function sqliteCode(error: unknown): string | undefined {
  return error instanceof Database.SqliteError ? error.code : undefined
}

function openError(path: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error
  const code = sqliteCode(error)
  const why =
    code === 'SQLITE_NOTADB'
      ? 'is not a SQLite database'
      : error instanceof Error
        ? error.message
        : 'could not be opened'
  return new StoreError({ reason: 'open', path, code, message: `cannot open store ${path}: ${why}` })
}

/**
 * A `LifecycleStore` in a SQLite file (created and migrated on open; WAL mode). Throws `StoreError`
 * (`open` / `schema`) at once when the path cannot be opened or holds a newer or foreign schema.
 *
 * @example
 * ```ts
 * const store = sqliteStore('./mx-reconnect.db')
 * const { record } = await store.create({ memberGuid: 'MBR-1', userId: 'u-1', state: 'loadingMember', status: 'running', wakeAt: null, snapshot: {} })
 * await store.save('MBR-1', { expectedVersion: record.version, state: 'done', status: 'done', wakeAt: null, snapshot: {}, outcome: { outcome: 'connected' } })
 * await store.close()
 * ```
 */
export function sqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteLifecycleStore {
  if (typeof path !== 'string' || path.length === 0) {
    throw new StoreError({ reason: 'open', path: String(path), message: 'sqliteStore needs a file path' })
  }
  const clock = options.clock ?? Date.now
  const maxBytes = options.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES
  let db: Database.Database
  try {
    db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 })
  } catch (error) {
    throw openError(path, error)
  }
  try {
    // Refuse a newer or foreign file before touching it (not even switching its journal mode).
    refuseNewer(readSchemaVersion(db, path), path)
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    migrate(db, path)
  } catch (error) {
    db.close()
    throw openError(path, error)
  }
  return bind(db, path, clock, maxBytes)
}

function bind(
  db: Database.Database,
  path: string,
  clock: () => number,
  maxBytes: number,
): SqliteLifecycleStore {
  const stmt = {
    get: db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM lifecycles WHERE member_guid = ?`),
    insert: db.prepare(
      `INSERT INTO lifecycles (member_guid, user_id, state, status, wake_at, snapshot, outcome, owner, lease_until,
         version, created_at, updated_at, last_seq)
       VALUES (@memberGuid, @userId, @state, @status, @wakeAt, @snapshot, @outcome, @owner, @leaseUntil, 1, @now, @now,
         @historyCount)
       ON CONFLICT (member_guid) DO NOTHING`,
    ),
    // Only the version (and the history position) come back: the caller has the rest (issue 15).
    save: db.prepare<Record<string, unknown>, { version: number; lastSeq: number }>(
      `UPDATE lifecycles SET state = @state, status = @status, wake_at = @wakeAt, snapshot = @snapshot,
         outcome = CASE WHEN @keepOutcome THEN outcome ELSE @outcome END,
         version = version + 1, updated_at = @now, last_seq = last_seq + @historyCount,
         owner = CASE WHEN @status = 'done' THEN NULL ELSE owner END,
         lease_until = CASE WHEN @status = 'done' THEN NULL ELSE lease_until END
       WHERE member_guid = @memberGuid AND version = @expectedVersion
         AND (@expectedOwner IS NULL OR owner = @expectedOwner)
       RETURNING version, last_seq AS lastSeq`,
    ),
    version: db.prepare<[string], { version: number }>(
      `SELECT version FROM lifecycles WHERE member_guid = ?`,
    ),
    bumpSeq: db.prepare<[number, string], { lastSeq: number }>(
      `UPDATE lifecycles SET last_seq = last_seq + ? WHERE member_guid = ? RETURNING last_seq AS lastSeq`,
    ),
    insertHistory: db.prepare<[string, number, number, string, string]>(
      `INSERT INTO history (member_guid, seq, at, type, data) VALUES (?, ?, ?, ?, ?)`,
    ),
    history: db.prepare<[string, number, number], HistoryRow>(
      `SELECT member_guid AS memberGuid, seq, at, type, data FROM history
       WHERE member_guid = ? AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    unfinished: db.prepare<[string, number], Row>(
      `SELECT ${COLUMNS} FROM lifecycles WHERE status <> 'done' AND quarantined = 0 AND member_guid > ?
       ORDER BY member_guid LIMIT ?`,
    ),
    due: db.prepare<{ at: number; limit: number }, Row>(
      `SELECT ${COLUMNS} FROM lifecycles
       WHERE status <> 'done' AND quarantined = 0 AND wake_at IS NOT NULL AND wake_at <= @at
         AND (lease_until IS NULL OR lease_until <= @at)
       ORDER BY wake_at, member_guid LIMIT @limit`,
    ),
    // Two cheap queries instead of one scan: unleased wake-ups come in index order (first row wins);
    // leased rows are few (the live lifecycles), and wake when both their time and their lease are up.
    nextUnleased: db.prepare<[], { t: number }>(
      `SELECT wake_at AS t FROM lifecycles
       WHERE status <> 'done' AND quarantined = 0 AND wake_at IS NOT NULL AND owner IS NULL
       ORDER BY wake_at LIMIT 1`,
    ),
    nextLeased: db.prepare<[], { t: number | null }>(
      `SELECT MIN(MAX(wake_at, lease_until)) AS t FROM lifecycles
       WHERE owner IS NOT NULL AND status <> 'done' AND quarantined = 0 AND wake_at IS NOT NULL`,
    ),
    acquire: db.prepare<{ memberGuid: string; owner: string; now: number; until: number }>(
      `UPDATE lifecycles SET owner = @owner, lease_until = @until
       WHERE member_guid = @memberGuid AND (owner IS NULL OR owner = @owner OR lease_until <= @now)`,
    ),
    exists: db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM lifecycles WHERE member_guid = ?`),
    release: db.prepare<[string, string]>(
      `UPDATE lifecycles SET owner = NULL, lease_until = NULL WHERE member_guid = ? AND owner = ?`,
    ),
    counts: db.prepare<[], { status: keyof LifecycleCounts; n: number }>(
      `SELECT status, COUNT(*) AS n FROM lifecycles GROUP BY status`,
    ),
  }

  let closed = false

  /** A SQLite failure as the store's `io` error; store errors pass through. */
  function fail(error: unknown): StoreError {
    if (error instanceof StoreError) return error
    return new StoreError({
      reason: 'io',
      path,
      code: sqliteCode(error),
      message: `store ${path} failed: ${error instanceof Error ? error.message : 'unknown error'}`,
    })
  }

  const batch = createBatch({ db, fail })
  const closedError = () => new StoreError({ reason: 'closed', path, message: `the store ${path} is closed` })

  /**
   * A write: `prepare` validates the input now (a bad call rejects at once and is never queued) and returns
   * the operation, which runs in the next group commit; the promise settles once that has committed.
   */
  function write<T>(prepare: () => () => T): Promise<T> {
    let operation: () => T
    try {
      if (closed) throw closedError()
      operation = prepare()
    } catch (error) {
      return Promise.reject(fail(error))
    }
    return batch.write(operation)
  }

  /** A read (in call order: behind any write still waiting for its commit). */
  function read<T>(operation: () => T): Promise<T> {
    if (closed) return Promise.reject(closedError())
    return batch.read(operation)
  }

  function notFound(memberGuid: string): StoreError {
    return new StoreError({
      reason: 'notFound',
      memberGuid,
      message: `no lifecycle stored for member ${memberGuid}`,
    })
  }

  /** Appends entries after `lastSeq` (already reserved in the row by the caller's update). */
  function insertHistory(
    memberGuid: string,
    lastSeq: number,
    entries: readonly PreparedHistory[],
  ): HistoryEntry[] {
    const first = lastSeq - entries.length + 1
    return entries.map((entry, i) => {
      const row: HistoryRow = { memberGuid, seq: first + i, ...entry }
      stmt.insertHistory.run(memberGuid, row.seq, row.at, row.type, row.data)
      return toEntry(row)
    })
  }

  function insertRows(memberGuid: string, lastSeq: number, entries: readonly PreparedHistory[]): void {
    const first = lastSeq - entries.length + 1
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!
      stmt.insertHistory.run(memberGuid, first + i, entry.at, entry.type, entry.data)
    }
  }

  // Inside the group commit these run in a savepoint each, so one that fails half-way leaves nothing.
  const createTx = db.transaction((input: PreparedCreate, now: number) => {
    const inserted =
      stmt.insert.run({
        memberGuid: input.memberGuid,
        userId: input.userId,
        state: input.state,
        status: input.status,
        wakeAt: input.wakeAt,
        snapshot: input.snapshot,
        outcome: input.outcome,
        owner: input.owner,
        leaseUntil: input.leaseUntil,
        historyCount: input.history.length,
        now,
      }).changes === 1
    if (!inserted) return { created: false, record: toRecord(stmt.get.get(input.memberGuid)!) }
    insertRows(input.memberGuid, input.history.length, input.history)
    const row: Row = { ...input, version: 1, createdAt: now, updatedAt: now, lastSeq: input.history.length }
    return { created: true, record: toRecord(row) }
  })

  function saveConflict(input: PreparedSave): StoreError {
    const current = stmt.version.get(input.memberGuid)
    if (current === undefined) return notFound(input.memberGuid)
    if (current.version === input.expectedVersion)
      return new StoreError({
        reason: 'conflict',
        field: 'owner',
        memberGuid: input.memberGuid,
        message: `member ${input.memberGuid} is leased to another holder`,
      })
    return new StoreError({
      reason: 'conflict',
      memberGuid: input.memberGuid,
      expectedVersion: input.expectedVersion,
      actualVersion: current.version,
      message: `member ${input.memberGuid} is at version ${current.version}, not ${input.expectedVersion}`,
    })
  }

  function saveNow(input: PreparedSave, now: number): SaveResult {
    const row = stmt.save.get({
      memberGuid: input.memberGuid,
      expectedVersion: input.expectedVersion,
      expectedOwner: input.expectedOwner,
      state: input.state,
      status: input.status,
      wakeAt: input.wakeAt,
      snapshot: input.snapshot,
      keepOutcome: input.outcome === undefined ? 1 : 0,
      outcome: input.outcome ?? null,
      historyCount: input.history.length,
      now,
    })
    if (row === undefined) throw saveConflict(input)
    insertRows(input.memberGuid, row.lastSeq, input.history)
    return { version: row.version }
  }
  const saveTx = db.transaction(saveNow)

  const appendTx = db.transaction((memberGuid: string, entries: readonly PreparedHistory[]) => {
    const bumped = stmt.bumpSeq.get(entries.length, memberGuid)
    if (bumped === undefined) throw notFound(memberGuid)
    return insertHistory(memberGuid, bumped.lastSeq, entries)
  })

  return {
    path,
    schemaVersion: SCHEMA_VERSION,
    ...bindDurability(db, (operation) => write(() => operation), clock, notFound),

    get: (memberGuid) =>
      read(() => {
        const row = stmt.get.get(checkGuid(memberGuid))
        return row === undefined ? undefined : toRecord(row)
      }),

    create: (record, history, lease) =>
      write(() => {
        const now = readClock(clock)
        const input = prepareCreate(record, history, now, maxBytes, lease)
        return () => createTx(input, now)
      }),

    save: (memberGuid, update, history) =>
      write(() => {
        const now = readClock(clock)
        const input = prepareSave(memberGuid, update, history, now, maxBytes)
        // One statement needs no savepoint; with history rows, the savepoint keeps them with the update.
        return input.history.length === 0 ? () => saveNow(input, now) : () => saveTx(input, now)
      }),

    append: (memberGuid, history) =>
      write(() => {
        const input = prepareAppend(memberGuid, history, readClock(clock), maxBytes)
        if (input.history.length === 0)
          return () => {
            if (stmt.exists.get(input.memberGuid) === undefined) throw notFound(input.memberGuid)
            return []
          }
        return () => appendTx(input.memberGuid, input.history)
      }),

    history: (memberGuid, options) =>
      read(() => {
        const query = prepareHistoryQuery(memberGuid, options)
        // LIMIT -1: no limit.
        return stmt.history.all(query.memberGuid, query.afterSeq, query.limit ?? -1).map(toEntry)
      }),

    unfinished: (options) =>
      read(() => {
        const page = preparePage(options)
        return stmt.unfinished.all(page.after, page.limit).map(toRecord)
      }),

    due: (at, limit) => read(() => stmt.due.all(prepareDue(at, limit)).map(toRecord)),

    nextWake: () =>
      read(() => {
        const unleased = stmt.nextUnleased.get()?.t ?? null
        const leased = stmt.nextLeased.get()?.t ?? null
        if (unleased === null) return leased
        return leased === null ? unleased : Math.min(unleased, leased)
      }),

    acquire: (memberGuid, owner, leaseMs, now) =>
      write(() => {
        const lease = prepareAcquire(memberGuid, owner, leaseMs, now ?? readClock(clock))
        return () => {
          if (stmt.acquire.run(lease).changes === 1) return true
          if (stmt.exists.get(lease.memberGuid) === undefined) throw notFound(lease.memberGuid)
          return false
        }
      }),

    release: (memberGuid, owner) =>
      write(() => {
        const guid = checkGuid(memberGuid)
        const holder = checkText(owner, 'owner', undefined, guid)
        return () => void stmt.release.run(guid, holder)
      }),

    counts: () =>
      read(() => {
        const counts = { running: 0, waiting: 0, done: 0 }
        for (const row of stmt.counts.all()) counts[row.status] = row.n
        return counts
      }),

    close: () => {
      if (closed) return Promise.resolve()
      closed = true
      return settle(() => {
        // What was asked before the close is committed first.
        batch.flush()
        db.close()
      })
    },
  }
}
