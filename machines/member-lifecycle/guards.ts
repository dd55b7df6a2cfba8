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
 * Decides on the member just read (lifecycle.md `routing`; Nexus reference §4, §8.1 step 3).
 *
 * CHALLENGED is decided before `is_being_aggregated`: a challenged job is still running, but it waits for
 * the user (§8.1: "CHALLENGED → stop polling, run MFA"). Any other status read while a job runs is not
 * final yet (e.g. the previous DENIED right after an update), so the lifecycle keeps waiting.
 */
export function decideRoute(context: LifecycleContext): Route {
  const member = context.member
  if (member === null || member.status === null) return 'unrecoverable' // §4: no credentials, nothing to do
  const status = toConnectionStatus(member.status)
  const budgets = context.policy.attempts
  if (status === 'CHALLENGED') return context.attempts.mfa >= budgets.mfa ? 'needsMfa' : 'mfa'
  const cls = statusClass(status)
  if (member.aggregating || cls === 'transient') {
    const at = context.observedAt ?? 0
    return context.jobDeadline !== null && at >= context.jobDeadline ? 'retryLater' : 'waitingOnJob'
  }
  switch (cls) {
    case 'connected':
      return 'connected'
    case 'needsCredentials':
      // An OAuth member has no credentials to collect: it lost its token (lifecycle.md, needsOAuth).
      if (member.isOauth) return 'oauth'
      return context.attempts.credentials >= budgets.credentials ? 'needsCredentials' : 'credentials'
    case 'needsMfa': // REJECTED, EXPIRED: a fresh aggregation with the user present (§8.0)
      return context.attempts.mfa >= budgets.mfa ? 'needsMfa' : 'aggregate'
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
