import type { MemberRef } from './types.js'

/** What the reconnector remembers about a member it ran in this process (for reports). */
export interface Tracked {
  readonly userId: string
  readonly memberGuid: string
  calls: number
  readonly startedAt: number
  finishedAt?: number
  /** When it was last parked waiting on the user. */
  parkedAt?: number
}

/**
 * Per-member counters for sweep reports, kept only while a sweep (or `resumeAll`) reports on the member,
 * so a long-lived process does not keep an entry for every member it ever ran.
 *
 * @example
 * ```ts
 * const tracker = createTracker(() => Date.now())
 * tracker.report(['MBR-1'])
 * tracker.activated({ userId: 'u-1', memberGuid: 'MBR-1' })
 * ```
 */
export interface Tracker {
  /** Someone reports on these members (counted: several sweeps may report on one member). */
  report(guids: readonly string[]): void
  /** One reporter fewer; the counters go with the last one. */
  unreport(guids: readonly string[]): void
  /** The member became live here: start its counters if someone reports on it. */
  activated(ref: MemberRef): void
  /** A Nexus call for the member. */
  called(memberGuid: string): void
  /** The member finished (`finished`) or parked on the user (`parked`). */
  mark(memberGuid: string, what: 'finished' | 'parked'): void
  /** Forgets the member's counters (it is started afresh). */
  reset(memberGuid: string): void
  get(memberGuid: string): Tracked | undefined
}

/** Creates a tracker on the given clock. */
export function createTracker(now: () => number): Tracker {
  const tracked = new Map<string, Tracked>()
  const reporting = new Map<string, number>()
  return {
    report(guids) {
      for (const guid of guids) reporting.set(guid, (reporting.get(guid) ?? 0) + 1)
    },
    unreport(guids) {
      for (const guid of guids) {
        const left = (reporting.get(guid) ?? 1) - 1
        if (left > 0) reporting.set(guid, left)
        else {
          reporting.delete(guid)
          tracked.delete(guid)
        }
      }
    },
    activated(ref) {
      if (reporting.has(ref.memberGuid) && !tracked.has(ref.memberGuid))
        tracked.set(ref.memberGuid, { ...ref, calls: 0, startedAt: now() })
    },
    called(memberGuid) {
      const t = tracked.get(memberGuid)
      if (t) t.calls += 1
    },
    mark(memberGuid, what) {
      const t = tracked.get(memberGuid)
      if (!t) return
      if (what === 'finished') t.finishedAt = now()
      else t.parkedAt = now()
    },
    reset: (memberGuid) => void tracked.delete(memberGuid),
    get: (memberGuid) => tracked.get(memberGuid),
  }
}
