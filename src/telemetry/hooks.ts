import type { Effect } from 'effect'
import type { AnyActorRef } from 'xstate'
import { loadTelemetry } from './load.js'

// The one seam between the library and OpenTelemetry (docs/telemetry.md, docs/decisions/0014). The
// services, the client facade and the bridge each call one of these hooks; `telemetry` is undefined when
// `@opentelemetry/api` is not installed, so those call sites cost one `undefined` check. Nothing here
// names an OpenTelemetry type: consumers without the optional peer never load its declarations.

/** What a traced HTTP call shows: never its headers or body, and its path only as a route template. */
export interface TracedRequest {
  readonly api: string
  readonly method: string
  /** Relative path; turned into a template (`/members/{member_guid}`) before it reaches a span. */
  readonly path: string
  readonly endpoint: { readonly origin: string }
}

/** The part of an attempt's reply the span reads. */
export interface AttemptReply {
  readonly status: number
}

/** The part of an attempt's failure the span reads (a tagged error: its tag, status or reason, never its message). */
export interface AttemptFailure {
  readonly _tag: string
  readonly status?: number
  readonly reason?: string
}

/** The hooks the library calls; all of them are cheap no-ops while no provider is registered. */
export interface TelemetryHooks {
  /**
   * One HTTP call, its request-level retries included: `run` is the retrying wrapper (services/retry.ts)
   * and `attempt` one send. Returns `run(attempt)` untouched when nothing is recording.
   */
  call<A extends AttemptReply, E1 extends AttemptFailure, E2 extends AttemptFailure>(
    request: TracedRequest,
    attempt: Effect.Effect<A, E1>,
    run: (attempt: Effect.Effect<A, E1>) => Effect.Effect<A, E2>,
  ): Effect.Effect<A, E2>
  /** A facade call about to fork its fiber: carries the caller's active context into the fiber. */
  fork<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R>
  /** A lifecycle actor created by the bridge, before it starts: one root span and its step spans. */
  lifecycle(actor: AnyActorRef, run: 'start' | 'restore'): void
  /** Runs an invoked actor's work (`self`) inside the span of its lifecycle's current step. */
  inStep<T>(self: AnyActorRef, work: () => T): T
}

/** The hooks, or undefined when `@opentelemetry/api` is not installed (read once, at load). */
export const telemetry: TelemetryHooks | undefined = loadTelemetry()
