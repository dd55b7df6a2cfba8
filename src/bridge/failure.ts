import { NOT_SENT, ServiceFailureError } from '../../machines/member-lifecycle/index.js'
import { isOutcomeUnknown, isRetryable } from '../../machines/member-lifecycle/guards.js'
import { classify, toErrorData } from '../domain/errors.js'

// Actors reject with plain data the machine's guards read (architecture.md, house rule 4): the tagged
// error as `toErrorData`, its `classify()` class (computed here, where the error's `api` is known), and
// the time it was observed.

/** A client rejection as a `ServiceFailure`. */
export function toServiceFailure(error: unknown, at: number): ServiceFailureError {
  const tagged =
    typeof error === 'object' && error !== null && typeof (error as { _tag?: unknown })._tag === 'string'
  return new ServiceFailureError(
    at,
    toErrorData(error),
    tagged ? classify(error as Parameters<typeof classify>[0]) : 'fatal',
  )
}

/** A trigger actor sent nothing: re-run after a restore, or its submitted values are gone. */
export function notSent(at: number, why: 'rerun' | 'noValues'): ServiceFailureError {
  const message =
    why === 'rerun'
      ? 'restored while the request was in flight; re-reading the member instead of sending again'
      : 'the submitted values are no longer held; re-reading the member'
  return new ServiceFailureError(at, { _tag: NOT_SENT, message }, 'userAction')
}

/**
 * True when a failed write may send the same values again after a backoff: the failure is retryable and
 * the write provably did not take (it never left, `sent: false`, or MX refused it: 401, 429). A write whose
 * outcome is unknown (reset or timeout after sending, 5xx, unreadable 2xx) is never resent; the machine
 * re-reads the member instead (docs/decisions/0007-unknown-outcome-writes.md).
 */
export function isResendable(error: unknown): boolean {
  const failure = toServiceFailure(error, 0)
  return isRetryable(failure) && !isOutcomeUnknown(failure)
}
