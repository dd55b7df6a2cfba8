import { StoreError } from './errors.js'
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

/** Parses a stored JSON column; unreadable text is a `corrupt` error naming the member, never a raw throw. */
function parse(text: string, memberGuid: string, field: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new StoreError({
      reason: 'corrupt',
      memberGuid,
      field,
      message: `member ${memberGuid}: stored ${field} is not valid JSON`,
    })
  }
}

export function toRecord(row: Row): LifecycleRecord {
  return {
    memberGuid: row.memberGuid,
    userId: row.userId,
    state: row.state,
    status: row.status,
    wakeAt: row.wakeAt,
    snapshot: parse(row.snapshot, row.memberGuid, 'snapshot'),
    outcome: row.outcome === null ? null : parse(row.outcome, row.memberGuid, 'outcome'),
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
    data: parse(row.data, row.memberGuid, `history[${row.seq}].data`),
  }
}
