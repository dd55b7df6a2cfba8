import { describe, expect, it } from 'vitest'
import { initialContext, type LifecycleContext } from '../../machines/member-lifecycle/index.js'
import {
  acceptAnswers,
  acceptCredentials,
  afterRead,
  afterWait,
  leaveJob,
  promptMfa,
  scheduleRetry,
  settle,
  startAggregation,
} from '../../machines/member-lifecycle/updates.js'
import { T0, challenges, member } from '../support/lifecycle-fixtures.js'
import { SPEC_POLL_FLOOR_MS } from '../support/spec.js'

// Written against the mutants Stryker left alive in updates.ts (docs/testing.md): whether a restored
// submission "took" (lifecycle.md, Restore: "was the job started?"), which budget it counts against, and the
// context fields each updater must reset. Expectations come from lifecycle.md, not from the code.

const base = initialContext({ userId: 'u-1', memberGuid: 'MBR-1' })
const context = (patch: Partial<LifecycleContext>): LifecycleContext => ({ ...base, ...patch })
const read = (status: string | null, extra: Record<string, unknown> = {}) => ({
  at: T0,
  member: member(status, extra),
})
const pendingOn = (kind: 'update' | 'aggregate' | 'resume', challengeGuids?: string[]) =>
  context({
    attempts: { credentials: 1, mfa: 1, service: 0 },
    pending: { kind, jobGuid: 'JOB-1', ...(challengeGuids ? { challengeGuids } : {}) },
  })

describe('afterRead: did a restored trigger take effect?', () => {
  it.each([
    // [kind, status, extra, counts as]
    ['update', 'DENIED', {}, null], // same job, still asking for credentials: never reached MX
    ['update', 'CONNECTED', {}, 'credentials'], // the status moved on
    ['update', 'DENIED', { most_recent_job_guid: 'JOB-2' }, 'credentials'], // a new job
    ['update', 'DENIED', { is_being_aggregated: true }, 'credentials'], // a job running
    ['update', null, {}, 'credentials'], // no status to compare: assume it was sent
    ['aggregate', 'REJECTED', {}, null], // same job, still the MFA class: not started
    ['aggregate', 'CHALLENGED', {}, null],
    ['aggregate', 'DENIED', {}, 'mfa'], // the class changed
    ['aggregate', 'REJECTED', { most_recent_job_guid: 'JOB-2' }, 'mfa'],
  ] as const)('%s pending, read %s %o: counts against %s', (kind, status, extra, budget) => {
    const patch = afterRead(pendingOn(kind), read(status, extra))
    expect(patch.pending).toBeNull()
    const expected = { credentials: 1, mfa: 1, service: 0 }
    if (budget) expected[budget] += 1
    expect(patch.attempts ?? pendingOn(kind).attempts).toEqual(expected)
  })

  it('resume pending: a new job or a status past CHALLENGED counts an MFA round; still CHALLENGED waits', () => {
    expect(afterRead(pendingOn('resume'), read('CONNECTED')).attempts).toEqual({
      credentials: 1,
      mfa: 2,
      service: 0,
    })
    const same = afterRead(pendingOn('resume'), read('CHALLENGED'))
    expect(same.attempts).toBeUndefined()
    expect('pending' in same).toBe(false)
  })
})

describe('promptMfa: a restored MFA answer took effect when the challenges changed', () => {
  const answered = pendingOn('resume', ['CH-0', 'CH-1'])
  const list = (...guids: string[]) => ({
    at: T0,
    challenges: challenges(...guids.map(() => 'TEXT')).map((c, i) => ({ ...c, guid: guids[i]! })),
  })

  it.each([
    [['CH-0', 'CH-1'], false],
    [['CH-1', 'CH-0'], false], // same challenges, another order
    [['CH-0'], true], // fewer
    [['CH-0', 'CH-9'], true], // as many, one new
    [['CH-8', 'CH-9'], true],
  ])('challenges %o after answering CH-0, CH-1: a new round is %s', (guids, took) => {
    const patch = promptMfa(answered, list(...guids))
    expect(patch.pending).toBeNull()
    expect(patch.attempts?.mfa ?? 1).toBe(took ? 2 : 1)
  })

  it('a pending trigger without answered guids (an aggregation) counts when challenges come', () => {
    const patch = promptMfa(pendingOn('aggregate'), list('CH-0'))
    expect(patch.attempts).toEqual({ credentials: 1, mfa: 2, service: 0 })
  })

  it('nothing pending: nothing counted, a fresh user deadline', () => {
    const patch = promptMfa(base, list('CH-0'))
    expect(patch.attempts).toBeUndefined()
    expect(patch.userDeadline).toBe(T0 + base.policy.userResponseMs)
  })
})

describe('updaters before any member read (context.member is null)', () => {
  it('a submission or aggregation names no job; answers name the challenges asked, or none', () => {
    expect(acceptCredentials(base, 'S-1').pending).toEqual({ kind: 'update', jobGuid: null })
    expect(acceptAnswers(base, 'S-2').pending).toEqual({ kind: 'resume', jobGuid: null, challengeGuids: [] })
    expect(startAggregation(base)).toEqual({
      pending: { kind: 'aggregate', jobGuid: null },
      jobDeadline: null,
      polls: 0,
      idleReads: 0,
    })
  })
})

describe('small updaters', () => {
  it('afterWait stamps the time; leaveJob forgets the job’s deadline and counters', () => {
    expect(afterWait(T0 + 5)).toEqual({ observedAt: T0 + 5 })
    expect(leaveJob()).toEqual({ jobDeadline: null, polls: 0, idleReads: 0 })
  })

  it('scheduleRetry counts the streak and the service budget up by one, and waits at least the floor', () => {
    const ctx = context({ streak: 2, attempts: { credentials: 0, mfa: 0, service: 2 } })
    const failure = {
      _tag: 'ServiceFailure' as const,
      at: T0,
      error: { _tag: 'HttpError', message: 'm' },
      errorClass: 'retry' as const,
    }
    const patch = scheduleRetry(ctx, failure, 'read' as never)
    expect(patch.streak).toBe(3)
    expect(patch.attempts).toEqual({ credentials: 0, mfa: 0, service: 3 })
    expect(patch.wakeAt! - T0).toBeGreaterThanOrEqual(SPEC_POLL_FLOOR_MS)
  })

  it('settle suggests a retry time for retryLater only', () => {
    expect(settle(base, 'retryLater').retryAfter).toBe(base.policy.retryLaterMs)
    for (const outcome of ['connected', 'needsMfa', 'failed'] as const)
      expect(settle(base, outcome)).toEqual({ outcome, wakeAt: null, submissionId: null, retryAfter: null })
  })
})
