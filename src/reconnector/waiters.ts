import type { LifecycleView } from './types.js'

/** How a wait ended: the member's view (as stored, or live here) and, when it did not end here normally, why. */
export interface Settlement {
  readonly view: LifecycleView | undefined
  /** E.g. `leaseLost`, `versionConflict`, `storeError`, `closed`, `quarantined`. */
  readonly reason?: string
  /** Set when the member's row could not be read or restored: why it was quarantined. */
  readonly quarantined?: string
}

/**
 * The callers waiting on members (`settled`, sweeps, `resumeAll`). Every path that ends a wait (an outcome
 * here or elsewhere, a park on the user, a lost lease, a conflict, a store error, close) resolves them
 * through `resolve`, so no waiter is left pending (reconnector.md, Durability rules).
 *
 * @example
 * ```ts
 * const waiters = createWaiters()
 * const done = waiters.wait('MBR-1')
 * waiters.resolve('MBR-1', { view })
 * ```
 */
export interface Waiters {
  /** A promise resolved by the next `resolve` for the member. */
  wait(memberGuid: string): Promise<Settlement>
  /** True while someone waits on the member. */
  has(memberGuid: string): boolean
  /** Resolves (and forgets) every waiter of the member. */
  resolve(memberGuid: string, settlement: Settlement): void
  /** Members someone waits on. */
  members(): readonly string[]
}

/** Creates an empty set of waiters. */
export function createWaiters(): Waiters {
  const waiting = new Map<string, Array<(settlement: Settlement) => void>>()
  return {
    wait: (memberGuid) =>
      new Promise((resolve) => {
        const list = waiting.get(memberGuid) ?? []
        list.push(resolve)
        waiting.set(memberGuid, list)
      }),
    has: (memberGuid) => waiting.has(memberGuid),
    resolve(memberGuid, settlement) {
      const list = waiting.get(memberGuid)
      if (!list) return
      waiting.delete(memberGuid)
      for (const resolve of list) resolve(settlement)
    },
    members: () => [...waiting.keys()],
  }
}
