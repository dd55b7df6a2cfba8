import { statusClass, toConnectionStatus } from '../../src/domain/connection-status.js'
import type { ChallengePrompt, CredentialPrompt, LifecycleContext, ValidationError } from './context.js'
import { NOT_SENT, type ServiceFailure, type SubmittedEntry } from './events.js'

// Pure decisions the machine's named guards delegate to. Kept apart from machine.ts so each is a table
// that can be tested on its own (architecture.md, house rule 9).

/** Where `routing` sends the lifecycle after a member read (lifecycle.md, States). */
export type Route =
  | 'waitingOnJob'
  | 'credentials'
  | 'mfa'
  | 'aggregate'
  | 'oauth'
  | 'connected'
  | 'needsCredentials'
  | 'needsMfa'
  | 'needsUserAtInstitution'
  | 'retryLater'
  | 'unrecoverable'
  | 'unknownStatus'

/** Every route, for tables and graph coverage. */
export const ROUTES: readonly Route[] = [
  'waitingOnJob',
  'credentials',
  'mfa',
  'aggregate',
  'oauth',
  'connected',
  'needsCredentials',
  'needsMfa',
  'needsUserAtInstitution',
  'retryLater',
  'unrecoverable',
  'unknownStatus',
]

/**
 * How many consecutive reads may show a transient status with no job running (UPDATED, RESUMED, DELAYED
 * and `is_being_aggregated: false`) before the lifecycle acts: polling cannot change a member nothing runs
 * on (issue 10; MX's widget starts a job whenever `is_being_aggregated` is false, §12).
 */
export const IDLE_READS = 3

/** Transient statuses that ask for an aggregation with the user present as soon as no job runs (§4, §8.0). */
const AGGREGATE_WHEN_IDLE: ReadonlySet<string> = new Set(['CREATED', 'RECONNECTED'])

/** A fresh aggregation when MFA rounds remain (they bound every aggregation), else `spent`. */
function aggregateOr(context: LifecycleContext, spent: Route): Route {
  return context.attempts.mfa >= context.policy.attempts.mfa ? spent : 'aggregate'
}

/**
 * A transient status with no job running (§4 "transient", §8.1 step 3). CREATED and RECONNECTED ask for an
 * aggregation with the user present: start one at once. UPDATED, RESUMED and DELAYED usually show a job MX
 * is about to run or has just finished: read them {@link IDLE_READS} times, then act: DELAYED comes back
 * later (§4: "if it persists, check again later"), UPDATED and RESUMED start the job nothing runs.
 */
function idleTransient(context: LifecycleContext, status: string): Route {
  if (AGGREGATE_WHEN_IDLE.has(status)) return aggregateOr(context, 'retryLater')
  if ((context.idleReads ?? 0) < IDLE_READS) return waitOrGiveUp(context)
  return status === 'DELAYED' ? 'retryLater' : aggregateOr(context, 'retryLater')
}

/** Keep waiting on the job, or `retryLater` once the job deadline has passed (§8.1 step 4). */
function waitOrGiveUp(context: LifecycleContext): Route {
  const at = context.observedAt ?? 0
  return context.jobDeadline !== null && at >= context.jobDeadline ? 'retryLater' : 'waitingOnJob'
}

/**
 * Decides on the member just read (lifecycle.md `routing`; Nexus reference §4, §8.1 step 3).
 *
 * CHALLENGED is decided before `is_being_aggregated`: a challenged job is still running, but it waits for
 * the user (§8.1: "CHALLENGED → stop polling, run MFA"). Any other status read while a job runs is not
 * final yet (e.g. the previous DENIED right after an update), so the lifecycle keeps waiting. A transient
 * status with no job running is acted on ({@link IDLE_READS}); DISABLED is only paused (§4): retryLater.
 */
export function decideRoute(context: LifecycleContext): Route {
  const member = context.member
  if (member === null || member.status === null) return 'unrecoverable' // §4: no credentials, nothing to do
  const status = toConnectionStatus(member.status)
  const budgets = context.policy.attempts
  if (status === 'CHALLENGED') return context.attempts.mfa >= budgets.mfa ? 'needsMfa' : 'mfa'
  if (member.aggregating) return waitOrGiveUp(context)
  const cls = statusClass(status)
  switch (cls) {
    case 'transient':
      return idleTransient(context, member.status)
    case 'connected':
      return 'connected'
    case 'needsCredentials':
      // An OAuth member has no credentials to collect: it lost its token (lifecycle.md, needsOAuth).
      if (member.isOauth) return 'oauth'
      return context.attempts.credentials >= budgets.credentials ? 'needsCredentials' : 'credentials'
    case 'needsMfa': // REJECTED, EXPIRED: a fresh aggregation with the user present (§8.0)
      return aggregateOr(context, 'needsMfa')
    case 'needsOAuth':
      return 'oauth'
    case 'userAtInstitution':
      return 'needsUserAtInstitution'
    case 'retryLater':
      return 'retryLater'
    case 'unrecoverable':
      return 'unrecoverable'
    default:
      return 'unknownStatus'
  }
}

/** True when the member read shows a transient status and no job running (counted by `idleReads`). */
export function isIdleTransient(status: string | null, aggregating: boolean): boolean {
  return !aggregating && status !== null && statusClass(toConnectionStatus(status)) === 'transient'
}

function commonProblems(
  entries: readonly SubmittedEntry[],
  known: ReadonlySet<string>,
): ValidationError | null {
  const seen = new Set<string>()
  const duplicates = entries.filter((e) => (seen.has(e.guid) ? true : (seen.add(e.guid), false)))
  if (duplicates.length > 0) return { reason: 'duplicateGuid', guids: duplicates.map((e) => e.guid) }
  const unknown = entries.filter((e) => !known.has(e.guid))
  if (unknown.length > 0) return { reason: 'unknownGuid', guids: unknown.map((e) => e.guid) }
  const empty = entries.filter((e) => e.empty)
  if (empty.length > 0) return { reason: 'emptyValue', guids: empty.map((e) => e.guid) }
  return null
}

function hasSubmission(submissionId: unknown): boolean {
  return typeof submissionId === 'string' && submissionId.length > 0
}

// Events come from hosts: check the shape at run time too (`Array.isArray` would widen to any[]).
function isEntries(entries: readonly SubmittedEntry[] | undefined): entries is readonly SubmittedEntry[] {
  const value: unknown = entries
  return Array.isArray(value)
}

/** Checks a credential submission against the fields asked for; null when it may be sent. */
export function validateCredentials(
  fields: readonly CredentialPrompt[],
  submissionId: unknown,
  entries: readonly SubmittedEntry[] | undefined,
): ValidationError | null {
  if (!hasSubmission(submissionId) || !isEntries(entries)) return { reason: 'noSubmission', guids: [] }
  const problem = commonProblems(entries, new Set(fields.map((f) => f.guid)))
  if (problem) return problem
  const given = new Set(entries.map((e) => e.guid))
  const missing = fields.filter((f) => !f.optional && !given.has(f.guid))
  if (missing.length > 0) return { reason: 'missingField', guids: missing.map((f) => f.guid) }
  return entries.length === 0 ? { reason: 'missingField', guids: [] } : null
}

/** Checks MFA answers against the challenges of the round: every challenge answered, nothing else (§6). */
export function validateAnswers(
  challenges: readonly ChallengePrompt[],
  submissionId: unknown,
  entries: readonly SubmittedEntry[] | undefined,
): ValidationError | null {
  if (!hasSubmission(submissionId) || !isEntries(entries)) return { reason: 'noSubmission', guids: [] }
  const problem = commonProblems(entries, new Set(challenges.map((c) => c.guid)))
  if (problem) return problem
  const given = new Set(entries.map((e) => e.guid))
  const missing = challenges.filter((c) => !given.has(c.guid))
  return missing.length > 0 ? { reason: 'missingField', guids: missing.map((c) => c.guid) } : null
}

/** Retryable at the lifecycle level: transient network/server trouble or a session to renew. */
export function isRetryable(failure: ServiceFailure): boolean {
  return failure.errorClass === 'retry' || failure.errorClass === 'refresh'
}

/** The HTTP status of a failure, when it was an HTTP answer. */
export function httpStatus(failure: ServiceFailure): number | undefined {
  return failure.error._tag === 'HttpError' ? failure.error.status : undefined
}

/** A trigger actor sent nothing (restored mid-flight, or its values are gone): re-read the member. */
export function isNotSent(failure: ServiceFailure): boolean {
  return failure.error._tag === NOT_SENT
}

/**
 * A write whose outcome is unknown: it may have reached MX, but no usable answer came back (a reset or
 * timeout after sending, a 5xx, an unreadable 2xx). It is never sent again; the lifecycle re-reads the
 * member and goes on from what MX shows (docs/decisions/0007-unknown-outcome-writes.md). Only a transport
 * failure that provably never left (`sent: false`) or a definite refusal (4xx) is not unknown.
 *
 * @example
 * ```ts
 * isOutcomeUnknown({ _tag: 'ServiceFailure', at: 0, errorClass: 'retry',
 *   error: { _tag: 'TransportError', message: 'reset', sent: true } }) // true
 * ```
 */
export function isOutcomeUnknown(failure: ServiceFailure): boolean {
  const error = failure.error
  switch (error._tag) {
    case 'TransportError':
      return error.sent !== false
    case 'HttpError':
      return (error.status ?? 0) >= 500
    case 'DecodeError':
      return true
    default:
      return false
  }
}
