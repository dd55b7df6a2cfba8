import { Effect } from 'effect'
import type { HttpError, NexusError, TransportError } from '../domain/index.js'
import type { LogLine, RetryBudget } from './config.js'
import { toHttpError } from './http-errors.js'
import type { ReplyInfo } from './http-errors.js'
import { withRetry } from './retry.js'
import { telemetry } from '../telemetry/hooks.js'
import type { RequestKind } from './retry.js'
import type { HttpRequest, TransportService } from './transport.js'

/** One send: a 2xx reply, or the `HttpError` that `toHttpError` makes of any other status. */
export function sendOnce(
  transport: TransportService,
  request: HttpRequest,
): Effect.Effect<ReplyInfo, TransportError | HttpError> {
  return Effect.flatMap(transport.send(request), (reply) =>
    reply.status >= 200 && reply.status < 300
      ? Effect.succeed(reply)
      : Effect.clockWith((clock) =>
          Effect.fail(toHttpError(request, reply, clock.unsafeCurrentTimeMillis())),
        ),
  )
}

/** A send with request-level transient retries for its kind (architecture.md rule 6). */
export function exchange(
  transport: TransportService,
  budget: RetryBudget,
  log: ((line: LogLine) => void) | undefined,
  request: HttpRequest,
  kind: RequestKind,
): Effect.Effect<ReplyInfo, NexusError> {
  // OpenTelemetry (src/telemetry): a span and a count per call when a provider is registered.
  if (telemetry !== undefined) {
    return telemetry.call(request, sendOnce(transport, request), (once) =>
      withRetry(once, kind, budget, request, log),
    )
  }
  return withRetry(sendOnce(transport, request), kind, budget, request, log)
}
