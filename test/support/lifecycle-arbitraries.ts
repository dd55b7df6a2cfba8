import fc from 'fast-check'
import type { FaultPlan, FieldPlan, JobPlan, Op, RoundPlan, ServerScript } from './scripted-client.js'
import { SCRIPT_STATUSES } from './scripted-client.js'

// fast-check arbitraries for the lifecycle properties: a scripted server and a random user.

const OPS: readonly Op[] = [
  'readMember',
  'listMemberCredentials',
  'updateMember',
  'listMemberChallenges',
  'resumeAggregation',
  'aggregateMember',
  'oauthWindowUri',
]

/** A secret the user types: long and random enough that finding it anywhere means it leaked. */
export const secretArb = fc.stringMatching(/^[A-Za-z0-9!#%&*+,.:;=?@^_~-]{12,24}$/)

const statusArb = fc.constantFrom(...SCRIPT_STATUSES)

// Faults lean towards the calls the hard cases are made of (issue 12, generator reach): the MFA calls
// (a 4011 while answering), member reads (backing off while waiting on a job), early calls (a fault on
// a call that never happens tests nothing), and 503 / expired sessions.
const faultOpArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<Op>('listMemberChallenges', 'resumeAggregation') },
  { weight: 2, arbitrary: fc.constant<Op>('readMember') },
  { weight: 3, arbitrary: fc.constantFrom(...OPS) },
)
const faultNthArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 2 }) },
  { weight: 1, arbitrary: fc.integer({ min: 3, max: 4 }) },
)

// Results weighted towards the interesting rows: success, credentials, MFA, and "try later".
const resultArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant('CONNECTED') },
  { weight: 3, arbitrary: fc.constantFrom('DENIED', 'PREVENTED', 'IMPAIRED', 'IMPORTED') },
  { weight: 2, arbitrary: fc.constantFrom('REJECTED', 'EXPIRED') },
  { weight: 3, arbitrary: statusArb.filter((s) => s !== 'CHALLENGED') },
)

const answerArb = (refusals: boolean): fc.Arbitrary<RoundPlan['answers'][number]> =>
  refusals
    ? fc.oneof(
        { weight: 5, arbitrary: fc.constant('pass' as const) },
        { weight: 2, arbitrary: fc.constant('reject' as const) },
        { weight: 1, arbitrary: fc.constant('badRequest' as const) },
        { weight: 1, arbitrary: fc.constant('notChallenged' as const) },
      )
    : fc.oneof(
        { weight: 5, arbitrary: fc.constant('pass' as const) },
        { weight: 2, arbitrary: fc.constant('reject' as const) },
      )

const roundArb = (refusals: boolean): fc.Arbitrary<RoundPlan> =>
  fc.record({
    types: fc.array(fc.constantFrom('TEXT', 'TOKEN', 'OPTIONS', 'IMAGE_DATA', 'IMAGE_OPTIONS'), {
      minLength: 1,
      maxLength: 2,
    }),
    answers: fc.array(answerArb(refusals), { minLength: 1, maxLength: 3 }),
  })

// Zero or one round usually; two or three often enough that multi-round MFA is common (issue 12).
const roundsArb = (refusals: boolean): fc.Arbitrary<RoundPlan[]> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.array(roundArb(refusals), { maxLength: 1 }) },
    { weight: 2, arbitrary: fc.array(roundArb(refusals), { minLength: 2, maxLength: 3 }) },
  )

/**
 * Durations are short (≤ 2 min) or "never" (longer than the 10-minute job deadline), never near a
 * deadline, so a few extra reads or a backoff cannot change the result (needed for invariant 6).
 */
const durationArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 120_000 }) },
  { weight: 1, arbitrary: fc.constant(3_600_000) },
)

const jobArb = (refusals: boolean): fc.Arbitrary<JobPlan> =>
  fc.record({
    running: fc.constantFrom(
      'UPDATED',
      'RESUMED',
      'CREATED',
      'DELAYED',
      'RECONNECTED',
      'CONNECTED',
      'DENIED',
    ),
    durationMs: durationArb,
    rounds: roundsArb(refusals),
    afterMfaMs: fc.integer({ min: 0, max: 60_000 }),
    result: resultArb,
    jobStartReply: fc.boolean(),
  })

const faultArb = (kinds: readonly FaultPlan['kind'][], maxTimes: number): fc.Arbitrary<FaultPlan> =>
  fc.record({
    op: faultOpArb,
    nth: faultNthArb,
    times: fc.integer({ min: 1, max: maxTimes }),
    kind: fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom(...kinds) },
      { weight: 1, arbitrary: fc.constantFrom<FaultPlan['kind']>('http503', 'sessionExpired') },
    ),
    retryAfterMs: fc.integer({ min: 0, max: 20_000 }),
  })

const fieldArb: fc.Arbitrary<FieldPlan> = fc.record({
  optional: fc.boolean(),
  type: fc.constantFrom('LOGIN', 'PASSWORD', 'TEXT', 'OPTIONS'),
})

/** Options for {@link scriptArb}. */
export interface ScriptOptions {
  /**
   * Everything the server may do: faults that end the run (404/403), bursts beyond the retry budget, and
   * refusals of answers (400/405). Without it, only what a restore can see again: a response lost with
   * an interrupted request leaves no trace in the member, so a 400/405 lost that way cannot be counted
   * (docs/lifecycle.md, Restore) and the restore property leaves those out.
   */
  readonly everything?: boolean
}

export const scriptArb = (options: ScriptOptions = {}): fc.Arbitrary<ServerScript> =>
  fc.record({
    initialStatus: fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom('DENIED', 'PREVENTED', 'IMPAIRED', 'IMPORTED') },
      { weight: 3, arbitrary: fc.constantFrom('CHALLENGED', 'REJECTED', 'EXPIRED') },
      { weight: 2, arbitrary: statusArb },
    ),
    // Mostly no job running: a job already running decides the outcome before the user is asked.
    initialAggregating: fc.oneof(
      { weight: 3, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    isOauth: fc.oneof(
      { weight: 5, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    // Mostly with fields to fill in: no field at all ends the credential path at once.
    fields: fc.oneof(
      { weight: 5, arbitrary: fc.array(fieldArb, { minLength: 1, maxLength: 3 }) },
      { weight: 1, arbitrary: fc.constant([]) },
    ),
    jobs: fc.array(jobArb(options.everything === true), { minLength: 1, maxLength: 5 }),
    faults: options.everything
      ? fc
          .array(
            faultArb(
              [
                'http503',
                'http429',
                'http500',
                'reset',
                'decode',
                'sessionExpired',
                'http404',
                'http403',
                'http409',
              ],
              8,
            ),
            { maxLength: 6 },
          )
          .chain((faults) =>
            // One run in four: the first aggregation answers 409, "a job is already running" (§12).
            fc.oneof(
              { weight: 3, arbitrary: fc.constant(faults) },
              {
                weight: 1,
                arbitrary: fc.constant([
                  { op: 'aggregateMember' as const, nth: 1, times: 1, kind: 'http409' as const },
                  ...faults,
                ]),
              },
            ),
          )
      : // At most as many retryable faults as the service budget: they delay, never decide, the outcome.
        fc.array(faultArb(['http503', 'http429', 'http500', 'reset', 'decode', 'sessionExpired'], 1), {
          maxLength: 5,
        }),
    latencyMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_000 })),
    oauthUri: fc.boolean(),
    challengeTtlMs: fc.constant(300_000),
  })

/** What the user does with one prompt. */
export interface PromptPlan {
  /** When the user answers after the prompt; null: never. */
  readonly delayMs: number | null
  /** First sends an invalid submission (missing field, empty value or unknown guid). */
  readonly invalidFirst: boolean
  /** MFA only: answer with `credentials.submit` (the machine must still resume, not update). */
  readonly viaCredentials: boolean
  readonly secrets: readonly string[]
}

export interface HostPlan {
  /** By credential attempt (1-based index − 1); the last repeats. */
  readonly credentials: readonly PromptPlan[]
  /** By MFA round; the last repeats. */
  readonly mfa: readonly PromptPlan[]
  /** Webhook deliveries, ms after the start. */
  readonly webhooksAt: readonly number[]
  /** `cancel`, ms after the start; null: never. */
  readonly cancelAt: number | null
}

// Answer delays stay well inside the 5-minute challenge expiry even when asked twice (restore).
const promptArb: fc.Arbitrary<PromptPlan> = fc.record({
  delayMs: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 30_000 }) },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
  invalidFirst: fc.boolean(),
  viaCredentials: fc.boolean(),
  secrets: fc.array(secretArb, { minLength: 3, maxLength: 3 }),
})

export interface HostOptions {
  readonly cancel?: boolean
  readonly webhooks?: boolean
}

export const hostArb = (options: HostOptions = {}): fc.Arbitrary<HostPlan> =>
  fc.record({
    credentials: fc.array(promptArb, { minLength: 1, maxLength: 4 }),
    mfa: fc.array(promptArb, { minLength: 1, maxLength: 6 }),
    webhooksAt:
      options.webhooks === false
        ? fc.constant([])
        : fc.array(fc.integer({ min: 0, max: 600_000 }), { maxLength: 6 }),
    // A cancel ends the run before the cases after it: one run in four.
    cancelAt: options.cancel
      ? fc.oneof(
          { weight: 3, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 900_000 }) },
        )
      : fc.constant(null),
  })

/** Every secret a host plan may type. */
export function hostSecrets(host: HostPlan): string[] {
  return [...host.credentials, ...host.mfa].flatMap((p) => p.secrets)
}

// Liveness (issue 12): a server on which a cooperative user can always connect. No faults, every
// answer passes, every job ends CONNECTED within the job deadline, at most two MFA rounds a job, and
// credential fields to fill in.
const cooperativeJobArb: fc.Arbitrary<JobPlan> = fc.record({
  running: fc.constantFrom('UPDATED', 'RESUMED', 'CREATED', 'RECONNECTED', 'CONNECTED', 'DENIED'),
  durationMs: fc.integer({ min: 0, max: 120_000 }),
  rounds: fc.array(
    fc.record({
      types: fc.array(fc.constantFrom('TEXT', 'TOKEN', 'OPTIONS', 'IMAGE_DATA', 'IMAGE_OPTIONS'), {
        minLength: 1,
        maxLength: 2,
      }),
      answers: fc.constant(['pass' as const]),
    }),
    { maxLength: 2 },
  ),
  afterMfaMs: fc.integer({ min: 0, max: 60_000 }),
  result: fc.constant('CONNECTED'),
  jobStartReply: fc.boolean(),
})

/** A fault-free server a cooperative user always connects on (see {@link cooperativeHostArb}). */
export const cooperativeScriptArb: fc.Arbitrary<ServerScript> = fc.record({
  initialStatus: fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom('DENIED', 'PREVENTED', 'IMPAIRED', 'IMPORTED') },
    { weight: 1, arbitrary: fc.constantFrom('CHALLENGED', 'REJECTED', 'EXPIRED') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('CONNECTED', 'CREATED', 'UPDATED', 'RESUMED', 'RECONNECTED'),
    },
  ),
  // Mostly no job running: a job already running decides the outcome before the user is asked.
  initialAggregating: fc.oneof(
    { weight: 3, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
  isOauth: fc.constant(false),
  fields: fc.array(fieldArb, { minLength: 1, maxLength: 3 }),
  jobs: fc.array(cooperativeJobArb, { minLength: 1, maxLength: 3 }),
  faults: fc.constant([]),
  latencyMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_000 })),
  oauthUri: fc.boolean(),
  challengeTtlMs: fc.constant(300_000),
})

const cooperativePromptArb: fc.Arbitrary<PromptPlan> = fc.record({
  delayMs: fc.integer({ min: 0, max: 60_000 }),
  invalidFirst: fc.boolean(),
  viaCredentials: fc.boolean(),
  secrets: fc.array(secretArb, { minLength: 3, maxLength: 3 }),
})

/** A user who answers every prompt within a minute (a typo first at times) and never cancels. */
export const cooperativeHostArb: fc.Arbitrary<HostPlan> = fc.record({
  credentials: fc.array(cooperativePromptArb, { minLength: 1, maxLength: 3 }),
  mfa: fc.array(cooperativePromptArb, { minLength: 1, maxLength: 3 }),
  webhooksAt: fc.array(fc.integer({ min: 0, max: 600_000 }), { maxLength: 4 }),
  cancelAt: fc.constant(null),
})
