import { describe, expect, it } from 'vitest'
import { buildReport } from '../../src/reconnector/report.js'
import type { Tracked } from '../../src/reconnector/tracker.js'
import type { Settlement } from '../../src/reconnector/waiters.js'

// The sweep report as docs/reconnector.md ("Sweep report") and `SweepMemberReport`'s TSDoc define it: one
// line per member (its user, outcome, connection status, attempts, calls made here, the duration from its
// first activation here to its outcome or its park) and counts per outcome; `reason` only when it is not
// plain, and a text. Written against the survivors of a Stryker run on report.ts.

const attempts = { credentials: 1, mfa: 0, service: 0 }
const done = (memberGuid: string, outcome: Record<string, unknown>, connectionStatus: string | null = null) =>
  ({
    view: { userId: `u-${memberGuid}`, memberGuid, status: 'done', state: 'done', connectionStatus, outcome },
  }) as unknown as Settlement
const extras = { failures: [], durationMs: 7 }

describe('buildReport', () => {
  it('counts every outcome once per member, and sets nothing aside when nothing is quarantined', () => {
    const report = buildReport(
      ['A', 'B', 'C'],
      [
        done('A', { outcome: 'connected', connectionStatus: 'CONNECTED', attempts }),
        done('B', { outcome: 'connected', connectionStatus: 'CONNECTED', attempts }),
        done('C', { outcome: 'needsCredentials', connectionStatus: 'DENIED', attempts }),
      ],
      () => undefined,
      extras,
    )
    expect(report.counts).toEqual({ connected: 2, needsCredentials: 1 })
    expect(report.quarantined).toEqual([])
    expect(report.failures).toEqual([])
    expect(report.durationMs).toBe(7)
    expect(report.members.map((m) => m.memberGuid)).toEqual(['A', 'B', 'C'])
    // No reason is no `reason` key (the type's `reason?: string`, under exactOptionalPropertyTypes).
    for (const m of report.members) expect(Object.keys(m)).not.toContain('reason')
  })

  it('takes the outcome’s connection status over the stored view’s', () => {
    const report = buildReport(
      ['A'],
      [done('A', { outcome: 'connected', connectionStatus: 'CONNECTED', attempts }, null)],
      () => undefined,
      extras,
    )
    expect(report.members[0]).toMatchObject({ connectionStatus: 'CONNECTED', attempts, userId: 'u-A' })
  })

  it('a member with no stored view is named under the user it ran for here', () => {
    const tracked: Tracked = { userId: 'u-t', memberGuid: 'T', calls: 4, startedAt: 100, finishedAt: 160 }
    const report = buildReport(
      ['T'],
      [{ view: undefined, reason: 'leaseLost' }],
      (guid) => (guid === 'T' ? tracked : undefined),
      extras,
    )
    expect(report.members[0]).toEqual({
      memberGuid: 'T',
      userId: 'u-t',
      outcome: 'unfinished',
      connectionStatus: null,
      attempts: null,
      calls: 4,
      durationMs: 60,
      reason: 'leaseLost',
    })
  })

  it('a member never activated here made no calls and took no time', () => {
    const report = buildReport(
      ['A'],
      [done('A', { outcome: 'connected', connectionStatus: 'CONNECTED', attempts })],
      () => undefined,
      extras,
    )
    expect(report.members[0]).toMatchObject({ calls: 0, durationMs: 0 })
  })

  it('a stored outcome reason that is not a text is not reported as a reason', () => {
    const report = buildReport(
      ['A'],
      [done('A', { outcome: 'connected', connectionStatus: 'CONNECTED', attempts, reason: 42 })],
      () => undefined,
      extras,
    )
    expect(report.members[0]?.reason).toBeUndefined()
  })
})
