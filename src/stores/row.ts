import type { HistoryEntry, LifecycleRecord, LifecycleStatus } from './types.js'

// The stored shape both stores share: JSON fields kept as text, so the memory store hands out fresh copies
// exactly as SQLite does (same normalisation: undefined properties dropped, -0 written as 0).

/** A lifecycle row as stored (SQLite selects its columns under these names). */
export interface Row {
  memberGuid: string
  userId: string
  state: string
  status: LifecycleStatus
  wakeAt: number | null
  snapshot: string
  outcome: string | null
  owner: string | null
  leaseUntil: number | null
  version: number
  createdAt: number
  updatedAt: number
  /** The last history seq handed out for this member. */
  lastSeq: number
}

/** A history row as stored. */
export interface HistoryRow {
  memberGuid: string
  seq: number
  at: number
  type: string
  data: string
}

export function toRecord(row: Row): LifecycleRecord {
  return {
    memberGuid: row.memberGuid,
    userId: row.userId,
    state: row.state,
    status: row.status,
    wakeAt: row.wakeAt,
    snapshot: JSON.parse(row.snapshot) as unknown,
    outcome: row.outcome === null ? null : (JSON.parse(row.outcome) as unknown),
    owner: row.owner,
    leaseUntil: row.leaseUntil,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

export function toEntry(row: HistoryRow): HistoryEntry {
  return {
    memberGuid: row.memberGuid,
    seq: row.seq,
    at: row.at,
    type: row.type,
    data: JSON.parse(row.data) as unknown,
  }
}
