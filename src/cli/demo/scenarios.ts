import type { Outcome } from '../../../machines/member-lifecycle/index.js'
import type { KnownStatus } from '../../domain/index.js'

/**
 * The demo's scenarios: how a member is seeded in the simulator, what its test user types when asked, and
 * the outcome the lifecycle must end with (design: reconnector.md "CLI" `demo`; the password → result
 * table is simulator.md "Outcomes are encoded in the credentials"; outcomes are lifecycle.md's table).
 */

/**
 * How the test user answers: MFA with the passing answer, MFA with a wrong answer every round, or `never`
 * (no prompt at all, credentials or MFA, is ever answered: the lifecycle waits until the user deadline).
 */
export type MfaBehaviour = 'correct' | 'wrong' | 'never'

/** One row of the demo. */
export interface DemoScenario {
  /** Short name, unique. */
  readonly name: string
  /** The `connection_status` the member is seeded in (§4); null: no status, no credentials. */
  readonly seed: KnownStatus | null
  /** Institution code in the simulator's catalogue (default `mxbank`). */
  readonly institution?: string
  /** The password MX holds before the user is asked (it picks the rounds of a seeded CHALLENGED job). */
  readonly storedPassword?: string
  /**
   * What the user types as password when asked; `GOOD_PASSWORD` stands for "the right one" (any password not
   * in the simulator's table connects); null when the user never types one (never asked, or never answers).
   */
  readonly userPassword: string | null
  readonly mfa: MfaBehaviour
  /** The outcome the lifecycle must end with (lifecycle.md, outcome table). */
  readonly expected: Outcome
  /** What the test user does, for the report. */
  readonly story: string
}

/**
 * Placeholder for the user's correct password: the demo replaces it with a value unique to each member, so
 * a scan of the store can prove it never rests there (house rule 8).
 */
export const GOOD_PASSWORD = '<good password>'

const row = (
  name: string,
  seed: KnownStatus | null,
  userPassword: string | null,
  mfa: MfaBehaviour,
  expected: Outcome,
  story: string,
  extra: { readonly institution?: string; readonly storedPassword?: string } = {},
): DemoScenario => ({ name, seed, userPassword, mfa, expected, story, ...extra })

/** Every scenario, in report order. Members are dealt across them round-robin. */
export const DEMO_SCENARIOS: readonly DemoScenario[] = [
  // The user types a password (credentials needed: DENIED, PREVENTED, IMPAIRED, IMPORTED, §4).
  row('good-password', 'DENIED', GOOD_PASSWORD, 'correct', 'connected', 'types the right password'),
  row('pin-bank', 'DENIED', GOOD_PASSWORD, 'correct', 'connected', 'types password and PIN', {
    institution: 'mxbank_pin',
  }),
  row('text-mfa', 'DENIED', 'challenge', 'correct', 'connected', 'answers a TEXT challenge'),
  row('options-mfa', 'PREVENTED', 'options', 'correct', 'connected', 'picks an option'),
  row('image-mfa', 'IMPAIRED', 'image', 'correct', 'connected', 'reads an image'),
  row('image-options-mfa', 'IMPORTED', 'image_options', 'correct', 'connected', 'picks an image'),
  row('token-mfa', 'DENIED', 'token', 'correct', 'connected', 'enters a one-time code'),
  row('multi-mfa', 'PREVENTED', 'multi', 'correct', 'connected', 'answers two MFA rounds'),
  row('wrong-password', 'DENIED', 'UNAUTHORIZED', 'correct', 'needsCredentials', 'types it wrong 3 times'),
  row('locked', 'IMPAIRED', 'LOCKED', 'correct', 'needsUserAtInstitution', 'account locked at the bank'),
  row('impeded', 'IMPORTED', 'IMPEDED', 'correct', 'needsUserAtInstitution', 'bank needs the user'),
  row('degraded', 'DENIED', 'DEGRADED', 'correct', 'retryLater', 'bank has trouble'),
  row('disconnected', 'PREVENTED', 'DISCONNECTED', 'correct', 'retryLater', 'bank disconnected'),
  row('bad-request', 'DENIED', 'BAD_REQUEST', 'correct', 'retryLater', 'aggregation fails'),
  row('delayed', 'DENIED', 'DELAYED', 'correct', 'connected', 'slow bank, then connects'),
  row('wrong-mfa', 'DENIED', 'challenge', 'wrong', 'needsMfa', 'answers MFA wrongly, every round'),
  row('never-credentials', 'DENIED', null, 'never', 'needsCredentials', 'never answers'),
  // Seeded in a status the user does not have to type a password for.
  row('challenged', 'CHALLENGED', null, 'correct', 'connected', 'answers MFA', {
    storedPassword: 'challenge',
  }),
  row('challenged-multi', 'CHALLENGED', null, 'correct', 'connected', 'answers two MFA rounds', {
    storedPassword: 'multi',
  }),
  row('never-mfa', 'CHALLENGED', null, 'never', 'needsMfa', 'never answers', {
    storedPassword: 'token',
  }),
  row('rejected', 'REJECTED', null, 'correct', 'connected', 'answers MFA of a fresh aggregation', {
    storedPassword: 'options',
  }),
  row('expired', 'EXPIRED', null, 'correct', 'connected', 'answers MFA of a fresh aggregation', {
    storedPassword: 'token',
  }),
  // Transient statuses with no job running: the lifecycle must start one (§4, §8.0), never just poll.
  row('reconnected', 'RECONNECTED', null, 'correct', 'connected', 'enters the one-time code', {
    storedPassword: 'password',
  }),
  row('created-idle', 'CREATED', null, 'correct', 'connected', 'nothing asked'),
  row('connected', 'CONNECTED', null, 'correct', 'connected', 'nothing to do'),
  row('seeded-locked', 'LOCKED', null, 'correct', 'needsUserAtInstitution', 'nothing asked'),
  row('seeded-degraded', 'DEGRADED', null, 'correct', 'retryLater', 'nothing asked'),
  row('oauth-pending', 'PENDING', null, 'correct', 'needsOAuth', 'must finish OAuth sign-in', {
    institution: 'mx_bank_oauth',
  }),
  row('discontinued', 'DISCONTINUED', null, 'correct', 'unrecoverable', 'nothing asked'),
  row('closed', 'CLOSED', null, 'correct', 'unrecoverable', 'nothing asked'),
  // §4: aggregation only paused, the member still counts as connected.
  row('disabled', 'DISABLED', null, 'correct', 'retryLater', 'nothing asked'),
  // §4: null is a member without credentials (e.g. manual): nothing to aggregate.
  row('no-status', null, null, 'correct', 'unrecoverable', 'nothing asked'),
]

/** The scenario of the `index`-th seeded member (round-robin, so any N covers the first N scenarios). */
export function scenarioAt(index: number): DemoScenario {
  const scenario = DEMO_SCENARIOS[index % DEMO_SCENARIOS.length]
  if (scenario === undefined) throw new RangeError('no demo scenarios')
  return scenario
}
