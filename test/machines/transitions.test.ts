import { createActor, fromPromise, toPromise } from 'xstate'
import { describe, expect, it, vi } from 'vitest'
import { memberLifecycleMachine, resolvePolicy } from '../../machines/member-lifecycle/index.js'
import { KNOWN_STATUSES as DOMAIN_STATUSES } from '../../src/domain/connection-status.js'
import {
  at,
  challenges,
  done,
  failed,
  fields,
  http,
  INPUT,
  member,
  send,
  sendWithActions,
  start,
  T0,
  where,
} from '../support/lifecycle-fixtures.js'

// Transition tables for every state of the lifecycle, through XState's pure `transition()`: nothing runs,
// every actor result is an event (lifecycle.md, States; architecture.md house rule 9).

// Constants from the spec, not from the policy defaults: a default that drifts must fail these tests.
const READ_AT = T0 + 100
const FLOOR = 3_000 // Nexus reference §8.1 step 2: reads at least 3 s apart
const USER_RESPONSE_MS = 15 * 60_000 // lifecycle.md, Policy: userResponseMs 15 min
const JOB_MS = 10 * 60_000 // lifecycle.md, Policy: jobMs 10 min
const RETRY_LATER_MS = 60 * 60_000 // lifecycle.md, Policy: retryLaterMs 1 h
const POLL_CAP_MS = 30_000 // lifecycle.md, Policy: pollCapMs
const JITTER = 0.2 // lifecycle.md, Policy: jitter
const SERVICE_ATTEMPTS = 5 // lifecycle.md, Attempts: service retries

describe('loadingMember → routing (lifecycle.md, routing; Nexus reference §4)', () => {
  const table: [status: string | null, aggregating: boolean, expected: string][] = [
    ['CONNECTED', false, 'connected'],
    ['CONNECTED', true, 'waitingOnJob.sleeping'],
    ['CREATED', false, 'aggregating'],
    ['CREATED', true, 'waitingOnJob.sleeping'],
    ['UPDATED', false, 'waitingOnJob.sleeping'],
    ['DELAYED', false, 'waitingOnJob.sleeping'],
    ['RESUMED', false, 'waitingOnJob.sleeping'],
    ['RECONNECTED', false, 'aggregating'],
    ['RECONNECTED', true, 'waitingOnJob.sleeping'],
    ['DENIED', false, 'credentials.listing'],
    ['PREVENTED', false, 'credentials.listing'],
    ['IMPAIRED', false, 'credentials.listing'],
    ['IMPORTED', false, 'credentials.listing'],
    ['DENIED', true, 'waitingOnJob.sleeping'],
    ['CHALLENGED', false, 'mfa.listing'],
    ['CHALLENGED', true, 'mfa.listing'],
    ['REJECTED', false, 'aggregating'],
    ['EXPIRED', false, 'aggregating'],
    ['PENDING', false, 'fetchingOAuthUri'],
    ['LOCKED', false, 'needsUserAtInstitution'],
    ['IMPEDED', false, 'needsUserAtInstitution'],
    ['DEGRADED', false, 'retryLater'],
    ['DISCONNECTED', false, 'retryLater'],
    ['FAILED', false, 'retryLater'],
    ['DISCONTINUED', false, 'unrecoverable'],
    ['CLOSED', false, 'unrecoverable'],
    ['DISABLED', false, 'retryLater'],
    ['NEW_IN_2030', false, 'unknownStatus'],
    [null, false, 'unrecoverable'],
  ]

  it('covers every known status', () => {
    expect(new Set(table.map(([s]) => s))).toEqual(new Set([...DOMAIN_STATUSES, 'NEW_IN_2030', null]))
  })

  it.each(table)('%s (aggregating %s) → %s', (status, aggregating, expected) => {
    const next = send(
      start(),
      done('loadingMember', { member: member(status, { is_being_aggregated: aggregating }) }),
    )
    expect(where(next)).toBe(expected)
    expect(next.context.member?.status).toBe(status)
  })

  it('an OAuth member that needs credentials goes to the OAuth window instead', () => {
    const next = send(start(), done('loadingMember', { member: member('DENIED', { is_oauth: true }) }))
    expect(where(next)).toBe('fetchingOAuthUri')
  })

  it('credential and MFA budgets decide exhaustion', () => {
    const spent = { attempts: { credentials: 3, mfa: 5, service: 0 } }
    expect(where(send(at('loadingMember', spent), done('loadingMember', { member: member('DENIED') })))).toBe(
      'needsCredentials',
    )
    expect(
      where(send(at('loadingMember', spent), done('loadingMember', { member: member('CHALLENGED') }))),
    ).toBe('needsMfa')
    expect(
      where(send(at('loadingMember', spent), done('loadingMember', { member: member('EXPIRED') }))),
    ).toBe('needsMfa')
  })

  it('first wait after a read is at least the poll floor, within the jitter', () => {
    const next = send(start(), done('loadingMember', { member: member('UPDATED') }))
    expect(next.context.polls).toBe(1)
    expect(next.context.jobDeadline).toBe(READ_AT + JOB_MS)
    expect(next.context.wakeAt! - READ_AT).toBeGreaterThanOrEqual(FLOOR)
    expect(next.context.wakeAt! - READ_AT).toBeLessThanOrEqual(FLOOR * (1 + JITTER))
  })

  it.each([
    ['retry', 'backingOff'],
    ['refresh', 'backingOff'],
    ['userAction', 'unrecoverable'],
    ['fatal', 'unrecoverable'],
  ] as const)('a %s failure → %s', (errorClass, expected) => {
    const next = send(start(), failed('loadingMember', http(503), errorClass))
    expect(where(next)).toBe(expected)
    expect(next.context.error?._tag).toBe('HttpError')
  })

  it('a retryable failure beyond the service budget → failed, with the error', () => {
    const next = send(
      at('loadingMember', { streak: SERVICE_ATTEMPTS }),
      failed('loadingMember', http(503), 'retry'),
    )
    expect(where(next)).toBe('failed')
    expect(next.output).toMatchObject({ outcome: 'failed', error: { _tag: 'HttpError', status: 503 } })
  })

  it('Retry-After is honoured', () => {
    const next = send(start(), failed('loadingMember', http(429, 7_000), 'retry'))
    expect(next.context.wakeAt).toBe(READ_AT + 7_000)
    expect(next.context.retryStep).toBe('loadingMember')
  })

  it('a rejection that is not a ServiceFailure is fatal', () => {
    const next = send(start(), {
      type: 'xstate.error.actor.loadingMember',
      error: new Error('boom'),
    })
    expect(where(next)).toBe('unrecoverable')
  })
})

describe('credentials', () => {
  const denied = {
    member: { status: 'DENIED', message: null, aggregating: false, jobGuid: 'JOB-1', isOauth: false },
  }

  it('listing: fields → awaiting with a user deadline and a prompt; none → needsCredentials', () => {
    const [next, actions] = sendWithActions(
      at({ credentials: 'listing' }, denied),
      done('listingCredentials', { fields: fields({}, { optional: true }) }),
    )
    expect(where(next)).toBe('credentials.awaiting')
    expect(next.context.userDeadline).toBe(READ_AT + USER_RESPONSE_MS)
    expect(next.context.wakeAt).toBe(next.context.userDeadline)
    expect(next.context.fields?.map((f) => f.guid)).toEqual(['CRD-0', 'CRD-1'])
    expect(actions.map((a) => a.type)).toContain('xstate.emit')
    expect(
      where(send(at({ credentials: 'listing' }, denied), done('listingCredentials', { fields: [] }))),
    ).toBe('needsCredentials')
  })

  const awaiting = () =>
    at(
      { credentials: 'awaiting' },
      {
        ...denied,
        fields: [
          { guid: 'CRD-0', label: 'u', fieldName: null, type: 'LOGIN', optional: false },
          { guid: 'CRD-1', label: 'p', fieldName: null, type: 'PASSWORD', optional: false },
          { guid: 'CRD-2', label: 'pin', fieldName: null, type: 'TEXT', optional: true },
        ],
        userDeadline: T0 + 1_000,
        wakeAt: T0 + 1_000,
      },
    )

  const submit = (entries: [string, boolean][], submissionId = 'sub-1') => ({
    type: 'credentials.submit',
    submissionId,
    credentials: entries.map(([guid, empty]) => ({ guid, empty })),
  })

  it('awaiting: a valid submission → updating, pending until MX answers', () => {
    const next = send(
      awaiting(),
      submit([
        ['CRD-0', false],
        ['CRD-1', false],
      ]),
    )
    expect(where(next)).toBe('credentials.updating')
    expect(next.context.submissionId).toBe('sub-1')
    expect(next.context.pending).toEqual({ kind: 'update', jobGuid: 'JOB-1' })
    expect(next.context.attempts.credentials).toBe(0)
    expect(next.context.wakeAt).toBe(null)
  })

  it.each([
    [[['CRD-0', false]], 'missingField', ['CRD-1']],
    [
      [
        ['CRD-0', false],
        ['CRD-1', true],
      ],
      'emptyValue',
      ['CRD-1'],
    ],
    [
      [
        ['CRD-0', false],
        ['CRD-1', false],
        ['CRD-9', false],
      ],
      'unknownGuid',
      ['CRD-9'],
    ],
    [
      [
        ['CRD-0', false],
        ['CRD-0', false],
        ['CRD-1', false],
      ],
      'duplicateGuid',
      ['CRD-0'],
    ],
  ] as [[string, boolean][], string, string[]][])(
    'awaiting: invalid %j stays with %s',
    (entries, reason, guids) => {
      const next = send(awaiting(), submit(entries))
      expect(where(next)).toBe('credentials.awaiting')
      expect(next.context.validation).toEqual({ reason, guids })
      expect(next.context.submissionId).toBe(null)
    },
  )

  it('awaiting: a submission without a handle is refused', () => {
    const next = send(awaiting(), { type: 'credentials.submit', credentials: [] })
    expect(next.context.validation?.reason).toBe('noSubmission')
  })

  it('awaiting: MFA answers, webhooks are ignored; the deadline → needsCredentials; cancel → cancelled', () => {
    expect(where(send(awaiting(), { type: 'mfa.submit', submissionId: 's', answers: [] }))).toBe(
      'credentials.awaiting',
    )
    expect(where(send(awaiting(), { type: 'member.webhook', payload: { memberGuid: 'MBR-1' } }))).toBe(
      'credentials.awaiting',
    )
    const timedOut = send(awaiting(), done('credentialsDeadline', {}, T0 + 1_000))
    expect(where(timedOut)).toBe('needsCredentials')
    expect(timedOut.output?.outcome).toBe('needsCredentials')
    expect(send(awaiting(), { type: 'cancel' }).output?.outcome).toBe('cancelled')
  })

  const updating = (attempts = 0) =>
    at(
      { credentials: 'updating' },
      {
        ...denied,
        submissionId: 'sub-1',
        pending: { kind: 'update', jobGuid: 'JOB-1' },
        attempts: { credentials: attempts, mfa: 0, service: 0 },
      },
    )

  it('updating: done → waitingOnJob; the first read waits the poll floor (§8.1)', () => {
    const next = send(updating(), done('updatingMember', { member: member('UPDATED') }))
    expect(where(next)).toBe('waitingOnJob.sleeping')
    expect(next.context).toMatchObject({
      wakeAt: READ_AT + FLOOR,
      jobDeadline: READ_AT + JOB_MS,
      polls: 0,
      submissionId: null,
      pending: null,
      attempts: { credentials: 1 },
    })
  })

  it('updating: 400 (stale guids) counts an attempt and lists the fields again, or gives up', () => {
    const again = send(updating(0), failed('updatingMember', http(400), 'userAction'))
    expect(where(again)).toBe('credentials.listing')
    expect(again.context.attempts.credentials).toBe(1)
    const spent = send(updating(2), failed('updatingMember', http(400), 'userAction'))
    expect(where(spent)).toBe('needsCredentials')
  })

  it('updating: NotSent (restored) → re-read the member, keeping the trigger pending', () => {
    const next = send(updating(), failed('updatingMember', { _tag: 'NotSent' }, 'userAction'))
    expect(where(next)).toBe('loadingMember')
    expect(next.context.pending).toEqual({ kind: 'update', jobGuid: 'JOB-1' })
  })

  it('updating: a refusal (429) or a request that never left → backingOff to send again; 404 → unrecoverable', () => {
    const retry = send(updating(), failed('updatingMember', http(429), 'retry'))
    expect(where(retry)).toBe('backingOff')
    expect(retry.context.retryStep).toBe('updating')
    expect(retry.context.submissionId).toBe('sub-1')
    const unsent = send(
      updating(),
      failed('updatingMember', { _tag: 'TransportError', sent: false }, 'retry'),
    )
    expect(where(unsent)).toBe('backingOff')
    expect(where(send(updating(), failed('updatingMember', http(404), 'fatal')))).toBe('unrecoverable')
  })

  it.each([
    ['503', http(503)],
    ['500', http(500)],
    ['reset after sending', { _tag: 'TransportError', sent: true }],
    ['timeout, sent unknown', { _tag: 'TransportError' }],
    ['unreadable 200', { _tag: 'DecodeError' }],
  ])(
    'updating: reply lost (%s) → never resent: counted, wait on the member, floor first (decisions/0007)',
    (_n, error) => {
      const next = send(updating(), failed('updatingMember', error, 'retry'))
      expect(where(next)).toBe('waitingOnJob.sleeping')
      expect(next.context).toMatchObject({
        submissionId: null,
        pending: null,
        attempts: { credentials: 1 },
        wakeAt: READ_AT + FLOOR,
      })
    },
  )
})

describe('restore reconciliation (lifecycle.md, Restore)', () => {
  const pendingUpdate = { pending: { kind: 'update' as const, jobGuid: 'JOB-1' } }

  it('a re-read showing a new job counts the update that was in flight', () => {
    const next = send(
      at('loadingMember', pendingUpdate),
      done('loadingMember', { member: member('DENIED', { most_recent_job_guid: 'JOB-2' }) }),
    )
    expect(next.context.attempts.credentials).toBe(1)
    expect(next.context.pending).toBe(null)
  })

  it('a re-read showing nothing happened does not count it, and asks again', () => {
    const next = send(at('loadingMember', pendingUpdate), done('loadingMember', { member: member('DENIED') }))
    expect(next.context.attempts.credentials).toBe(0)
    expect(where(next)).toBe('credentials.listing')
  })

  const pendingResume = { pending: { kind: 'resume' as const, jobGuid: 'JOB-1', challengeGuids: ['CH-0'] } }

  it('resume: a status that moved on counts it', () => {
    const next = send(
      at('loadingMember', pendingResume),
      done('loadingMember', { member: member('RESUMED', { is_being_aggregated: true }) }),
    )
    expect(next.context.attempts.mfa).toBe(1)
  })

  it('resume: still CHALLENGED → the challenge list decides (same round: not counted; new round: counted)', () => {
    const read = send(
      at('loadingMember', pendingResume),
      done('loadingMember', { member: member('CHALLENGED') }),
    )
    expect(where(read)).toBe('mfa.listing')
    expect(read.context.pending).not.toBe(null)
    const same = send(read, done('listingChallenges', { challenges: challenges('TEXT') }))
    expect(same.context.attempts.mfa).toBe(0)
    const next = send(
      read,
      done('listingChallenges', { challenges: [{ ...challenges('TEXT')[0]!, guid: 'CH-9' }] }),
    )
    expect(next.context.attempts.mfa).toBe(1)
  })
})

describe('mfa', () => {
  const challenged = {
    member: { status: 'CHALLENGED', message: null, aggregating: true, jobGuid: 'JOB-1', isOauth: false },
  }

  it('listing: challenges → awaiting; none → loadingMember, counting a round', () => {
    const next = send(
      at({ mfa: 'listing' }, challenged),
      done('listingChallenges', { challenges: challenges('OPTIONS', 'TEXT') }),
    )
    expect(where(next)).toBe('mfa.awaiting')
    expect(next.context.challenges?.[0]).toMatchObject({
      guid: 'CH-0',
      type: 'OPTIONS',
      options: [{ label: 'a', value: 'a' }],
    })
    const empty = send(at({ mfa: 'listing' }, challenged), done('listingChallenges', { challenges: [] }))
    expect(where(empty)).toBe('loadingMember')
    expect(empty.context.attempts.mfa).toBe(1)
  })

  const awaiting = () =>
    at(
      { mfa: 'awaiting' },
      {
        ...challenged,
        challenges: [
          { guid: 'CH-0', type: 'TEXT', label: 'q', fieldName: null },
          { guid: 'CH-1', type: 'TOKEN', label: 'q', fieldName: null },
        ],
        userDeadline: T0 + 1_000,
      },
    )

  it('awaiting: mfa.submit answering every challenge → resuming', () => {
    const next = send(awaiting(), {
      type: 'mfa.submit',
      submissionId: 's',
      answers: [
        { guid: 'CH-0', empty: false },
        { guid: 'CH-1', empty: false },
      ],
    })
    expect(where(next)).toBe('mfa.resuming')
    expect(next.context.pending).toEqual({
      kind: 'resume',
      jobGuid: 'JOB-1',
      challengeGuids: ['CH-0', 'CH-1'],
    })
  })

  it('awaiting: answers sent as credentials.submit go to resume too, never to update (§3.4)', () => {
    const next = send(awaiting(), {
      type: 'credentials.submit',
      submissionId: 's',
      credentials: [
        { guid: 'CH-0', empty: false },
        { guid: 'CH-1', empty: false },
      ],
    })
    expect(where(next)).toBe('mfa.resuming')
  })

  it('awaiting: a partial answer stays; the deadline → needsMfa', () => {
    const partial = send(awaiting(), {
      type: 'mfa.submit',
      submissionId: 's',
      answers: [{ guid: 'CH-0', empty: false }],
    })
    expect(where(partial)).toBe('mfa.awaiting')
    expect(partial.context.validation).toEqual({ reason: 'missingField', guids: ['CH-1'] })
    expect(where(send(awaiting(), done('mfaDeadline', {})))).toBe('needsMfa')
  })

  const resuming = (mfa = 0) =>
    at(
      { mfa: 'resuming' },
      {
        ...challenged,
        submissionId: 's',
        pending: { kind: 'resume', jobGuid: 'JOB-1', challengeGuids: ['CH-0'] },
        attempts: { credentials: 0, mfa, service: 0 },
      },
    )

  it('resuming: done → waitingOnJob, one round counted', () => {
    const next = send(resuming(), done('resumingAggregation', {}))
    expect(where(next)).toBe('waitingOnJob.sleeping')
    expect(next.context.attempts.mfa).toBe(1)
  })

  it('resuming: reply lost (reset after sending, 502) → never resent: a counted round, wait on the member', () => {
    for (const error of [{ _tag: 'TransportError', sent: true }, http(502)]) {
      const next = send(resuming(), failed('resumingAggregation', error, 'retry'))
      expect(where(next)).toBe('waitingOnJob.sleeping')
      expect(next.context).toMatchObject({
        submissionId: null,
        attempts: { mfa: 1 },
        wakeAt: READ_AT + FLOOR,
      })
    }
  })

  it('resuming: 405 → re-read; 400 → list again or give up; NotSent → re-read', () => {
    const gone = send(resuming(), failed('resumingAggregation', http(405), 'userAction'))
    expect(where(gone)).toBe('loadingMember')
    expect(gone.context.attempts.mfa).toBe(1)
    expect(where(send(resuming(), failed('resumingAggregation', http(400), 'userAction')))).toBe(
      'mfa.listing',
    )
    expect(where(send(resuming(4), failed('resumingAggregation', http(400), 'userAction')))).toBe('needsMfa')
    expect(where(send(resuming(), failed('resumingAggregation', { _tag: 'NotSent' }, 'userAction')))).toBe(
      'loadingMember',
    )
  })
})

describe('aggregating (§3.6, §8.0)', () => {
  it('REJECTED starts a fresh aggregation that counts once MX answers it', () => {
    const started = send(start(), done('loadingMember', { member: member('REJECTED') }))
    expect(where(started)).toBe('aggregating')
    expect(started.context.pending).toEqual({ kind: 'aggregate', jobGuid: 'JOB-1' })
    const next = send(
      started,
      done('aggregating', { member: { job_guid: 'JOB-2', status: 'RUNNING' } }, T0 + 200),
    )
    expect(where(next)).toBe('waitingOnJob.sleeping')
    expect(next.context.attempts.mfa).toBe(1)
    expect(next.context.wakeAt).toBe(T0 + 200 + FLOOR)
  })

  it('reply lost (503, unreadable 200) → wait on the member instead of a second GET …/aggregate', () => {
    const started = send(start(), done('loadingMember', { member: member('EXPIRED') }))
    for (const error of [http(503), { _tag: 'DecodeError' }]) {
      const next = send(started, failed('aggregating', error, 'retry'))
      expect(where(next)).toBe('waitingOnJob.sleeping')
      expect(next.context.attempts.mfa).toBe(1)
    }
  })

  it('NotSent (restored mid-aggregate) re-reads instead of starting a second job', () => {
    const started = send(start(), done('loadingMember', { member: member('EXPIRED') }))
    expect(where(send(started, failed('aggregating', { _tag: 'NotSent' }, 'userAction')))).toBe(
      'loadingMember',
    )
  })
})

describe('waitingOnJob (§8.1, §8.2)', () => {
  const sleeping = (patch = {}) =>
    at({ waitingOnJob: 'sleeping' }, { wakeAt: T0 + 3_000, jobDeadline: T0 + 600_000, polls: 1, ...patch })

  it('the timer or a webhook for this member reads at once; a webhook for another member does not', () => {
    expect(where(send(sleeping(), done('pollTimer', {}, T0 + 3_000)))).toBe('waitingOnJob.reading')
    expect(
      where(
        send(sleeping(), { type: 'member.webhook', payload: { kind: 'aggregation', memberGuid: 'MBR-1' } }),
      ),
    ).toBe('waitingOnJob.reading')
    expect(
      where(
        send(sleeping(), { type: 'member.webhook', payload: { kind: 'aggregation', memberGuid: 'MBR-2' } }),
      ),
    ).toBe('waitingOnJob.sleeping')
  })

  const reading = (patch = {}) =>
    at({ waitingOnJob: 'reading' }, { jobDeadline: T0 + 600_000, polls: 1, observedAt: T0 + 3_000, ...patch })

  it('CONNECTED while aggregating keeps waiting, with a longer gap (backoff), never below the floor', () => {
    const next = send(
      reading({ polls: 3 }),
      done('polling', { member: member('CONNECTED', { is_being_aggregated: true }) }, T0 + 3_000),
    )
    expect(where(next)).toBe('waitingOnJob.sleeping')
    expect(next.context.polls).toBe(4)
    const gap = next.context.wakeAt! - (T0 + 3_000)
    expect(gap).toBeGreaterThanOrEqual(FLOOR * 8 * 0.8)
    expect(gap).toBeLessThanOrEqual(POLL_CAP_MS)
  })

  it('with webhooks on, the first read after a trigger and later polls wait for the webhook fallback', () => {
    const policy = resolvePolicy({ webhookFallbackMs: 30_000 })
    expect(policy.webhookFallbackMs).toBe(30_000)
    expect(resolvePolicy({ webhookFallbackMs: 30_000, timeScale: 0.01 }).webhookFallbackMs).toBe(300)
    expect(resolvePolicy({ webhookFallbackMs: -1 })).not.toHaveProperty('webhookFallbackMs')
    const started = send(
      at('aggregating', { policy, pending: { kind: 'aggregate', jobGuid: 'JOB-1' } }),
      done('aggregating', { member: { job_guid: 'JOB-2', status: 'RUNNING' } }, T0 + 200),
    )
    expect(where(started)).toBe('waitingOnJob.sleeping')
    expect(started.context.wakeAt).toBe(T0 + 200 + 30_000)
    const polled = send(
      reading({ policy }),
      done('polling', { member: member('CONNECTED', { is_being_aggregated: true }) }, T0 + 3_000),
    )
    expect(polled.context.wakeAt! - (T0 + 3_000)).toBeGreaterThanOrEqual(30_000)
    // The webhook still reads at once.
    expect(
      where(send(started, { type: 'member.webhook', payload: { kind: 'aggregation', memberGuid: 'MBR-1' } })),
    ).toBe('waitingOnJob.reading')
  })

  it('the job deadline passed → retryLater with retryAfter', () => {
    const next = send(reading(), done('polling', { member: member('DELAYED') }, T0 + 600_000))
    expect(where(next)).toBe('retryLater')
    expect(next.output).toMatchObject({
      outcome: 'retryLater',
      connectionStatus: 'DELAYED',
      retryAfter: RETRY_LATER_MS,
    })
  })

  it('a poll is never scheduled after the job deadline (the deadline read enforces it)', () => {
    const next = send(
      reading({ jobDeadline: T0 + 4_000 }),
      done('polling', { member: member('DELAYED') }, T0 + 3_000),
    )
    expect(next.context.wakeAt).toBe(T0 + 3_000 + FLOOR)
  })

  it('a failed poll backs off and re-enters the read', () => {
    const next = send(reading(), failed('polling', http(502), 'retry', T0 + 3_000))
    expect(where(next)).toBe('backingOff')
    expect(where(send(next, done('retryTimer', {}, next.context.wakeAt!)))).toBe('waitingOnJob.reading')
  })
})

describe('backingOff re-enters the step that failed', () => {
  it.each([
    ['loadingMember', 'loadingMember'],
    ['listingCredentials', 'credentials.listing'],
    ['updating', 'credentials.updating'],
    ['listingChallenges', 'mfa.listing'],
    ['resuming', 'mfa.resuming'],
    ['aggregating', 'aggregating'],
    ['polling', 'waitingOnJob.reading'],
  ] as const)('%s → %s', (retryStep, expected) => {
    const next = send(at('backingOff', { retryStep, wakeAt: T0 + 5_000 }), done('retryTimer', {}, T0 + 5_000))
    expect(where(next)).toBe(expected)
    expect(next.context.wakeAt).toBe(null)
  })
})

describe('fetchingOAuthUri (§3.8)', () => {
  it('carries a fresh window URI when one can be had', () => {
    const next = send(at('fetchingOAuthUri'), done('fetchingOAuthUri', { uri: 'https://oauth.example/1' }))
    expect(next.output).toMatchObject({ outcome: 'needsOAuth', oauthWindowUri: 'https://oauth.example/1' })
  })

  it('ends needsOAuth without one when MX refuses (400 Member cannot use OAuth)', () => {
    const next = send(at('fetchingOAuthUri'), failed('fetchingOAuthUri', http(400), 'userAction'))
    expect(next.output?.outcome).toBe('needsOAuth')
    expect(next.output?.oauthWindowUri).toBeUndefined()
  })
})

describe('cancel', () => {
  it.each([
    'loadingMember',
    'aggregating',
    'backingOff',
    'fetchingOAuthUri',
    { credentials: 'listing' },
    { credentials: 'awaiting' },
    { credentials: 'updating' },
    { mfa: 'listing' },
    { mfa: 'awaiting' },
    { mfa: 'resuming' },
    { waitingOnJob: 'sleeping' },
    { waitingOnJob: 'reading' },
  ])('from %j → cancelled', (value) => {
    const next = send(at(value), { type: 'cancel' })
    expect(next.status).toBe('done')
    expect(next.output?.outcome).toBe('cancelled')
  })

  it('a final state ignores further events', async () => {
    const machine = memberLifecycleMachine.provide({
      actors: { readMember: fromPromise(() => Promise.resolve({ at: T0, member: member('CONNECTED') })) },
    })
    const actor = createActor(machine, { input: INPUT }).start()
    const output = await toPromise(actor)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    actor.send({ type: 'cancel' })
    expect(warn).toHaveBeenCalled() // XState's "sent to stopped actor" notice: the event was dropped
    warn.mockRestore()
    expect(output.outcome).toBe('connected')
    expect(actor.getSnapshot().output?.outcome).toBe('connected')
  })
})
