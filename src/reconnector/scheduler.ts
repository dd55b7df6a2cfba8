import type { LifecycleClock } from '../bridge/clock.js'
import { createTimerQueue } from './timer-queue.js'

/**
 * The reconnector's scheduler: one timer queue on the lifecycle clock (reconnector.md, Memory) for parked
 * lifecycles and for members watched while another process holds them, plus one interval for lease
 * renewal. Its host timer stays referenced (unlike `realTimerHost`): a sweep whose lifecycles all sleep
 * must keep the process alive until they wake.
 *
 * @example
 * ```ts
 * const scheduler = createScheduler(clock, (memberGuid) => void wake(memberGuid))
 * scheduler.at('MBR-1', clock.now() + 60_000)
 * ```
 */
export interface Scheduler {
  /** Calls `onDue(memberGuid)` at `at` (epoch ms on the clock); replaces an earlier time for the member. */
  at(memberGuid: string, at: number): void
  /** Forgets the member's time. */
  cancel(memberGuid: string): void
  /** Runs `task` every `ms` real milliseconds (unref'd) until `close`. */
  every(ms: number, task: () => void): void
  /** Stops every timer. */
  close(): void
}

/** Creates the scheduler. */
export function createScheduler(clock: LifecycleClock, onDue: (memberGuid: string) => void): Scheduler {
  const intervals: NodeJS.Timeout[] = []
  const queue = createTimerQueue(onDue, {
    now: () => clock.now(),
    setTimer: (callback, ms) => setTimeout(callback, Math.max(0, Math.min(ms, 2_147_483_647))),
    clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
  })
  return {
    at: (memberGuid, at) => queue.schedule(memberGuid, at),
    cancel: (memberGuid) => queue.cancel(memberGuid),
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
