import { NOT_SENT, ServiceFailureError } from '../../machines/member-lifecycle/index.js'
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

/** True when a client error is worth sending the same values again after a backoff. */
export function isRetryableError(error: unknown): boolean {
  const failure = toServiceFailure(error, 0)
  return failure.errorClass === 'retry' || failure.errorClass === 'refresh'
}
