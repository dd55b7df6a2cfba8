import { StoreError } from './errors.js'
import {
  checkGuid,
  checkNonNegative,
  checkOptionalTime,
  checkPositive,
  checkState,
  checkStatus,
  checkText,
  checkTime,
  prepareHistory,
  toJson,
  type PreparedHistory,
} from './validate.js'
import type { LifecycleStatus } from './types.js'

// Turns each operation's input into checked, serialised values, once, for every store: the stores then
// only decide and write, so they cannot disagree on what is valid (design: "identical" stores).

/** Default page size for `unfinished`. */
export const DEFAULT_PAGE = 1000

export interface PreparedCreate {
  readonly memberGuid: string
  readonly userId: string
  readonly state: string
  readonly status: LifecycleStatus
  readonly wakeAt: number | null
  readonly snapshot: string
  readonly outcome: string | null
  readonly history: readonly PreparedHistory[]
  /** The lease a created row starts with, or null. */
  readonly owner: string | null
  readonly leaseUntil: number | null
}

export interface PreparedSave {
  readonly memberGuid: string
  readonly expectedVersion: number
  /** null: any holder (or none). */
  readonly expectedOwner: string | null
  readonly state: string
  readonly status: LifecycleStatus
  readonly wakeAt: number | null
  readonly snapshot: string
  /** undefined: keep the stored outcome. */
  readonly outcome: string | null | undefined
  readonly history: readonly PreparedHistory[]
}

function object(value: unknown, field: string, memberGuid?: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StoreError({ reason: 'invalid', field, message: `${field}: must be an object`, memberGuid })
  }
  return value as Record<string, unknown>
}

function snapshotJson(value: unknown, field: string, maxBytes: number, memberGuid: string): string {
  if (value === undefined) {
    throw new StoreError({ reason: 'invalid', field, message: `${field}: is required`, memberGuid })
  }
  return toJson(value, field, maxBytes, memberGuid)
}

export function prepareCreate(
  record: unknown,
  history: unknown,
  now: number,
  maxBytes: number,
  lease?: unknown,
): PreparedCreate {
  const r = object(record, 'record')
  const memberGuid = checkGuid(r.memberGuid, 'record.memberGuid')
  const leased = lease === undefined ? undefined : object(lease, 'lease', memberGuid)
  const held =
    leased === undefined
      ? undefined
      : prepareAcquire(
          memberGuid,
          leased.owner,
          leased.leaseMs,
          leased.now ?? now,
          'lease.owner',
          'lease.leaseMs',
        )
  return {
    owner: held?.owner ?? null,
    leaseUntil: held?.until ?? null,
    memberGuid,
    userId: checkText(r.userId, 'record.userId', undefined, memberGuid),
    state: checkState(r.state, 'record.state', memberGuid),
    status: checkStatus(r.status, 'record.status', memberGuid),
    wakeAt: checkOptionalTime(r.wakeAt, 'record.wakeAt', memberGuid),
    snapshot: snapshotJson(r.snapshot, 'record.snapshot', maxBytes, memberGuid),
    outcome:
      r.outcome === undefined || r.outcome === null
        ? null
        : toJson(r.outcome, 'record.outcome', maxBytes, memberGuid),
    history: prepareHistory(history, memberGuid, now, maxBytes),
  }
}

export function prepareSave(
  guid: unknown,
  update: unknown,
  history: unknown,
  now: number,
  maxBytes: number,
): PreparedSave {
  const memberGuid = checkGuid(guid)
  const u = object(update, 'update', memberGuid)
  return {
    memberGuid,
    expectedVersion: checkPositive(u.expectedVersion, 'update.expectedVersion', memberGuid),
    expectedOwner:
      u.expectedOwner === undefined
        ? null
        : checkText(u.expectedOwner, 'update.expectedOwner', undefined, memberGuid),
    state: checkState(u.state, 'update.state', memberGuid),
    status: checkStatus(u.status, 'update.status', memberGuid),
    wakeAt: checkOptionalTime(u.wakeAt, 'update.wakeAt', memberGuid),
    snapshot: snapshotJson(u.snapshot, 'update.snapshot', maxBytes, memberGuid),
    outcome:
      u.outcome === undefined
        ? undefined
        : u.outcome === null
          ? null
          : toJson(u.outcome, 'update.outcome', maxBytes, memberGuid),
    history: prepareHistory(history, memberGuid, now, maxBytes),
  }
}

export function prepareAppend(
  guid: unknown,
  history: unknown,
  now: number,
  maxBytes: number,
): { readonly memberGuid: string; readonly history: readonly PreparedHistory[] } {
  const memberGuid = checkGuid(guid)
  if (!Array.isArray(history)) {
    throw new StoreError({
      reason: 'invalid',
      field: 'history',
      message: 'history: must be an array',
      memberGuid,
    })
  }
  return { memberGuid, history: prepareHistory(history, memberGuid, now, maxBytes) }
}

export interface PreparedLease {
  readonly memberGuid: string
  readonly owner: string
  readonly now: number
  readonly until: number
}

export function prepareAcquire(
  guid: unknown,
  owner: unknown,
  leaseMs: unknown,
  now: unknown,
  ownerField = 'owner',
  leaseField = 'leaseMs',
): PreparedLease {
  const memberGuid = checkGuid(guid)
  const o = checkText(owner, ownerField, undefined, memberGuid)
  const ms = checkPositive(leaseMs, leaseField, memberGuid)
  const at = checkTime(now, 'now', memberGuid)
  const until = at + ms
  if (!Number.isSafeInteger(until)) {
    throw new StoreError({
      reason: 'invalid',
      field: leaseField,
      message: `${leaseField}: lease ends too far out`,
      memberGuid,
    })
  }
  return { memberGuid, owner: o, now: at, until }
}

export function preparePage(options: unknown): { readonly limit: number; readonly after: string } {
  if (options === undefined) return { limit: DEFAULT_PAGE, after: '' }
  const o = object(options, 'options')
  return {
    limit: o.limit === undefined ? DEFAULT_PAGE : checkPositive(o.limit, 'options.limit'),
    // '' sorts before every guid (guids are never empty).
    after: o.after === undefined ? '' : checkGuid(o.after, 'options.after'),
  }
}

export function prepareHistoryQuery(
  guid: unknown,
  options: unknown,
): { readonly memberGuid: string; readonly afterSeq: number; readonly limit: number | null } {
  const memberGuid = checkGuid(guid)
  if (options === undefined) return { memberGuid, afterSeq: 0, limit: null }
  const o = object(options, 'options', memberGuid)
  return {
    memberGuid,
    afterSeq: o.afterSeq === undefined ? 0 : checkNonNegative(o.afterSeq, 'options.afterSeq', memberGuid),
    limit: o.limit === undefined ? null : checkPositive(o.limit, 'options.limit', memberGuid),
  }
}

export function prepareDue(at: unknown, limit: unknown): { readonly at: number; readonly limit: number } {
  return { at: checkTime(at, 'at'), limit: checkPositive(limit, 'limit') }
}
