import type { LifecycleClock } from '../bridge/clock.js'
import type { LifecycleRecord } from '../stores/types.js'
import type { Ownership } from './ownership.js'
import { createTimerQueue } from './timer-queue.js'

/**
 * The scheduling engine (reconnector.md, Parts; docs/scale-out.md): when a lifecycle that left memory
 * runs again, and where. Two engines exist: {@link createScheduler}, one timer queue in this process
 * (memory and SQLite stores), and the pg-boss engine (`src/worker/engine.ts`), where every wake-up is a
 * job in PostgreSQL that any worker process may run. The driver and the live part only talk to this
 * interface.
 *
 * @example
 * ```ts
 * const scheduler = createScheduler({ clock, onDue: (memberGuid) => wake(memberGuid), watchMs: 1_000, leaseMs: 60_000, watched: () => false })
 * scheduler.at('MBR-1', clock.now() + 60_000)
 * ```
 */
export interface Scheduler {
  /** Wakes the member's lifecycle at `at` (epoch ms on the clock): a poll, a backoff, the user's deadline. */
  at(memberGuid: string, at: number): void
  /** Forgets this process's own timer for the member (a durable engine keeps its jobs: a stale wake-up is a no-op). */
  cancel(memberGuid: string): void
  /** Another process holds the member until `leaseUntil`: look again when that lapses, or sooner for waiters here. */
  held(memberGuid: string, leaseUntil: number | null): void
  /** Runs `task` every `ms` real milliseconds (unref'd) until `close`. */
  every(ms: number, task: () => void): void
  /** Stops every timer of this process. */
  close(): void
  /**
   * Set by an engine whose lifecycles run in other (worker) processes: a member due now is handed to them
   * instead of run here. Returns true when it was handed over. `record` is the member as last read.
   */
  handOver?(memberGuid: string, record: LifecycleRecord | undefined): boolean
  /**
   * Called BEFORE this process takes or renews a lease ending at `until`: a durable engine writes a wake-up
   * behind it and resolves once that wake-up is stored (rejects when it cannot be), so a process that dies
   * holding the lease always leaves a job that brings the member back when the lease lapses.
   */
  leased?(memberGuid: string, until: number): Promise<void>
}

/** What an engine is built from, inside `createReconnector`. */
export interface SchedulerDeps {
  readonly clock: LifecycleClock
  /** Brings the member's lifecycle back (the driver's wake); resolves when it has left memory here again. */
  readonly onDue: (memberGuid: string) => Promise<void>
  /** How often a member another process holds is looked at again for waiters here (ms on the clock). */
  readonly watchMs: number
  /** How long a lease lasts (ms on the clock): a durable engine lets a job taken by a dead process expire after about twice this. */
  readonly leaseMs: number
  /** True while a caller here waits on the member (`settled`, a sweep). */
  readonly watched: (memberGuid: string) => boolean
}

/** Builds a scheduling engine; `ReconnectorOptions.scheduler` takes one (default {@link createScheduler}). */
export type SchedulerFactory = (deps: SchedulerDeps) => Scheduler

/**
 * The in-process engine: one timer queue on the lifecycle clock (reconnector.md, Memory) for parked
 * lifecycles and for members watched while another process holds them, plus one interval for lease
 * renewal. Its host timer stays referenced (unlike `realTimerHost`): a sweep whose lifecycles all sleep
 * must keep the process alive until they wake.
 *
 * @example
 * ```ts
 * const scheduler = createScheduler({ clock, onDue: wake, watchMs: 1_000, leaseMs: 60_000, watched: () => false })
 * scheduler.held('MBR-1', leaseUntil) // looks again when the other holder's lease lapses
 * ```
 */
export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { clock, onDue, watchMs } = deps
  const intervals: NodeJS.Timeout[] = []
  const queue = createTimerQueue((memberGuid) => void onDue(memberGuid), {
    now: () => clock.now(),
    setTimer: (callback, ms) => setTimeout(callback, Math.max(0, Math.min(ms, 2_147_483_647))),
    clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
  })
  return {
    at: (memberGuid, at) => queue.schedule(memberGuid, at),
    cancel: (memberGuid) => queue.cancel(memberGuid),
    held(memberGuid, leaseUntil) {
      const now = clock.now()
      queue.schedule(memberGuid, Math.min((leaseUntil ?? now) + 1, now + watchMs))
    },
    every(ms, task) {
      const handle = setInterval(task, ms)
      handle.unref()
      intervals.push(handle)
    },
    close() {
      for (const handle of intervals.splice(0)) clearInterval(handle)
      queue.close()
    },
  }
}

/**
 * The ownership part, telling the engine of every lease before it takes or renews it (a no-op for an engine
 * that does not ask): a durable engine keeps a wake-up behind each lease, stored before the lease is, so a
 * process that dies holding a member always leaves a job that brings the member back once the lease lapses
 * (docs/scale-out.md, "Failure behaviour"). A wake-up that cannot be stored fails the acquire: no lease is
 * taken without one.
 *
 * @example
 * ```ts
 * const ownership = announceLeases(createOwnership(store, { owner, leaseMs }), scheduler, leaseMs)
 * ```
 */
export function announceLeases(ownership: Ownership, scheduler: Scheduler, leaseMs: number): Ownership {
  const leased = scheduler.leased?.bind(scheduler)
  if (!leased) return ownership
  return {
    ...ownership,
    holder: ownership.holder,
    async acquire(memberGuid, now) {
      // The wake-up first: a lease stored before its wake-up could outlive a process killed in between.
      await leased(memberGuid, now + leaseMs)
      return ownership.acquire(memberGuid, now)
    },
  }
}
