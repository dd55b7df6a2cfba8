import {
  DEFAULT_POLICY,
  promptOf,
  type LifecycleContext,
  type LifecycleOutput,
  type PolicyInput,
} from '../../machines/member-lifecycle/index.js'
import type { LifecycleRecord, LifecycleStatus } from '../stores/types.js'
import { decodeSnapshot } from './snapshot-codec.js'
import type { LifecycleView, MemberRef } from './types.js'

// How a lifecycle's snapshot maps onto a store record, and back onto a view. Pure functions.

/** The snapshot stored for a lifecycle that has not run yet: only its (non-secret) input. */
export interface QueuedSnapshot {
  readonly queued: MemberRef & { readonly policy?: PolicyInput }
}

/** The part of an XState snapshot the reconnector reads. */
export interface LifecycleSnapshotLike {
  readonly status: string
  readonly value: unknown
  readonly context: LifecycleContext
  readonly output?: unknown
}

/** True for the stored form of a lifecycle that has not run yet. */
export function isQueued(snapshot: unknown): snapshot is QueuedSnapshot {
  return typeof snapshot === 'object' && snapshot !== null && 'queued' in snapshot
}

/**
 * States whose only side effect is a read of MX (a member, its credentials or challenges, an OAuth URI):
 * not saved on their own (issue 15). A crash in one restores the last saved state, from which the
 * lifecycle makes the same read again; no write and no wait is ever skipped (docs/decisions/0011).
 */
const PASSING_STATES: ReadonlySet<string> = new Set([
  'loadingMember',
  'credentials.listing',
  'mfa.listing',
  'waitingOnJob.reading',
  'fetchingOAuthUri',
])

/** True for a state that is not saved on its own (see `PASSING_STATES`). */
export function isPassing(state: string): boolean {
  return PASSING_STATES.has(state)
}

/** `{ credentials: 'awaiting' }` → `credentials.awaiting`. */
export function statePath(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value !== 'object' || value === null) return String(value)
  const [key, inner] = Object.entries(value as Record<string, unknown>)[0] ?? ['?', undefined]
  return inner === undefined ? key : `${key}.${statePath(inner)}`
}

/** True when the lifecycle waits on the user (a prompt is out). */
export function awaitsUser(snapshot: LifecycleSnapshotLike): boolean {
  return promptOf(snapshot) !== undefined
}

/**
 * The store status of a snapshot: `done` when final; `waiting` when it waits on the user or on a timer
 * longer than `evictAfterMs`; else `running`.
 */
export function storeStatus(
  snapshot: LifecycleSnapshotLike,
  now: number,
  evictAfterMs: number,
): LifecycleStatus {
  if (snapshot.status === 'done') return 'done'
  const { wakeAt } = snapshot.context
  if (wakeAt === null) return 'running'
  return awaitsUser(snapshot) || wakeAt - now > evictAfterMs ? 'waiting' : 'running'
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isNullableNumber = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v))
const isNullableArray = (v: unknown) => v === null || Array.isArray(v)

/**
 * Why a stored snapshot cannot be restored (valid JSON of the wrong shape), or undefined when it has the
 * shape the lifecycle needs: a queued input for this member, or an active machine snapshot whose context
 * names this member. Checked before restoring, so a bad row is quarantined instead of throwing.
 */
export function snapshotProblem(record: LifecycleRecord): string | undefined {
  const snapshot: unknown = record.snapshot
  if (!isObject(snapshot)) return 'snapshot is not an object'
  if ('queued' in snapshot) {
    const q = snapshot.queued
    if (!isObject(q) || typeof q.userId !== 'string' || q.memberGuid !== record.memberGuid)
      return 'queued snapshot does not name this member'
    return undefined
  }
  if (snapshot.status !== 'active') return 'snapshot is not an active lifecycle'
  if (typeof snapshot.value !== 'string' && !isObject(snapshot.value)) return 'snapshot has no state value'
  const c = snapshot.context
  if (!isObject(c)) return 'snapshot has no context'
  if (c.memberGuid !== record.memberGuid || typeof c.userId !== 'string')
    return 'snapshot context does not name this member'
  if (!isObject(c.policy) || !isObject(c.attempts)) return 'snapshot context lacks policy or attempts'
  if (!isNullableNumber(c.wakeAt) || !isNullableArray(c.fields) || !isNullableArray(c.challenges))
    return 'snapshot context has malformed fields'
  return undefined
}

/** The record with its snapshot decoded when it is in the slim stored form (the policy plays no part in a view). */
function asStored(record: LifecycleRecord): LifecycleRecord {
  const at = { userId: record.userId, memberGuid: record.memberGuid, policy: DEFAULT_POLICY }
  const snapshot = decodeSnapshot(record.snapshot, at)
  return snapshot === record.snapshot ? record : { ...record, snapshot }
}

/** The prompt of a stored snapshot, if it waits on the user (undefined for any shape it cannot read). */
function storedPrompt(record: LifecycleRecord) {
  const snapshot = record.snapshot as Partial<LifecycleSnapshotLike> | null
  if (!snapshot || isQueued(snapshot) || !snapshot.context || !('value' in snapshot)) return undefined
  if (record.status !== 'done' && snapshotProblem(record) !== undefined) return undefined
  try {
    return promptOf({ value: snapshot.value, context: snapshot.context })
  } catch {
    return undefined
  }
}

/**
 * The host's view of a stored record. A row read without the reconnector's codec store (SQL, a store of
 * its own) may hold the slim stored form (docs/decisions/0017): it is decoded here; images stay out.
 */
export function viewOfRecord(stored: LifecycleRecord): LifecycleView {
  const record = asStored(stored)
  const snapshot = record.snapshot as Partial<LifecycleSnapshotLike> | null
  const prompt = storedPrompt(record)
  return {
    memberGuid: record.memberGuid,
    userId: record.userId,
    state: record.state,
    status: record.status,
    wakeAt: record.wakeAt,
    connectionStatus: connectionStatusOf(snapshot),
    ...(prompt && record.status !== 'done' ? { prompt } : {}),
    ...(record.outcome ? { outcome: record.outcome as LifecycleOutput } : {}),
  }
}

function connectionStatusOf(snapshot: Partial<LifecycleSnapshotLike> | null): string | null {
  if (!isObject(snapshot) || isQueued(snapshot) || !isObject(snapshot.context)) return null
  const member: unknown = snapshot.context.member
  return isObject(member) && typeof member.status === 'string' ? member.status : null
}

/** The host's view of a live snapshot. */
export function viewOfSnapshot(
  ref: MemberRef,
  snapshot: LifecycleSnapshotLike,
  now: number,
  evictAfterMs: number,
): LifecycleView {
  const prompt = promptOf(snapshot)
  return {
    memberGuid: ref.memberGuid,
    userId: ref.userId,
    state: statePath(snapshot.value),
    status: storeStatus(snapshot, now, evictAfterMs),
    wakeAt: snapshot.context.wakeAt,
    connectionStatus: snapshot.context.member?.status ?? null,
    ...(prompt && snapshot.status !== 'done' ? { prompt } : {}),
    ...(snapshot.status === 'done' ? { outcome: snapshot.output as LifecycleOutput } : {}),
  }
}
