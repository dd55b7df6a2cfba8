import type { LifecycleClock } from '../bridge/clock.js'
import type { LifecycleStore } from '../stores/types.js'
import type { Driver } from './driver.js'
import type { Live, Lives } from './live.js'

/** How long (real ms) a host event waits for another instance to hand a parked member over. */
export const HANDOFF_MS = 5_000

/**
 * Runs a host event (a submit, a cancel) on the member's live lifecycle, and bridges the hand-over between
 * instances: a member another instance has just parked on its user is stored as `waiting` a moment before
 * that instance drops its lease, so a user's answer arriving at once on another instance behind the same
 * load balancer would find it held. While the stored member waits and another instance holds its lease,
 * this tries again (5, 10, 20 … 200 ms apart) for at most {@link HANDOFF_MS}; anything else (done, running
 * elsewhere, unknown) answers at once.
 *
 * @example
 * ```ts
 * const onLive = createHandoff({ driver, lives, store, clock })
 * const result = await onLive('MBR-1', (entry) => lifecycle.submitMfa(entry.actor!, answers))
 * ```
 */
export function createHandoff(deps: {
  readonly driver: Driver
  readonly lives: Lives
  readonly store: LifecycleStore
  readonly clock: LifecycleClock
}) {
  const { driver, lives, store, clock } = deps

  /** The stored member waits, and an instance other than this one holds its lease. */
  async function parkingElsewhere(memberGuid: string): Promise<boolean> {
    if (lives.live.has(memberGuid)) return false
    const record = await store.get(memberGuid)
    return (
      record !== undefined &&
      record.status === 'waiting' &&
      record.owner !== null &&
      (record.leaseUntil ?? 0) > clock.now()
    )
  }

  return async function onLive<T>(memberGuid: string, use: (entry: Live) => T): Promise<T | undefined> {
    const deadline = performance.now() + HANDOFF_MS
    for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
      const result = await driver.withLive(memberGuid, use)
      if (result !== undefined || performance.now() >= deadline) return result
      if (!(await parkingElsewhere(memberGuid))) return result
      await new Promise((resolve) => setTimeout(resolve, pause))
    }
  }
}
