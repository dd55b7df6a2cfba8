import type { Snapshot } from 'xstate'
import {
  promptOf,
  type CredentialsRequiredEvent,
  type LifecycleOutput,
  type MfaRequiredEvent,
} from '../../machines/member-lifecycle/index.js'
import type { LifecycleClock } from '../bridge/clock.js'
import type { MemberLifecycle, MemberLifecycleActor, SubmitResult } from '../bridge/lifecycle.js'
import type { SecretValue } from '../client/types.js'
import { toErrorData } from '../domain/errors.js'
import { isStoreError } from '../stores/errors.js'
import type { HistoryInput, LifecycleRecord, LifecycleStore } from '../stores/types.js'
import type { Ownership } from './ownership.js'
import {
  awaitsUser,
  isPassing,
  isQueued,
  statePath,
  storeStatus,
  viewOfRecord,
  viewOfSnapshot,
  type LifecycleSnapshotLike,
} from './record.js'
import type { Scheduler } from './scheduler.js'
import type { Tracker } from './tracker.js'
import type { LifecycleView, MemberRef, ReconnectorEvent, ReconnectorOptions } from './types.js'
import type { Settlement, Waiters } from './waiters.js'

/** One lifecycle held in memory. */
export interface Live {
  readonly ref: MemberRef
  actor: MemberLifecycleActor | undefined
  version: number
  /** The tail of this member's save chain: resolves when every snapshot seen so far is stored. */
  chain: Promise<void>
  /** Saves queued on the chain and not yet answered: a lifecycle is evicted only once its last is stored. */
  saving: number
  lastState: string
  /** A prompt is out that nobody answered yet (a `needs…` outcome now means the user's deadline passed). */
  awaitingUser: boolean
  /** Provider calls and host events in flight: a busy lifecycle is never evicted. */
  busy: number
  lost: boolean
  /** Provider calls answering a prompt now (the prompt is not parked while one runs). */
  asking: number
  /** History entries waiting to go with the next save (passing states, submissions). */
  pending: HistoryInput[]
  /** When our lease on the member lapses, on the lifecycle clock. */
  leaseUntil: number
  release: () => void
  unsubscribe: () => void
}

/** What the live-lifecycle part needs from the reconnector. */
export interface LiveDeps {
  readonly store: LifecycleStore
  readonly clock: LifecycleClock
  readonly lifecycle: MemberLifecycle
  readonly ownership: Ownership
  readonly scheduler: Scheduler
  readonly waiters: Waiters
  readonly tracker: Tracker
  readonly emit: (event: ReconnectorEvent) => void
  readonly options: ReconnectorOptions
  readonly evictAfterMs: number
}

/**
 * The lifecycle driver's in-memory half: actors held in memory, their save chains, eviction, outcomes and
 * losing a member (reconnector.md, Parts). Every way a live lifecycle stops here resolves its waiters.
 *
 * @example
 * ```ts
 * const lives = createLives(deps)
 * const entry = lives.run(record, leaseUntil, releaseSlot, false)
 * ```
 */
export interface Lives {
  readonly live: ReadonlyMap<string, Live>
  /** Creates the actor for a leased, readable, unfinished record and starts storing its snapshots. */
  run(record: LifecycleRecord, leaseUntil: number, release: () => void, pinned: boolean): Live
  /** Stops a live lifecycle here and resolves its waiters with the stored view. */
  lose(entry: Live, reason: string): void
  /** One busy reason fewer; the lifecycle may be evicted once its stored state says it waits. */
  unbusy(entry: Live): void
  /** Appends a `submitted` history entry (guids only) after the member's pending saves. */
  recordSubmission(memberGuid: string, kind: string, values: readonly SecretValue[], r: SubmitResult): void
  /** The view of a live lifecycle. */
  viewOf(entry: Live): LifecycleView | undefined
  /** Resolves the member's waiters with its stored view (or `fallback` when the store cannot say). */
  settleFromStore(memberGuid: string, extra: Omit<Settlement, 'view'>, fallback?: LifecycleView): void
  /** Sets an unreadable member aside and resolves its waiters. */
  quarantine(memberGuid: string, why: string): void
  /** Stops every live lifecycle after its saves land, releasing leases. */
  closeAll(): Promise<void>
}

/** An outcome as stored: the lifecycle's output, plus why when the user's deadline ended it. */
function storedOutcome(entry: Live, output: LifecycleOutput): LifecycleOutput {
  const deadline =
    entry.awaitingUser && (output.outcome === 'needsCredentials' || output.outcome === 'needsMfa')
  return deadline ? ({ ...output, reason: 'userDeadlinePassed' } as LifecycleOutput) : output
}

/** Creates the live-lifecycle part. */
export function createLives(deps: LiveDeps): Lives {
  const { store, clock, ownership, scheduler, waiters, tracker, emit, options, evictAfterMs } = deps
  const live = new Map<string, Live>()

  const viewOf = (entry: Live): LifecycleView | undefined =>
    entry.actor ? viewOfSnapshot(entry.ref, entry.actor.getSnapshot(), clock.now(), evictAfterMs) : undefined

  function settleFromStore(memberGuid: string, extra: Omit<Settlement, 'view'>, fallback?: LifecycleView) {
    if (!waiters.has(memberGuid)) return
    store.get(memberGuid).then(
      (record) => waiters.resolve(memberGuid, { ...extra, view: record ? viewOfRecord(record) : fallback }),
      () => waiters.resolve(memberGuid, { ...extra, view: fallback }),
    )
  }

  function quarantine(memberGuid: string, why: string) {
    emit({ type: 'error', memberGuid, error: { _tag: 'Quarantined', message: why } })
    const done = () =>
      waiters.resolve(memberGuid, { view: undefined, reason: 'quarantined', quarantined: why })
    store.quarantine(memberGuid, why).then(done, done)
  }

  function detach(entry: Live) {
    entry.unsubscribe()
    if (live.get(entry.ref.memberGuid) === entry) live.delete(entry.ref.memberGuid)
    entry.release()
  }

  function lose(entry: Live, reason: string) {
    if (entry.lost) return
    entry.lost = true
    const fallback = viewOf(entry)
    emit({
      type: 'error',
      memberGuid: entry.ref.memberGuid,
      error: { _tag: 'LeaseLost', message: `stopped here: ${reason}` },
    })
    detach(entry)
    entry.actor?.stop()
    settleFromStore(entry.ref.memberGuid, { reason }, fallback)
  }

  /** Stores one snapshot (chained after the previous one), then evicts or finishes the lifecycle. */
  function persist(entry: Live, snapshot: LifecycleSnapshotLike) {
    const actor = entry.actor
    if (!actor || entry.lost) return
    const now = clock.now()
    const state = statePath(snapshot.value)
    const computed = storeStatus(snapshot, now, evictAfterMs)
    // A prompt a provider is answering right now is not parked: stored `running`, so no other process
    // takes it for a member waiting on its user. Stored `waiting` once the provider declines (ask).
    const status = computed === 'waiting' && entry.asking > 0 && awaitsUser(snapshot) ? 'running' : computed
    const output = snapshot.status === 'done' ? (snapshot.output as LifecycleOutput) : undefined
    const outcome = output ? storedOutcome(entry, output) : undefined
    // Sticky until the next submission: a `needs…` outcome after an unanswered prompt is the deadline.
    entry.awaitingUser ||= status !== 'done' && awaitsUser(snapshot)
    const changed = state !== entry.lastState
    entry.lastState = state
    const connectionStatus = snapshot.context.member?.status ?? null
    const history = [
      ...(changed ? [{ type: 'state', at: now, data: { state, connectionStatus } }] : []),
      ...(outcome ? [{ type: 'outcome', at: now, data: outcome }] : []),
    ]
    if (changed) emit({ type: 'transition', ...entry.ref, state, connectionStatus })
    // A passing state (its only side effect is a read) is not saved: a crash in it restores the last saved
    // state, which leads to the same read. Its history goes with the next save (docs/decisions/0011).
    if (status === 'running' && isPassing(state)) {
      entry.pending.push(...history)
      return
    }
    const stored = actor.getPersistedSnapshot()
    entry.saving += 1
    entry.chain = entry.chain.then(async () => {
      if (entry.lost) return void (entry.saving -= 1)
      const entries = entry.pending.length === 0 ? history : [...entry.pending.splice(0), ...history]
      try {
        const update = {
          expectedVersion: entry.version,
          expectedOwner: ownership.holder,
          state,
          status,
          wakeAt: snapshot.context.wakeAt,
        }
        const record = await store.save(
          entry.ref.memberGuid,
          { ...update, snapshot: stored, ...(outcome ? { outcome } : {}) },
          entries,
        )
        entry.saving -= 1
        entry.version = record.version
      } catch (error) {
        entry.saving -= 1
        emit({ type: 'error', memberGuid: entry.ref.memberGuid, error: toErrorData(error) })
        // A conflict means another owner moved the record; any other failure means the next side effect
        // could not be preceded by its state. Either way this actor stops, and its waiters are told.
        const conflict = isStoreError(error, 'conflict')
        return lose(
          entry,
          conflict ? (error.field === 'owner' ? 'leaseLost' : 'versionConflict') : 'storeError',
        )
      }
      if (output) return finish(entry, output)
      maybeEvict(entry)
    })
  }

  function finish(entry: Live, output: LifecycleOutput) {
    const view = viewOf(entry)
    detach(entry)
    tracker.mark(entry.ref.memberGuid, 'finished')
    emit({ type: 'outcome', ...entry.ref, output })
    const stored = storedOutcome(entry, output)
    waiters.resolve(entry.ref.memberGuid, { view: view && { ...view, outcome: stored } })
  }

  function maybeEvict(entry: Live) {
    const actor = entry.actor
    if (!actor || entry.busy > 0 || entry.lost || live.get(entry.ref.memberGuid) !== entry) return
    // A later snapshot is still to be stored (a provider that failed at once queues the parked state right
    // behind the prompt's): evicting now would release the lease that save needs.
    if (entry.saving > 0) return
    const snapshot = actor.getSnapshot()
    if (snapshot.status !== 'active') return
    if (storeStatus(snapshot, clock.now(), evictAfterMs) !== 'waiting') return
    const wakeAt = snapshot.context.wakeAt ?? clock.now()
    const awaitingUser = awaitsUser(snapshot)
    const view = viewOf(entry)
    // Its latest state is stored (we run at the end of the save chain): drop it from memory.
    detach(entry)
    actor.stop()
    void ownership.release(entry.ref.memberGuid).catch(() => undefined)
    scheduler.at(entry.ref.memberGuid, wakeAt)
    emit({ type: 'evicted', memberGuid: entry.ref.memberGuid, wakeAt, awaitingUser })
    if (awaitingUser) {
      tracker.mark(entry.ref.memberGuid, 'parked')
      waiters.resolve(entry.ref.memberGuid, { view })
    }
  }

  /** Asks the automated provider, if any, and submits what it returns. */
  function ask(entry: Live, prompt: CredentialsRequiredEvent | MfaRequiredEvent) {
    const full = { ...prompt, userId: entry.ref.userId }
    emit({ type: 'prompt', ...entry.ref, prompt: full })
    const provider =
      prompt.type === 'credentials.required'
        ? options.credentials && (() => options.credentials!(full as typeof full & CredentialsRequiredEvent))
        : options.mfa && (() => options.mfa!(full as typeof full & MfaRequiredEvent))
    if (!provider) return
    entry.busy += 1
    entry.asking += 1
    // Called at once; a provider written in plain JS may return values (not a promise) or throw: both are
    // taken as its answer or its failure, never an uncaught TypeError.
    new Promise<Awaited<ReturnType<typeof provider>>>((resolve) => resolve(provider()))
      .then(
        (values) => {
          const actor = entry.actor
          if (!values || !actor || live.get(entry.ref.memberGuid) !== entry) return
          const result =
            prompt.type === 'credentials.required'
              ? deps.lifecycle.submitCredentials(actor, values)
              : deps.lifecycle.submitMfa(actor, values)
          recordSubmission(entry.ref.memberGuid, prompt.type, values, result)
        },
        (error: unknown) =>
          emit({ type: 'error', memberGuid: entry.ref.memberGuid, error: toErrorData(error) }),
      )
      .finally(() => {
        entry.asking -= 1
        const actor = entry.actor
        // Declined, refused or failed: the lifecycle now waits on its user; store that before any eviction.
        if (entry.asking === 0 && actor && !entry.lost && live.get(entry.ref.memberGuid) === entry) {
          const now = actor.getSnapshot()
          if (now.status === 'active' && awaitsUser(now)) persist(entry, now)
        }
        unbusy(entry)
      })
  }

  function recordSubmission(
    memberGuid: string,
    kind: string,
    values: readonly SecretValue[],
    r: SubmitResult,
  ) {
    const data = { kind, guids: values.map((v) => v.guid), accepted: r.accepted }
    const entry = live.get(memberGuid)
    if (entry && r.accepted) entry.awaitingUser = false
    const submitted = { type: 'submitted', at: clock.now(), data }
    if (!entry) return void store.append(memberGuid, [submitted]).catch(() => undefined)
    // It goes with the save of the state the submission led to (queued already); appended on its own only
    // when no save took it (issue 15: one write fewer per submission).
    entry.pending.push(submitted)
    const flush = () => {
      if (entry.lost || entry.pending.length === 0) return
      return store.append(memberGuid, entry.pending.splice(0)).then(() => undefined)
    }
    entry.chain = entry.chain.then(flush, flush).catch(() => undefined)
  }

  function unbusy(entry: Live) {
    entry.busy -= 1
    entry.chain = entry.chain.then(() => maybeEvict(entry))
  }

  function run(record: LifecycleRecord, leaseUntil: number, release: () => void, pinned: boolean): Live {
    const memberGuid = record.memberGuid
    const entry: Live = {
      ref: { userId: record.userId, memberGuid },
      actor: undefined,
      version: record.version,
      chain: Promise.resolve(),
      saving: 0,
      lastState: record.state,
      awaitingUser: viewOfRecord(record).prompt !== undefined,
      busy: pinned ? 1 : 0,
      lost: false,
      pending: [],
      asking: 0,
      leaseUntil,
      release,
      unsubscribe: () => undefined,
    }
    const actorOptions = options.inspect ? { inspect: options.inspect } : {}
    const queued = isQueued(record.snapshot) ? record.snapshot.queued : undefined
    const policy = queued?.policy ?? options.policy
    const actor = queued
      ? deps.lifecycle.start(
          { userId: queued.userId, memberGuid: queued.memberGuid, ...(policy ? { policy } : {}) },
          actorOptions,
        )
      : deps.lifecycle.restore(record.snapshot as Snapshot<unknown>, actorOptions)
    entry.actor = actor
    live.set(memberGuid, entry)
    tracker.activated(entry.ref)
    const sub = actor.subscribe({
      next: (snapshot) => persist(entry, snapshot),
      error: (error) => {
        emit({ type: 'error', memberGuid, error: toErrorData(error) })
        // The machine threw (a snapshot it cannot run): set the row aside rather than retry it forever.
        entry.lost = true
        detach(entry)
        quarantine(memberGuid, `lifecycle failed: ${toErrorData(error).message}`)
      },
    })
    const onCredentials = actor.on('credentials.required', (prompt) => ask(entry, prompt))
    const onMfa = actor.on('mfa.required', (prompt) => ask(entry, prompt))
    entry.unsubscribe = () => {
      sub.unsubscribe()
      onCredentials.unsubscribe()
      onMfa.unsubscribe()
    }
    // A restored lifecycle waiting on the user does not emit its prompt again (entry actions do not re-run).
    // Asked before the first save, so a provider answering it keeps it stored as running (see persist).
    const restoredPrompt = queued ? undefined : promptOf(actor.getSnapshot())
    if (restoredPrompt) ask(entry, restoredPrompt)
    // The first snapshot of a started actor is not always delivered to a late subscriber: store it now.
    persist(entry, actor.getSnapshot())
    return entry
  }

  return {
    live,
    run,
    lose,
    unbusy,
    recordSubmission,
    viewOf,
    settleFromStore,
    quarantine,
    async closeAll() {
      const entries = [...live.values()]
      await Promise.all(entries.map((e) => e.chain))
      for (const entry of entries) {
        detach(entry)
        entry.actor?.stop()
        await ownership.release(entry.ref.memberGuid).catch(() => undefined)
      }
    },
  }
}
