import type { IncomingHttpHeaders } from 'node:http'
import { performance } from 'node:perf_hooks'
import { Context, Effect, Layer } from 'effect'
import type { Fiber } from 'effect'
import { Agent } from 'undici'
import type { Dispatcher } from 'undici'
import { TransportError } from '../domain/index.js'
import { NexusConfig } from './config.js'
import type { Endpoint, LogLine } from './config.js'
import type { ReplyInfo, RequestInfo } from './http-errors.js'
import { TrafficStats } from './stats.js'

/** One HTTP exchange. `path` is relative to the endpoint's base and is what errors and logs show. */
export interface HttpRequest extends RequestInfo {
  readonly endpoint: Endpoint
  /** Lower-case header names. May hold secrets: never logged, never put in an error. */
  readonly headers: Readonly<Record<string, string>>
  /** May hold secrets: never logged, never put in an error. */
  readonly body?: string | undefined
}

/** The network edge: sends a request and reads the whole answer, or fails with a `TransportError`. */
export interface TransportService {
  readonly send: (request: HttpRequest) => Effect.Effect<ReplyInfo, TransportError>
}

/**
 * The HTTP transport service: a scoped undici `Agent` (keep-alive pools, one per origin, with a
 * connection limit) and a per-request deadline through an `AbortSignal` (undici's own timers tick at
 * about 1 s, architecture.md).
 *
 * @example
 * ```ts
 * const reply = yield* Effect.flatMap(Transport, (t) => t.send(request))
 * ```
 */
export class Transport extends Context.Tag('mx-reconnect/Transport')<Transport, TransportService>() {}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
])
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED'])
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'])

function errorCode(cause: unknown): string | undefined {
  for (let e: unknown = cause, depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * Maps any undici failure to a `TransportError`. `sent: false` only for connect failures, where the
 * request provably never left; everything else may have reached MX. The message carries the error
 * code, never undici's text or the request's headers/body.
 */
export function toTransportError(
  request: RequestInfo,
  cause: unknown,
  timedOut: boolean,
  started = true,
): TransportError {
  const code = timedOut ? 'deadline' : (errorCode(cause) ?? (cause instanceof Error ? cause.name : 'unknown'))
  const reason: TransportError['reason'] = timedOut
    ? 'timeout'
    : CONNECT_CODES.has(code)
      ? 'connect'
      : RESET_CODES.has(code)
        ? 'reset'
        : TIMEOUT_CODES.has(code)
          ? 'timeout'
          : code === 'UND_ERR_ABORTED' || code === 'AbortError' || code === 'ABORT_ERR'
            ? 'aborted'
            : 'other'
  return new TransportError({
    api: request.api,
    method: request.method,
    path: request.path,
    reason,
    sent: reason !== 'connect' && started,
    message: `${request.method} ${request.path} failed: ${reason} (${code})`,
  })
}

const ABORTED = new Error('aborted by mx-reconnect')

/**
 * One request as an undici dispatch handler: collects the body without a stream, enforces the
 * deadline, and settles exactly once. `started` turns true when undici hands the request to a socket;
 * a deadline that fires before that provably never sent it.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined
  private readonly timer: NodeJS.Timeout
  private readonly startedAt: number
  private chunks: Buffer[] = []
  private status = 0
  private headers: IncomingHttpHeaders = {}
  private settled = false
  private started = false
  private cancelled = false

  constructor(
    private readonly request: HttpRequest,
    timeoutMs: number,
    private readonly log: ((line: LogLine) => void) | undefined,
    private readonly fiber: Fiber.RuntimeFiber<unknown, unknown>,
    private readonly done: (result: Effect.Effect<ReplyInfo, TransportError>) => void,
  ) {
    this.timer = setTimeout(this.deadline, timeoutMs)
    this.startedAt = log === undefined ? 0 : performance.now()
    fiber.addObserver(this.cancel)
  }

  /** The calling fiber ended first (it was interrupted): abort quietly. */
  private readonly cancel = () => {
    if (this.settled) return
    this.cancelled = true
    this.fail(toTransportError(this.request, ABORTED, false, this.started), 'debug')
  }

  private readonly deadline = () => {
    if (this.settled) return
    this.cancelled = true
    this.fail(toTransportError(this.request, ABORTED, true, this.started), 'warn')
  }

  private fail(error: TransportError, level: LogLine['level']) {
    const { request } = this
    this.log?.({
      level,
      event: 'http',
      message: error.message,
      api: request.api,
      method: request.method,
      path: request.path,
      error: error._tag,
      durationMs: Math.round(performance.now() - this.startedAt),
    })
    this.settle(Effect.fail(error))
  }

  private settle(result: Effect.Effect<ReplyInfo, TransportError>) {
    this.settled = true
    clearTimeout(this.timer)
    this.fiber.removeObserver(this.cancel)
    if (this.cancelled) this.controller?.abort(ABORTED)
    this.done(result)
  }

  onRequestStart(controller: Dispatcher.DispatchController) {
    this.controller = controller
    this.started = true
    if (this.cancelled) controller.abort(ABORTED)
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders) {
    this.status = status
    this.headers = headers
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer) {
    this.chunks.push(chunk)
  }

  onResponseEnd() {
    if (this.settled) return
    const text =
      this.chunks.length === 1
        ? this.chunks[0]!.toString('utf8')
        : Buffer.concat(this.chunks).toString('utf8')
    this.chunks = []
    const { request, status } = this
    this.log?.({
      level: 'debug',
      event: 'http',
      message: `${request.method} ${request.path} -> ${status}`,
      api: request.api,
      method: request.method,
      path: request.path,
      status,
      durationMs: Math.round(performance.now() - this.startedAt),
    })
    this.settle(Effect.succeed({ status, headers: this.headers, text }))
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error) {
    if (this.settled) return
    this.fail(toTransportError(this.request, error, false, this.started), 'warn')
  }
}

/** Builds the transport over a fresh agent; the agent closes with the scope. */
export const makeTransport = Effect.gen(function* () {
  const config = yield* NexusConfig
  const counters = yield* TrafficStats
  const agent = yield* Effect.acquireRelease(
    Effect.sync(
      () =>
        new Agent({
          connections: config.connections,
          keepAliveTimeout: 4_000,
          keepAliveMaxTimeout: 60_000,
          connectTimeout: Math.min(config.timeoutMs, 10_000),
        }),
    ),
    // close() lets in-flight requests finish (each is bounded by its deadline) before sockets go.
    (a) => Effect.promise(() => a.close()),
  )
  const timeoutMs = config.timeoutMs
  const log: ((line: LogLine) => void) | undefined = config.log

  // Effect.async without a canceler, plus an observer on the calling fiber: a canceler costs an
  // onInterrupt region per request (measurable at benchmark rates), while a fiber that ends with the
  // request still in flight was interrupted, so aborting then is exactly "abort on interruption".
  const send = (request: HttpRequest): Effect.Effect<ReplyInfo, TransportError> =>
    Effect.withFiberRuntime((fiber) =>
      Effect.async<ReplyInfo, TransportError>((resume) => {
        const exchange = new Exchange(request, timeoutMs, log, fiber, resume)
        counters.requests++
        try {
          agent.dispatch(
            {
              origin: request.endpoint.origin,
              path: request.endpoint.basePath + request.path,
              method: request.method,
              headers: request.headers,
              body: request.body ?? null,
            },
            exchange,
          )
        } catch (error) {
          // undici reports most failures through the handler; anything thrown here never left.
          exchange.onResponseError(undefined, error instanceof Error ? error : new Error('dispatch failed'))
        }
      }),
    )

  return Transport.of({ send })
})

/** The transport layer: needs `NexusConfig` and `TrafficStats`. */
export const TransportLive = Layer.scoped(Transport, makeTransport)
