import { Effect, Random } from 'effect'
import type { NexusError } from '../domain/index.js'
import type { LogLine, RetryBudget } from './config.js'
import type { RequestInfo } from './http-errors.js'

// Request-level transient retries (architecture.md rule 6). Lifecycle backoff, user waits and deadlines
// belong to the machine; this layer only absorbs blips that a caller should never see.

/** A read may be repeated freely; a write only when it provably did not land. */
export type RequestKind = 'read' | 'write'

/** Statuses a read retries: gateway blips and throttling. */
export const READ_RETRY_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504])

/** Statuses a write retries: the server said it did not process the request. */
export const WRITE_RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503])

/**
 * Whether `error` is a transient failure that is safe to repeat for this kind of request.
 * Writes repeat only when the request never left (connect failure) or MX answered 429/503;
 * a timeout or reset after sending may have changed state, so a write surfaces it.
 */
export function isTransient(error: NexusError, kind: RequestKind): boolean {
  switch (error._tag) {
    case 'TransportError':
      if (error.reason === 'aborted') return false
      return kind === 'read' || !error.sent
    case 'HttpError':
      return (kind === 'read' ? READ_RETRY_STATUSES : WRITE_RETRY_STATUSES).has(error.status)
    default:
      return false
  }
}

/** Extra attempts allowed for a kind of request. */
export function budgetFor(kind: RequestKind, budget: RetryBudget): number {
  return kind === 'read' ? budget.reads : budget.writes
}

/**
 * How long to wait before retry number `attempt` (0-based), or undefined to give up now.
 * Retry-After wins when given (rule 6); one longer than `maxDelayMs` is surfaced so the lifecycle can
 * back off instead of holding a request open. Otherwise exponential with equal jitter: half fixed, half
 * drawn from `random01` in [0, 1).
 */
export function retryDelayMs(
  error: NexusError,
  attempt: number,
  budget: RetryBudget,
  random01: number,
): number | undefined {
  if (error._tag === 'HttpError' && error.retryAfterMs !== undefined) {
    return error.retryAfterMs <= budget.maxDelayMs ? error.retryAfterMs : undefined
  }
  const cap = Math.min(budget.maxDelayMs, budget.baseDelayMs * 2 ** attempt)
  return Math.round(cap / 2 + (cap / 2) * random01)
}

/**
 * Runs `attempt` and repeats it on transient failures within the budget, waiting on the Effect `Clock`
 * (so `TestClock` and the injected client clock both drive it).
 */
export function withRetry<A>(
  attempt: Effect.Effect<A, NexusError>,
  kind: RequestKind,
  budget: RetryBudget,
  request: RequestInfo,
  log: ((line: LogLine) => void) | undefined,
): Effect.Effect<A, NexusError> {
  if (budgetFor(kind, budget) === 0) return attempt
  return Effect.catchAll(attempt, (error) => retryAfter(error, 0, attempt, kind, budget, request, log))
}

/**
 * What `withRetry(attempt, …)` does once its first attempt has failed with `error`: repeats `attempt`
 * within the budget, or fails with `error` (the fiber-less path's failures resume here, docs/decisions/0006).
 */
export function retryAfterFirst<A>(
  error: NexusError,
  attempt: Effect.Effect<A, NexusError>,
  kind: RequestKind,
  budget: RetryBudget,
  request: RequestInfo,
  log: ((line: LogLine) => void) | undefined,
): Effect.Effect<A, NexusError> {
  return budgetFor(kind, budget) === 0
    ? Effect.fail(error)
    : retryAfter(error, 0, attempt, kind, budget, request, log)
}

/** The failure branch of `withRetry`, kept out of the success path (which then allocates nothing extra). */
function retryAfter<A>(
  error: NexusError,
  n: number,
  attempt: Effect.Effect<A, NexusError>,
  kind: RequestKind,
  budget: RetryBudget,
  request: RequestInfo,
  log: ((line: LogLine) => void) | undefined,
): Effect.Effect<A, NexusError> {
  if (n >= budgetFor(kind, budget) || !isTransient(error, kind)) return Effect.fail(error)
  return Effect.flatMap(Random.next, (random01) => {
    const delayMs = retryDelayMs(error, n, budget, random01)
    if (delayMs === undefined) return Effect.fail(error)
    log?.({
      level: 'warn',
      event: 'retry',
      message: `retrying ${request.method} ${request.path} in ${delayMs} ms after ${error._tag}`,
      api: request.api,
      method: request.method,
      path: request.path,
      attempt: n + 1,
      delayMs,
      error: error._tag,
      ...(error._tag === 'HttpError' ? { status: error.status } : {}),
    })
    return Effect.zipRight(
      Effect.sleep(delayMs),
      Effect.catchAll(attempt, (next) => retryAfter(next, n + 1, attempt, kind, budget, request, log)),
    )
  })
}
