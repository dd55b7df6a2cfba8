import type { ErrorData } from '../domain/errors.js'
import type { Tracked } from './tracker.js'
import type { SweepMemberReport, SweepReport } from './types.js'
import type { Settlement } from './waiters.js'

/** The parts of a report that are not per member. */
export interface ReportExtras {
  readonly failures: readonly { readonly userId: string; readonly error: ErrorData }[]
  readonly durationMs: number
}

/** The `reason` an outcome was stored with (e.g. `userDeadlinePassed`), if any. */
function outcomeReason(settlement: Settlement | undefined): string | undefined {
  const reason = (settlement?.view?.outcome as { reason?: unknown } | undefined)?.reason
  return typeof reason === 'string' ? reason : undefined
}

/**
 * The sweep report: every member with its outcome, status, attempts, calls and duration, and counts per
 * outcome (reconnector.md, Library API); users whose members could not be listed; quarantined rows.
 */
export function buildReport(
  guids: readonly string[],
  settlements: readonly (Settlement | undefined)[],
  tracked: (memberGuid: string) => Tracked | undefined,
  extras: ReportExtras,
): SweepReport {
  const members: SweepMemberReport[] = []
  const quarantined: { memberGuid: string; reason: string }[] = []
  guids.forEach((memberGuid, i) => {
    const s = settlements[i]
    if (s?.quarantined !== undefined) return void quarantined.push({ memberGuid, reason: s.quarantined })
    const v = s?.view
    const t = tracked(memberGuid)
    const output = v?.status === 'done' ? v.outcome : undefined
    const outcome = output?.outcome ?? (v?.prompt ? 'awaitingUser' : 'unfinished')
    const reason = outcomeReason(s) ?? (output || v?.prompt ? undefined : (s?.reason ?? 'unfinished'))
    members.push({
      memberGuid,
      userId: v?.userId ?? t?.userId ?? '',
      outcome,
      connectionStatus: output?.connectionStatus ?? v?.connectionStatus ?? null,
      attempts: output?.attempts ?? null,
      calls: t?.calls ?? 0,
      durationMs: t ? (t.finishedAt ?? t.parkedAt ?? t.startedAt) - t.startedAt : 0,
      ...(reason !== undefined ? { reason } : {}),
    })
  })
  const counts: Record<string, number> = {}
  for (const m of members) counts[m.outcome] = (counts[m.outcome] ?? 0) + 1
  return { members, counts, durationMs: extras.durationMs, failures: extras.failures, quarantined }
}
