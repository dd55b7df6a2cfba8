import { StoreError } from './errors.js'
import { settle } from './settle.js'
import {
  prepareAcquire,
  prepareAppend,
  prepareCreate,
  prepareDue,
  prepareHistoryQuery,
  preparePage,
  prepareSave,
} from './prepare.js'
import { prepareInstance, prepareQuarantine, prepareSweep, prepareTakeOver } from './prepare-durability.js'
import { toEntry, toRecord, type HistoryRow, type Row } from './row.js'
import {
  checkGuid,
  checkText,
  compareGuids,
  DEFAULT_MAX_JSON_BYTES,
  readClock,
  type PreparedHistory,
} from './validate.js'
import type {
  HistoryEntry,
  InstanceRecord,
  LifecycleCounts,
  LifecycleStore,
  QuarantineEntry,
  StoreOptions,
  SweepJournal,
} from './types.js'

// The in-process store for tests and one-shot runs (design/reconnector.md, "Stores"). It keeps JSON as text
// like SQLite does, validates everything before it mutates anything, and every method runs to completion
// synchronously inside its promise, so each operation is atomic exactly like one SQLite transaction.

/** True when `row` is due at `at`: unfinished, woken by then, and nobody holds a live lease. */
function isDue(row: Row, at: number): boolean {
  return (
    isOpen(row) &&
    row.wakeAt !== null &&
    row.wakeAt <= at &&
    (row.leaseUntil === null || row.leaseUntil <= at)
  )
}

/** A row kept in memory, with its quarantine mark (a column in SQLite). */
type MemoryRow = Row & { quarantined?: true }

/** Unfinished and not quarantined. */
function isOpen(row: MemoryRow): boolean {
  return row.status !== 'done' && row.quarantined !== true
}

/**
 * A `LifecycleStore` held in memory: nothing survives the process. Behaves exactly like `sqliteStore`.
 *
 * @example
 * ```ts
 * const store = memoryStore()
 * await store.create({ memberGuid: 'MBR-1', userId: 'u-1', state: 'loadingMember', status: 'running', wakeAt: null, snapshot: {} })
 * ```
 */
export function memoryStore(options: StoreOptions = {}): LifecycleStore {
  const clock = options.clock ?? Date.now
  const maxBytes = options.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES
  const rows = new Map<string, MemoryRow>()
  const instances = new Map<string, InstanceRecord>()
  const sweeps = new Map<string, SweepJournal>()
  const quarantine = new Map<string, QuarantineEntry>()
  const histories = new Map<string, HistoryRow[]>()
  /** Every guid, in code-point order for keyset paging, once `pending` is merged in. */
  let sorted: string[] = []
  /** Guids created since the last page was read: merged in (sorted, O(n + k log k)) on the next page. */
  let pending: string[] = []
  let closed = false

  /** `sorted` with every created guid in it (creates stay O(1); a splice per create is quadratic). */
  function ordered(): string[] {
    if (pending.length === 0) return sorted
    const added = pending.sort(compareGuids)
    pending = []
    const merged: string[] = new Array<string>(sorted.length + added.length)
    let i = 0
    let j = 0
    let k = 0
    while (i < sorted.length && j < added.length)
      merged[k++] = compareGuids(sorted[i]!, added[j]!) <= 0 ? sorted[i++]! : added[j++]!
    while (i < sorted.length) merged[k++] = sorted[i++]!
    while (j < added.length) merged[k++] = added[j++]!
    sorted = merged
    return sorted
  }

  function open(): void {
    if (closed) throw new StoreError({ reason: 'closed', message: 'the memory store is closed' })
  }

  /** The index of the first guid in `sorted` that sorts after `guid` (or at it, when `inclusive`). */
  function position(guid: string, inclusive: boolean): number {
    const sorted = ordered()
    let lo = 0
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const order = compareGuids(sorted[mid]!, guid)
      if (order < 0 || (order === 0 && !inclusive)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  function appendRows(row: Row, entries: readonly PreparedHistory[]): HistoryEntry[] {
    const list = histories.get(row.memberGuid) ?? []
    histories.set(row.memberGuid, list)
    return entries.map((entry) => {
      row.lastSeq += 1
      const stored: HistoryRow = { memberGuid: row.memberGuid, seq: row.lastSeq, ...entry }
      list.push(stored)
      return toEntry(stored)
    })
  }

  function leasedElsewhere(memberGuid: string): StoreError {
    return new StoreError({
      reason: 'conflict',
      field: 'owner',
      memberGuid,
      message: `member ${memberGuid} is leased to another holder`,
    })
  }

  function notFound(memberGuid: string): StoreError {
    return new StoreError({
      reason: 'notFound',
      memberGuid,
      message: `no lifecycle stored for member ${memberGuid}`,
    })
  }

  return {
    get: (memberGuid) =>
      settle(() => {
        open()
        const row = rows.get(checkGuid(memberGuid))
        return row === undefined ? undefined : toRecord(row)
      }),

    create: (record, history, lease) =>
      settle(() => {
        open()
        const now = readClock(clock)
        const input = prepareCreate(record, history, now, maxBytes, lease)
        const existing = rows.get(input.memberGuid)
        if (existing !== undefined) return { created: false, record: toRecord(existing) }
        const row: Row = {
          memberGuid: input.memberGuid,
          userId: input.userId,
          state: input.state,
          status: input.status,
          wakeAt: input.wakeAt,
          snapshot: input.snapshot,
          outcome: input.outcome,
          owner: input.owner,
          leaseUntil: input.leaseUntil,
          version: 1,
          createdAt: now,
          updatedAt: now,
          lastSeq: 0,
        }
        rows.set(row.memberGuid, row)
        pending.push(row.memberGuid)
        appendRows(row, input.history)
        return { created: true, record: toRecord(row) }
      }),

    save: (memberGuid, update, history) =>
      settle(() => {
        open()
        const now = readClock(clock)
        const input = prepareSave(memberGuid, update, history, now, maxBytes)
        const row = rows.get(input.memberGuid)
        if (row === undefined) throw notFound(input.memberGuid)
        if (row.version !== input.expectedVersion) {
          throw new StoreError({
            reason: 'conflict',
            memberGuid: input.memberGuid,
            expectedVersion: input.expectedVersion,
            actualVersion: row.version,
            message: `member ${input.memberGuid} is at version ${row.version}, not ${input.expectedVersion}`,
          })
        }
        if (input.expectedOwner !== null && row.owner !== input.expectedOwner)
          throw leasedElsewhere(input.memberGuid)
        row.state = input.state
        row.status = input.status
        row.wakeAt = input.wakeAt
        row.snapshot = input.snapshot
        if (input.outcome !== undefined) row.outcome = input.outcome
        row.version += 1
        row.updatedAt = now
        if (input.status === 'done') {
          row.owner = null
          row.leaseUntil = null
        }
        appendRows(row, input.history)
        return { version: row.version }
      }),

    append: (memberGuid, history) =>
      settle(() => {
        open()
        const input = prepareAppend(memberGuid, history, readClock(clock), maxBytes)
        const row = rows.get(input.memberGuid)
        if (row === undefined) throw notFound(input.memberGuid)
        return appendRows(row, input.history)
      }),

    history: (memberGuid, options) =>
      settle(() => {
        open()
        const query = prepareHistoryQuery(memberGuid, options)
        const list = (histories.get(query.memberGuid) ?? []).filter((entry) => entry.seq > query.afterSeq)
        return (query.limit === null ? list : list.slice(0, query.limit)).map(toEntry)
      }),

    unfinished: (options) =>
      settle(() => {
        open()
        const page = preparePage(options)
        const out = []
        for (let i = position(page.after, false); i < sorted.length && out.length < page.limit; i++) {
          const row = rows.get(sorted[i]!)!
          if (isOpen(row)) out.push(toRecord(row))
        }
        return out
      }),

    due: (at, limit) =>
      settle(() => {
        open()
        const query = prepareDue(at, limit)
        return [...rows.values()]
          .filter((row) => isDue(row, query.at))
          .sort((a, b) => a.wakeAt! - b.wakeAt! || compareGuids(a.memberGuid, b.memberGuid))
          .slice(0, query.limit)
          .map(toRecord)
      }),

    nextWake: () =>
      settle(() => {
        open()
        let next: number | null = null
        for (const row of rows.values()) {
          if (!isOpen(row) || row.wakeAt === null) continue
          const at = Math.max(row.wakeAt, row.leaseUntil ?? 0)
          if (next === null || at < next) next = at
        }
        return next
      }),

    acquire: (memberGuid, owner, leaseMs, now) =>
      settle(() => {
        open()
        const lease = prepareAcquire(memberGuid, owner, leaseMs, now ?? readClock(clock))
        const row = rows.get(lease.memberGuid)
        if (row === undefined) throw notFound(lease.memberGuid)
        if (row.owner !== null && row.owner !== lease.owner && row.leaseUntil! > lease.now) return false
        row.owner = lease.owner
        row.leaseUntil = lease.until
        return true
      }),

    release: (memberGuid, owner) =>
      settle(() => {
        open()
        const row = rows.get(checkGuid(memberGuid))
        const who = checkText(owner, 'owner', undefined, memberGuid)
        if (row !== undefined && row.owner === who) {
          row.owner = null
          row.leaseUntil = null
        }
      }),

    unfinishedGuids: (options) =>
      settle(() => {
        open()
        const page = preparePage(options)
        const out: string[] = []
        for (let i = position(page.after, false); i < sorted.length && out.length < page.limit; i++) {
          if (isOpen(rows.get(sorted[i]!)!)) out.push(sorted[i]!)
        }
        return out
      }),

    registerInstance: (instance) =>
      settle(() => {
        open()
        const checked = prepareInstance(instance)
        instances.set(checked.id, checked)
      }),

    instance: (id) =>
      settle(() => {
        open()
        const found = instances.get(checkText(id, 'id'))
        return found === undefined ? undefined : { ...found }
      }),

    removeInstance: (id) =>
      settle(() => {
        open()
        instances.delete(checkText(id, 'id'))
      }),

    takeOver: (memberGuid, from, to, leaseMs, now) =>
      settle(() => {
        open()
        const move = prepareTakeOver(memberGuid, from, to)
        const lease = prepareAcquire(move.memberGuid, move.to, leaseMs, now ?? readClock(clock))
        const row = rows.get(move.memberGuid)
        if (row === undefined) throw notFound(move.memberGuid)
        if (row.owner !== move.from) return false
        row.owner = lease.owner
        row.leaseUntil = lease.until
        return true
      }),

    openSweep: (sweep) =>
      settle(() => {
        open()
        const checked = prepareSweep(sweep)
        if (!sweeps.has(checked.id)) sweeps.set(checked.id, checked)
      }),

    openSweeps: () =>
      settle(() => {
        open()
        return [...sweeps.values()]
          .sort((a, b) => a.startedAt - b.startedAt)
          .map((s) => ({ ...s, members: s.members.map((m) => ({ ...m })) }))
      }),

    closeSweep: (id) =>
      settle(() => {
        open()
        sweeps.delete(checkText(id, 'id'))
      }),

    quarantine: (memberGuid, reason) =>
      settle(() => {
        open()
        const entry = prepareQuarantine(memberGuid, reason)
        const row = rows.get(entry.memberGuid)
        if (row === undefined) throw notFound(entry.memberGuid)
        row.quarantined = true
        row.owner = null
        row.leaseUntil = null
        quarantine.set(entry.memberGuid, { ...entry, at: readClock(clock) })
      }),

    quarantined: () =>
      settle(() => {
        open()
        return [...quarantine.values()]
          .sort((a, b) => compareGuids(a.memberGuid, b.memberGuid))
          .map((q) => ({ ...q }))
      }),

    counts: () =>
      settle((): LifecycleCounts => {
        open()
        const counts = { running: 0, waiting: 0, done: 0 }
        for (const row of rows.values()) counts[row.status] += 1
        return counts
      }),

    close: () =>
      settle(() => {
        closed = true
      }),
  }
}
