import {
  promptOf,
  type LifecycleContext,
  type LifecycleOutput,
  type PolicyInput,
} from '../../machines/member-lifecycle/index.js'
import type { LifecycleRecord, LifecycleStatus } from '../stores/types.js'
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

/** The host's view of a stored record. */
export function viewOfRecord(record: LifecycleRecord): LifecycleView {
  const snapshot = record.snapshot as Partial<LifecycleSnapshotLike> | null
  const prompt =
    snapshot && !isQueued(snapshot) && snapshot.context && 'value' in snapshot
      ? promptOf({ value: snapshot.value, context: snapshot.context })
      : undefined
  return {
    memberGuid: record.memberGuid,
    userId: record.userId,
    state: record.state,
    status: record.status,
    wakeAt: record.wakeAt,
    connectionStatus:
      snapshot && !isQueued(snapshot) && snapshot.context ? (snapshot.context.member?.status ?? null) : null,
    ...(prompt && record.status !== 'done' ? { prompt } : {}),
    ...(record.outcome ? { outcome: record.outcome as LifecycleOutput } : {}),
  }
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
