import type { LifecycleOutput } from '../../machines/member-lifecycle/index.js'
import type { LifecycleView, SweepMemberReport, SweepReport } from './types.js'

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
 * The sweep report: every member with its outcome, status, attempts, calls and duration, and counts per
 * outcome (reconnector.md, Library API).
 */
export function buildReport(
  guids: readonly string[],
  views: readonly (LifecycleView | undefined)[],
  tracked: ReadonlyMap<string, Tracked>,
  durationMs: number,
): SweepReport {
  const members: SweepMemberReport[] = guids.map((memberGuid, i) => {
    const v = views[i]
    const t = tracked.get(memberGuid)
    const output: LifecycleOutput | undefined = v?.outcome
    return {
      memberGuid,
      userId: v?.userId ?? t?.userId ?? '',
      outcome: output?.outcome ?? 'awaitingUser',
      connectionStatus: output?.connectionStatus ?? v?.connectionStatus ?? null,
      attempts: output?.attempts ?? null,
      calls: t?.calls ?? 0,
      durationMs: t ? (t.finishedAt ?? t.parkedAt ?? t.startedAt) - t.startedAt : 0,
    }
  })
  const counts: Record<string, number> = {}
  for (const m of members) counts[m.outcome] = (counts[m.outcome] ?? 0) + 1
  return { members, counts, durationMs }
}
