import { describe, expect, it } from 'vitest'
import type { SweepReport } from '../../src/reconnector/index.js'
import { sweepReportLines } from '../../src/cli/report/sweep-report.js'

// The table form of a sweep report: reasons next to outcomes, failed users and quarantined rows as rows of
// their own, with their details and the summary lines (issue 10 items 5 and 8, issue 11 item 5).

const member = (over: Partial<SweepReport['members'][number]>): SweepReport['members'][number] => ({
  memberGuid: 'MBR-1',
  userId: 'u-1',
  outcome: 'connected',
  connectionStatus: 'CONNECTED',
  attempts: { credentials: 0, mfa: 0, service: 0 },
  calls: 3,
  durationMs: 1200,
  ...over,
})

const report: SweepReport = {
  members: [
    member({}),
    member({
      memberGuid: 'MBR-2',
      outcome: 'needsCredentials',
      connectionStatus: 'DENIED',
      reason: 'userDeadlinePassed',
    }),
    member({ memberGuid: 'MBR-3', outcome: 'awaitingUser', connectionStatus: 'CHALLENGED', attempts: null }),
    member({ memberGuid: 'MBR-4', outcome: 'unfinished', connectionStatus: null, reason: 'leaseLost' }),
  ],
  counts: { connected: 1, needsCredentials: 1, awaitingUser: 1, unfinished: 1 },
  durationMs: 4321,
  failures: [
    {
      userId: 'gone-user',
      error: {
        _tag: 'HttpError',
        status: 404,
        message: 'SSO GET /c/users/gone-user/api_token.json answered HTTP 404',
      },
    },
    { userId: 'far-user', error: { _tag: 'TransportError', message: 'GET /x failed: timeout (ETIMEDOUT)' } },
  ],
  quarantined: [{ memberGuid: 'MBR-bad', reason: 'snapshot of MBR-bad is not valid JSON' }],
}

describe('sweepReportLines', () => {
  const lines = sweepReportLines(report, { waitingFor: new Map([['MBR-3', 'MFA']]), userCount: 4 })
  const text = lines.join('\n')

  it('shows a member’s reason with its outcome', () => {
    expect(text).toMatch(
      /^u-1 +MBR-2 +needsCredentials \(user deadline passed\) +DENIED +0\/0\/0 +3 +1\.2 s$/m,
    )
    expect(text).toMatch(/^u-1 +MBR-3 +awaitingUser \(MFA\) +CHALLENGED +- +3 +-$/m)
    expect(text).toMatch(/^u-1 +MBR-4 +unfinished \(lease lost\) +- +0\/0\/0 +3 +-$/m)
    expect(text).toMatch(/^u-1 +MBR-1 +connected +CONNECTED/m)
  })

  it('gives each failed user and quarantined row a row, and says why under the table', () => {
    expect(text).toMatch(/^gone-user +- +userFailed \(HTTP 404\) +- +- +- +-$/m)
    expect(text).toMatch(/^far-user +- +userFailed \(TransportError\)/m)
    expect(text).toMatch(/^- +MBR-bad +quarantined/m)
    expect(lines).toContain(
      'Failed     user gone-user: SSO GET /c/users/gone-user/api_token.json answered HTTP 404 (the user is unknown at MX (deleted?), or MX_CLIENT_ID is wrong)',
    )
    expect(lines).toContain(
      'Failed     user far-user: GET /x failed: timeout (ETIMEDOUT) (check MX_NEXUS_URL and MX_SSO_URL)',
    )
    expect(lines).toContain('Quarantined member MBR-bad: snapshot of MBR-bad is not valid JSON')
  })

  it('summarises members, users and quarantined rows', () => {
    expect(lines).toContain('Members    4: awaitingUser 1, connected 1, needsCredentials 1, unfinished 1')
    expect(lines).toContain('Users      4: 2 swept, 2 failed (their members were not swept)')
    expect(lines).toContain('Quarantined 1 stored rows set aside (not run)')
    expect(lines.at(-1)).toBe('Duration   4.3 s')
  })

  it('a clean report has no failure lines and says every user was swept', () => {
    const clean = sweepReportLines({ ...report, failures: [], quarantined: [] }, { userCount: 2 })
    expect(clean.join('\n')).not.toMatch(/userFailed|quarantined|^Failed|^Quarantined/m)
    expect(clean).toContain('Users      2: all swept')
  })
})
