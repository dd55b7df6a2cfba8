import type { SweepMemberReport, SweepReport } from '../../reconnector/index.js'
import { hintFor } from '../sweep/exit-codes.js'
import { formatCount, formatCounts, formatMs, renderTable } from './table.js'

/**
 * The human form of a SweepReport (reconnector.md: every member with its outcome, status, attempts, calls,
 * duration). A user whose members could not be listed is a row of its own (`userFailed`), and so is a
 * member whose stored row was set aside (`quarantined`); a member's `reason` is shown with its outcome.
 */

/** `userDeadlinePassed` → `user deadline passed`. */
const words = (reason: string): string => reason.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()

function outcomeText(m: SweepMemberReport, waitingFor: ReadonlyMap<string, string>): string {
  const what = m.outcome === 'awaitingUser' ? waitingFor.get(m.memberGuid) : undefined
  const notes = [what, m.reason === undefined ? undefined : words(m.reason)].filter((n) => n !== undefined)
  return notes.length === 0 ? m.outcome : `${m.outcome} (${notes.join('; ')})`
}

/** The detail lines under the table: why each failed user and quarantined row is there. */
function detailLines(report: SweepReport): string[] {
  const lines: string[] = []
  for (const f of report.failures) {
    const hint = hintFor(f.error)
    lines.push(`Failed     user ${f.userId}: ${f.error.message}${hint === undefined ? '' : ` (${hint})`}`)
  }
  for (const q of report.quarantined) lines.push(`Quarantined member ${q.memberGuid}: ${q.reason}`)
  return lines
}

/** What the report lines may add to the report itself. */
export interface SweepReportContext {
  /** What a member parked on its user waits for (`credentials`, `MFA`), when known. */
  readonly waitingFor?: ReadonlyMap<string, string>
  /** How many users the sweep was asked for (a sweep by user ids), for the `Users` line. */
  readonly userCount?: number
}

/** One row per member, per failed user and per quarantined row, then the details and counts. */
export function sweepReportLines(report: SweepReport, context: SweepReportContext = {}): string[] {
  const waitingFor = context.waitingFor ?? new Map<string, string>()
  const rows = report.members.map((m) => {
    // A parked or unfinished member has no outcome yet, so no duration to report.
    const open = m.outcome === 'awaitingUser' || m.outcome === 'unfinished'
    return [
      m.userId,
      m.memberGuid,
      outcomeText(m, waitingFor),
      m.connectionStatus ?? '-',
      m.attempts === null ? '-' : `${m.attempts.credentials}/${m.attempts.mfa}/${m.attempts.service}`,
      String(m.calls),
      open ? '-' : formatMs(m.durationMs),
    ]
  })
  for (const f of report.failures) {
    const status = f.error.status === undefined ? f.error._tag : `HTTP ${f.error.status}`
    rows.push([f.userId, '-', `userFailed (${status})`, '-', '-', '-', '-'])
  }
  for (const q of report.quarantined) rows.push(['-', q.memberGuid, 'quarantined', '-', '-', '-', '-'])
  const details = detailLines(report)
  const failed = report.failures.length
  const users = context.userCount
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
    ...details,
    ...(details.length === 0 ? [] : ['']),
    `Members    ${formatCount(report.members.length)}: ${formatCounts(report.counts)}`,
    ...(users === undefined
      ? []
      : [
          `Users      ${formatCount(users)}: ${failed === 0 ? 'all swept' : `${formatCount(users - failed)} swept, ${formatCount(failed)} failed (their members were not swept)`}`,
        ]),
    ...(report.quarantined.length === 0
      ? []
      : [`Quarantined ${formatCount(report.quarantined.length)} stored rows set aside (not run)`]),
    `Duration   ${formatMs(report.durationMs)}`,
  ]
}
