import type { SweepReport } from '../../reconnector/index.js'
import { formatCount, formatCounts, formatMs, renderTable } from './table.js'

/** The human form of a SweepReport (reconnector.md: every member with its outcome, status, attempts, calls, duration). */

/**
 * One row per member, then the counts per outcome. `waitingFor` says what a member parked on its user
 * waits for (`credentials`, `MFA`), when known.
 */
export function sweepReportLines(
  report: SweepReport,
  waitingFor: ReadonlyMap<string, string> = new Map(),
): string[] {
  const rows = report.members.map((m) => {
    const waiting = m.outcome === 'awaitingUser'
    const what = waitingFor.get(m.memberGuid)
    return [
      m.userId,
      m.memberGuid,
      waiting && what !== undefined ? `awaitingUser (${what})` : m.outcome,
      m.connectionStatus ?? '-',
      m.attempts === null ? '-' : `${m.attempts.credentials}/${m.attempts.mfa}/${m.attempts.service}`,
      String(m.calls),
      // A parked member has no outcome yet, so no duration to report (SweepMemberReport.durationMs).
      waiting ? '-' : formatMs(m.durationMs),
    ]
  })
  return [
    ...renderTable(
      [
        { header: 'user' },
        { header: 'member' },
        { header: 'outcome' },
        { header: 'status' },
        { header: 'attempts c/m/s', align: 'right' },
        { header: 'calls', align: 'right' },
        { header: 'duration', align: 'right' },
      ],
      rows,
    ),
    '',
    `Members    ${formatCount(report.members.length)}: ${formatCounts(report.counts)}`,
    `Duration   ${formatMs(report.durationMs)}`,
  ]
}
