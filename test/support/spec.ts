// Numbers the tests take from the design documents, never from the code under test: a default that
// drifts (a poll floor of 0, a deadline of an hour) must fail the tests rather than move them along
// (issue 12, "implementation as its own oracle").

/** Nexus reference §8.1 step 2; lifecycle.md, Policy and invariant 3: reads at least 3 s apart. */
export const SPEC_POLL_FLOOR_MS = 3_000
/** lifecycle.md, Policy: poll cap 30 s. */
export const SPEC_POLL_CAP_MS = 30_000
/** lifecycle.md, Policy: the user has 15 minutes to give credentials or MFA answers. */
export const SPEC_USER_DEADLINE_MS = 15 * 60_000
/** lifecycle.md, Policy: a job may run 10 minutes after its trigger. */
export const SPEC_JOB_DEADLINE_MS = 10 * 60_000
/** lifecycle.md, Policy: attempt budgets (credentials 3, MFA rounds 5, service retries 5). */
export const SPEC_BUDGETS = { credentials: 3, mfa: 5, service: 5 } as const
/** simulator.md: an unanswered challenge turns EXPIRED after 5 minutes. */
export const SPEC_CHALLENGE_TTL_MS = 5 * 60_000

/**
 * lifecycle.md invariant 4: every run ends within a time bound derived from the policy. Each credential
 * or MFA round (plus the first and last trigger) may take a user deadline, a job deadline and a burst of
 * backoff at the cap, plus a minute of slack.
 */
export const SPEC_RUN_BOUND_MS =
  (SPEC_BUDGETS.credentials + SPEC_BUDGETS.mfa + 2) *
  (SPEC_USER_DEADLINE_MS + SPEC_JOB_DEADLINE_MS + (SPEC_BUDGETS.service + 1) * SPEC_POLL_CAP_MS + 60_000)
