import fc from 'fast-check'
import type { FaultPlan, JobPlan, Op, RoundPlan, ServerScript } from './scripted-client.js'
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
    rounds: fc.array(roundArb(refusals), { maxLength: 2 }),
    afterMfaMs: fc.integer({ min: 0, max: 60_000 }),
    result: resultArb,
    jobStartReply: fc.boolean(),
  })

const faultArb = (kinds: readonly FaultPlan['kind'][], maxTimes: number): fc.Arbitrary<FaultPlan> =>
  fc.record({
    op: fc.constantFrom(...OPS),
    nth: fc.integer({ min: 1, max: 4 }),
    times: fc.integer({ min: 1, max: maxTimes }),
    kind: fc.constantFrom(...kinds),
    retryAfterMs: fc.integer({ min: 0, max: 20_000 }),
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
      { weight: 3, arbitrary: fc.constantFrom('DENIED', 'PREVENTED', 'IMPAIRED', 'IMPORTED') },
      { weight: 2, arbitrary: fc.constantFrom('CHALLENGED', 'REJECTED', 'EXPIRED') },
      { weight: 3, arbitrary: statusArb },
    ),
    initialAggregating: fc.boolean(),
    isOauth: fc.oneof(
      { weight: 5, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    fields: fc.array(
      fc.record({ optional: fc.boolean(), type: fc.constantFrom('LOGIN', 'PASSWORD', 'TEXT', 'OPTIONS') }),
      { minLength: 0, maxLength: 3 },
    ),
    jobs: fc.array(jobArb(options.everything === true), { minLength: 1, maxLength: 5 }),
    faults: options.everything
      ? fc.array(
          faultArb(
            ['http503', 'http429', 'http500', 'reset', 'decode', 'sessionExpired', 'http404', 'http403'],
            8,
          ),
          { maxLength: 6 },
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
    cancelAt: options.cancel
      ? fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 900_000 }))
      : fc.constant(null),
  })

/** Every secret a host plan may type. */
export function hostSecrets(host: HostPlan): string[] {
  return [...host.credentials, ...host.mfa].flatMap((p) => p.secrets)
}
