import { Effect, Exit } from 'effect'
import type * as Otel from '@opentelemetry/api'
import { ATTR, hostOf, memberGuidOf, routeTemplate } from './attributes.js'
import { callerContext } from './context-ref.js'
import type { AttemptFailure, AttemptReply, TelemetryHooks, TracedRequest } from './hooks.js'
import type { Instruments, Providers } from './providers.js'

/** What one call saw across its attempts. */
interface CallState {
  attempts: number
  status: number | undefined
  failure: AttemptFailure | undefined
}

/** `error.type` for a failure: the HTTP status, the transport reason or the tag; never a message. */
function errorType(failure: AttemptFailure): string {
  if (failure.status !== undefined) return String(failure.status)
  return failure.reason ?? failure._tag
}

function record<A extends AttemptReply, E extends AttemptFailure>(
  state: CallState,
  span: Otel.Span | undefined,
  attempt: Effect.Effect<A, E>,
): Effect.Effect<A, E> {
  return Effect.suspend(() => {
    if (state.attempts > 0) {
      // A retry (services/retry.ts): an event naming what the previous attempt got.
      span?.addEvent('retry', {
        [ATTR.resendCount]: state.attempts,
        ...(state.failure === undefined ? {} : { [ATTR.errorType]: errorType(state.failure) }),
      })
    }
    state.attempts++
    return Effect.tapBoth(attempt, {
      onSuccess: (reply) =>
        Effect.sync(() => {
          state.status = reply.status
          state.failure = undefined
        }),
      onFailure: (failure) =>
        Effect.sync(() => {
          state.status = failure.status
          state.failure = failure
        }),
    })
  })
}

function finish(
  api: typeof Otel,
  span: Otel.Span | undefined,
  instruments: Instruments | undefined,
  request: TracedRequest,
  route: string,
  state: CallState,
  exit: Exit.Exit<unknown, AttemptFailure>,
): void {
  const outcome = Exit.isSuccess(exit)
    ? 'ok'
    : Exit.isInterrupted(exit)
      ? 'aborted'
      : (state.failure?._tag ?? 'error')
  if (span !== undefined) {
    if (state.status !== undefined) span.setAttribute(ATTR.httpStatus, state.status)
    if (state.attempts > 1) span.setAttribute(ATTR.resendCount, state.attempts - 1)
    span.setAttribute(ATTR.callOutcome, outcome)
    if (outcome !== 'ok') {
      span.setAttribute(ATTR.errorType, state.failure === undefined ? outcome : errorType(state.failure))
      span.setStatus({ code: api.SpanStatusCode.ERROR })
    }
    span.end()
  }
  if (instruments !== undefined) {
    instruments.calls.add(1, {
      [ATTR.api]: request.api,
      [ATTR.method]: request.method,
      [ATTR.route]: route,
      [ATTR.callOutcome]: outcome,
      ...(state.status === undefined ? {} : { [ATTR.httpStatus]: state.status }),
    })
    if (outcome === 'ok' && request.api === 'nexus' && request.method === 'POST' && route === '/sessions') {
      instruments.sessions.add(1)
    }
  }
}

/** The `call` and `fork` hooks (hooks.ts): a CLIENT span per HTTP call, counted in `mx_reconnect.http.calls`. */
export function httpHooks(providers: Providers): Pick<TelemetryHooks, 'call' | 'fork'> {
  const { api } = providers
  return {
    call(request, attempt, run) {
      const tracer = providers.tracer()
      const instruments = providers.instruments()
      if (tracer === undefined && instruments === undefined) return run(attempt)
      return Effect.withFiberRuntime((fiber) => {
        const route = routeTemplate(request.api, request.path)
        const parent = (fiber.getFiberRef(callerContext) as Otel.Context | undefined) ?? api.context.active()
        const guid = memberGuidOf(request.api, request.path)
        const span = tracer?.startSpan(
          `${request.method} ${route}`,
          {
            kind: api.SpanKind.CLIENT,
            attributes: {
              [ATTR.api]: request.api,
              [ATTR.method]: request.method,
              [ATTR.route]: route,
              [ATTR.serverAddress]: hostOf(request.endpoint.origin),
              ...(guid === undefined ? {} : { [ATTR.memberGuid]: guid }),
            },
          },
          parent,
        )
        const state: CallState = { attempts: 0, status: undefined, failure: undefined }
        return Effect.onExit(run(record(state, span, attempt)), (exit) =>
          Effect.sync(() => finish(api, span, instruments, request, route, state, exit)),
        )
      })
    },
    fork(effect) {
      // Only spans need the caller's context; while no tracer is registered the fiber runs as it is.
      if (providers.tracer() === undefined) return effect
      return Effect.locally(effect, callerContext, api.context.active())
    },
  }
}
