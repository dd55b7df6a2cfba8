import type { PolicyInput } from '../../machines/member-lifecycle/index.js'
import type { LifecycleClock } from '../bridge/clock.js'
import { toErrorData } from '../domain/errors.js'
import { isStoreError } from '../stores/errors.js'
import type { HistoryInput, LifecycleRecord, LifecycleStore, NewLifecycleRecord } from '../stores/types.js'
import { notFound, ReconnectorError } from './errors.js'
import type { Limiter } from './limiter.js'
import type { Live, Lives } from './live.js'
import type { Ownership } from './ownership.js'
import { snapshotProblem, viewOfRecord, type QueuedSnapshot } from './record.js'
import type { Scheduler } from './scheduler.js'
import type { Tracker } from './tracker.js'
import type { LifecycleView, MemberRef, ReconnectorEvent, ReconnectorOptions } from './types.js'
import type { Settlement, Waiters } from './waiters.js'

/** What the driver needs. */
export interface DriverDeps {
  readonly store: LifecycleStore
  readonly clock: LifecycleClock
  readonly lives: Lives
  readonly ownership: Ownership
  readonly scheduler: Scheduler
  readonly waiters: Waiters
  readonly tracker: Tracker
  readonly limiter: Limiter
  readonly emit: (event: ReconnectorEvent) => void
  readonly options: ReconnectorOptions
  readonly leaseMs: number
  readonly isClosed: () => boolean
}

/** How `begin` treats an existing record. */
export interface BeginOptions {
  /** A sweep's start: a member finished after it (a later `updatedAt`) counts as done by this sweep (not started again). */
  readonly since?: number
  /** Activate a member parked on the user now, so an automated provider is asked (`resumeAll`). */
  readonly answerNow?: boolean
}

/**
 * The lifecycle driver: brings stored lifecycles into memory under a lease (start, wake, host events),
 * bounded by the limiter, and makes sure every wait on a member ends (reconnector.md, Parts).
 *
 * @example
 * ```ts
 * const driver = createDriver(deps)
 * await driver.begin({ userId: 'u-1', memberGuid: 'MBR-1' })
 * const { view } = await driver.settle('MBR-1')
 * ```
 */
export interface Driver {
  /** Starts the member's lifecycle, or returns the unfinished one (retrying past a concurrent writer). */
  begin(member: MemberRef & { readonly policy?: PolicyInput }, options?: BeginOptions): Promise<LifecycleView>
  /** Resolves when the member is done, waits on the user, or its wait ends for another reason. */
  settle(memberGuid: string): Promise<Settlement>
  /** Re-reads the member and acts: run it, wait for its time, watch another holder, or settle waiters. */
  wake(memberGuid: string, answerNow?: boolean): Promise<void>
  /** Runs `use` on the member's live lifecycle, rehydrated at once (not behind the limiter). */
  withLive<T>(memberGuid: string, use: (entry: Live) => T): Promise<T | undefined>
  /** The member's view: live here, else as stored. */
  view(memberGuid: string): Promise<LifecycleView | undefined>
  /** Waits until the member's latest state is stored and our lease still holds (the client gate). */
  gate(memberGuid: string): Promise<void>
  /** Renews the lease of every live lifecycle; a lifecycle whose lease is gone stops. */
  renewAll(): void
  /** Resolves when a concurrency slot is free, so a member begun now runs at once (a sweep's pacing). */
  whenFree(): Promise<void>
}

/** Creates the driver. */
export function createDriver(deps: DriverDeps): Driver {
  const { store, clock, lives, ownership, scheduler, waiters, limiter, emit, options, leaseMs } = deps
  const activating = new Map<string, Promise<Live | undefined>>()
  /** Members with an activation queued in the limiter (not yet started). */
  const queued = new Set<string>()
  const busyHere = (memberGuid: string) =>
    lives.live.has(memberGuid) || activating.has(memberGuid) || queued.has(memberGuid)
  const hasProvider = options.credentials !== undefined || options.mfa !== undefined

  /** A member another process holds: look again when its lease lapses, or sooner to see it finish. */
  function watch(memberGuid: string, leaseUntil: number | null) {
    scheduler.held(memberGuid, leaseUntil)
  }

  /** True when another holder's lease on the stored member has not lapsed at `now`. */
  const heldElsewhere = (record: LifecycleRecord | undefined, now: number) =>
    record !== undefined &&
    record.owner !== null &&
    record.owner !== ownership.holder &&
    (record.leaseUntil ?? 0) > now

  /** Ends the member's waits after a failure to read or run it. */
  function failed(memberGuid: string, error: unknown) {
    if (isStoreError(error, 'corrupt')) return lives.quarantine(memberGuid, error.message)
    emit({ type: 'error', memberGuid, error: toErrorData(error) })
    lives.settleFromStore(memberGuid, { reason: 'storeError' })
  }

  /** Leases, re-reads and runs a member; undefined when it is not ours to run now. */
  async function lease(memberGuid: string, release: () => void, pinned: boolean): Promise<Live | undefined> {
    if (deps.isClosed()) return undefined
    const got = await ownership.acquire(memberGuid, clock.now())
    if (!got.held) {
      watch(memberGuid, got.leaseUntil)
      return undefined
    }
    const fresh = await store.get(memberGuid)
    if (deps.isClosed()) {
      // Closed while we leased it: leave it to the next process, at once.
      await ownership.release(memberGuid)
      return undefined
    }
    if (!fresh || fresh.status === 'done') {
      await ownership.release(memberGuid)
      waiters.resolve(memberGuid, { view: fresh && viewOfRecord(fresh) })
      return undefined
    }
    const problem = snapshotProblem(fresh)
    if (problem !== undefined) {
      lives.quarantine(memberGuid, problem)
      return undefined
    }
    scheduler.cancel(memberGuid)
    try {
      return lives.run(fresh, got.until, release, pinned)
    } catch (error) {
      lives.quarantine(memberGuid, `snapshot cannot be restored: ${toErrorData(error).message}`)
      return undefined
    }
  }

  /** Brings a member into memory once (concurrent callers share the activation). */
  function activate(memberGuid: string, release: () => void, pinned: boolean): Promise<Live | undefined> {
    const existing = lives.live.get(memberGuid)
    const pending = existing ? Promise.resolve(existing) : activating.get(memberGuid)
    if (pending) {
      release()
      return pending.then((entry) => {
        if (entry && pinned) entry.busy += 1
        return entry
      })
    }
    const run = lease(memberGuid, release, pinned).finally(() => activating.delete(memberGuid))
    activating.set(memberGuid, run)
    return run
  }

  /** Activates through the concurrency limiter; the slot is held until the lifecycle is done or evicted. */
  function schedule(memberGuid: string): Promise<void> {
    if (queued.has(memberGuid)) return Promise.resolve()
    queued.add(memberGuid)
    return limiter.run(
      () =>
        new Promise<void>((releaseSlot) => {
          queued.delete(memberGuid)
          activate(memberGuid, releaseSlot, false).then(
            (entry) => {
              if (!entry || entry.release !== releaseSlot) releaseSlot()
            },
            (error: unknown) => {
              releaseSlot()
              failed(memberGuid, error)
            },
          )
        }),
    )
  }

  async function wake(memberGuid: string, answerNow = false): Promise<void> {
    if (deps.isClosed() || busyHere(memberGuid)) return
    let record: LifecycleRecord | undefined
    try {
      record = await store.get(memberGuid)
    } catch (error) {
      return failed(memberGuid, error)
    }
    const now = clock.now()
    if (!record || record.status === 'done')
      return waiters.resolve(memberGuid, { view: record && viewOfRecord(record) })
    const view = viewOfRecord(record)
    const parkedOnUser = record.status === 'waiting' && view.prompt !== undefined
    // Stored as waiting on the user but still leased: another process has it in memory (its provider may
    // be answering right now), or held it when it died. Not parked: try to lease it (taken over from a
    // gone instance, else watched until its holder lets go).
    const held = parkedOnUser && heldElsewhere(record, now)
    if (
      !held &&
      record.status === 'waiting' &&
      (record.wakeAt ?? now) > now &&
      !(parkedOnUser && answerNow && hasProvider)
    ) {
      if (parkedOnUser) waiters.resolve(memberGuid, { view })
      return scheduler.at(memberGuid, record.wakeAt ?? now)
    }
    // A scheduling engine with worker processes runs it there (docs/scale-out.md), else it runs here.
    if (scheduler.handOver?.(memberGuid, record)) return
    return schedule(memberGuid)
  }

  async function view(memberGuid: string): Promise<LifecycleView | undefined> {
    const entry = lives.live.get(memberGuid)
    const live = entry && lives.viewOf(entry)
    if (live) return live
    const record = await store.get(memberGuid)
    return record ? viewOfRecord(record) : undefined
  }

  /** The in-process engine runs every member here: a new one can be leased by its own create. */
  const runsHere = scheduler.handOver === undefined && scheduler.leased === undefined

  /**
   * Creates the member's row. With `slot` (a limiter slot free now) the row is leased to us in the same
   * write and the lifecycle runs at once from the record it wrote: no acquire, no re-read (issue 15). The
   * slot is this function's: held by the live lifecycle, or released.
   */
  async function createRow(
    row: NewLifecycleRecord,
    history: readonly HistoryInput[],
    slot: (() => void) | undefined,
  ): Promise<{ readonly created: boolean; readonly record: LifecycleRecord }> {
    if (!slot) return store.create(row, history)
    const { memberGuid } = row
    let settleActivation: (entry: Live | undefined) => void = () => undefined
    activating.set(memberGuid, new Promise((resolve) => (settleActivation = resolve)))
    let entry: Live | undefined
    try {
      await ownership.register()
      const now = clock.now()
      const result = await store.create(row, history, { owner: ownership.holder, leaseMs, now })
      if (!result.created) return result
      if (deps.isClosed()) {
        // Closed while we created it: leave it to the next process, at once.
        await ownership.release(memberGuid).catch(() => undefined)
        return result
      }
      scheduler.cancel(memberGuid)
      deps.tracker.reset(memberGuid)
      try {
        entry = lives.run(result.record, now + leaseMs, slot, false)
      } catch (error) {
        lives.quarantine(memberGuid, `snapshot cannot be restored: ${toErrorData(error).message}`)
      }
      return result
    } finally {
      if (!entry) slot()
      activating.delete(memberGuid)
      settleActivation(entry)
    }
  }

  /** The live view, else the view of `record` (just read or written). */
  const viewNow = (record: LifecycleRecord): LifecycleView => {
    const entry = lives.live.get(record.memberGuid)
    return (entry && lives.viewOf(entry)) ?? viewOfRecord(record)
  }

  async function begin(
    member: MemberRef & { readonly policy?: PolicyInput },
    opts: BeginOptions = {},
  ): Promise<LifecycleView> {
    const { memberGuid, userId } = member
    for (let attempt = 0; ; attempt++) {
      if (deps.isClosed())
        throw new ReconnectorError({ reason: 'closed', memberGuid, message: 'reconnector is closed' })
      const policy = member.policy ?? options.policy
      const snapshot: QueuedSnapshot = { queued: { userId, memberGuid, ...(policy ? { policy } : {}) } }
      const history = [{ type: 'started', at: clock.now(), data: { userId } }]
      const queued = { state: 'queued', status: 'running' as const, wakeAt: null, snapshot }
      // Create first: a new member costs one write, an existing one comes back from the same call.
      const slot = runsHere && !busyHere(memberGuid) ? limiter.tryAcquire() : undefined
      const { created, record } = await createRow({ memberGuid, userId, ...queued }, history, slot)
      if (created) {
        if (!slot) deps.tracker.reset(memberGuid)
        if (!busyHere(memberGuid) && !scheduler.handOver?.(memberGuid, undefined)) void schedule(memberGuid)
        return viewNow(record)
      }
      if (record.userId !== userId) throw notFound(memberGuid) // another user's member
      const fresh = opts.since !== undefined && record.updatedAt > opts.since
      if (record.status !== 'done' || fresh || attempt >= 5) {
        if (record.status !== 'done') void wake(memberGuid, opts.answerNow)
        return viewNow(record)
      }
      try {
        await store.save(memberGuid, { ...queued, expectedVersion: record.version, outcome: null }, history)
      } catch (error) {
        if (isStoreError(error, 'conflict')) continue // another writer moved it: look again
        throw error
      }
      deps.tracker.reset(memberGuid)
      if (!scheduler.handOver?.(memberGuid, undefined)) void schedule(memberGuid)
      return (await view(memberGuid))!
    }
  }

  async function settle(memberGuid: string): Promise<Settlement> {
    let current: LifecycleView | undefined
    let record: LifecycleRecord | undefined
    try {
      const entry = lives.live.get(memberGuid)
      current = entry && lives.viewOf(entry)
      if (!current) {
        record = await store.get(memberGuid)
        current = record && viewOfRecord(record)
      }
    } catch (error) {
      if (isStoreError(error, 'corrupt')) {
        const done = waiters.wait(memberGuid)
        lives.quarantine(memberGuid, error.message)
        return done
      }
      return { view: undefined, reason: 'storeError' }
    }
    if (!current || current.status === 'done') return { view: current }
    const isLive = busyHere(memberGuid)
    if (current.status === 'waiting' && current.prompt && !isLive && !heldElsewhere(record, clock.now())) {
      // Parked on the user: settled, unless its deadline has passed (then it is about to end).
      const wakeAt = current.wakeAt ?? clock.now()
      if (wakeAt > clock.now()) return { view: current }
    }
    if (deps.isClosed()) return { view: current, reason: 'closed' }
    const done = waiters.wait(memberGuid)
    // Someone must end this wait: a live lifecycle here does; otherwise look at the member now.
    if (!isLive) void wake(memberGuid)
    return done
  }

  async function withLive<T>(memberGuid: string, use: (entry: Live) => T): Promise<T | undefined> {
    let entry = lives.live.get(memberGuid)
    if (entry) entry.busy += 1
    else {
      const record = await store.get(memberGuid)
      if (!record || record.status === 'done') return undefined
      entry = await activate(memberGuid, () => undefined, true)
    }
    if (!entry) return undefined
    try {
      return entry.actor ? use(entry) : undefined
    } finally {
      lives.unbusy(entry)
    }
  }

  async function gate(memberGuid: string): Promise<void> {
    const entry = lives.live.get(memberGuid)
    if (!entry) return
    await entry.chain
    // Renew a lease past half its life before the request, so it cannot lapse while the request is out.
    if (!entry.lost && clock.now() + leaseMs / 2 >= entry.leaseUntil) await renew(entry)
    if (entry.lost) throw new ReconnectorError({ reason: 'leaseLost', memberGuid, message: 'lease lost' })
  }

  async function renew(entry: Live): Promise<void> {
    try {
      const got = await ownership.acquire(entry.ref.memberGuid, clock.now())
      if (got.held) entry.leaseUntil = got.until
      else lives.lose(entry, 'leaseLost')
    } catch {
      lives.lose(entry, 'storeError')
    }
  }

  return {
    begin,
    settle,
    wake,
    withLive,
    view,
    gate,
    whenFree: () => (runsHere ? limiter.whenFree() : Promise.resolve()),
    renewAll() {
      for (const entry of lives.live.values()) void renew(entry)
    },
  }
}
