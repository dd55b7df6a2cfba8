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
 * The error of a call its caller aborted through its `signal`: what the client facade rejects with for an
 * aborted call (src/client/create-nexus-client.ts), so both of its paths reject alike.
 */
export function abortedByCaller(request: RequestInfo): TransportError {
  return new TransportError({
    api: request.api,
    method: request.method,
    path: request.path,
    reason: 'aborted',
    sent: true,
    message: `${request.method} ${request.path} was aborted by the caller`,
  })
}

/** What one exchange ends with: a reply (any status) or the transport's failure. */
export type Delivery = (reply: ReplyInfo | undefined, error: TransportError | undefined) => void

/**
 * The deadlines of one transport's requests: every request gets the same `timeoutMs`, so deadlines fall in
 * the order requests start, and one timer armed for the oldest one serves them all (a Node timer per
 * request was ~4% of a request's CPU at benchmark rates, docs/benchmarks.md figure 1). Requests form an
 * intrusive list (no allocation); a settled one unlinks itself, and the timer goes when the list empties,
 * so an idle client holds no timer.
 */
class Deadlines {
  head: Exchange | undefined
  tail: Exchange | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly timeoutMs: number) {}

  add(exchange: Exchange) {
    exchange.dueAt = performance.now() + this.timeoutMs
    exchange.prev = this.tail
    if (this.tail === undefined) this.head = exchange
    else this.tail.next = exchange
    this.tail = exchange
    if (this.timer === undefined) this.arm(exchange.dueAt)
  }

  remove(exchange: Exchange) {
    const { prev, next } = exchange
    if (prev === undefined) {
      if (this.head !== exchange) return // not linked (already removed)
      this.head = next
    } else prev.next = next
    if (next === undefined) this.tail = prev
    else next.prev = prev
    exchange.prev = exchange.next = undefined
    if (this.head === undefined && this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
  }

  private arm(dueAt: number) {
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(dueAt - performance.now())))
  }

  private readonly fire = () => {
    this.timer = undefined
    const now = performance.now()
    // Each expired exchange settles, which unlinks it.
    for (let x = this.head; x !== undefined && x.dueAt <= now; x = this.head) {
      x.deadline()
      if (this.head === x) this.remove(x) // never loop on one that did not unlink
    }
    if (this.head !== undefined && this.timer === undefined) this.arm(this.head.dueAt)
  }
}

/**
 * One request as an undici dispatch handler: collects the body without a stream, enforces the
 * deadline, and settles exactly once. `started` turns true when undici hands the request to a socket;
 * a deadline that fires before that provably never sent it. Subclasses say who is told and what
 * cancels it (the calling fiber's end, or the caller's abort signal).
 */
abstract class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined
  /** Links in the transport's {@link Deadlines}, and when this request's deadline falls. */
  prev: Exchange | undefined = undefined
  next: Exchange | undefined = undefined
  dueAt = 0
  private readonly startedAt: number
  private chunks: Buffer[] = []
  private status = 0
  private headers: IncomingHttpHeaders = {}
  protected settled = false
  protected started = false
  protected cancelled = false

  constructor(
    protected readonly request: HttpRequest,
    private readonly deadlines: Deadlines,
    private readonly log: ((line: LogLine) => void) | undefined,
  ) {
    deadlines.add(this)
    this.startedAt = log === undefined ? 0 : performance.now()
  }

  /** Stops listening for cancellation (called once, when the exchange settles). */
  protected abstract detach(): void
  /** Hands the outcome over (called once). */
  protected abstract finish(reply: ReplyInfo | undefined, error: TransportError | undefined): void

  /** Aborts the request quietly with `error` (the caller gave up). */
  protected cancelWith(error: TransportError) {
    if (this.settled) return
    this.cancelled = true
    this.fail(error, 'debug')
  }

  deadline() {
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
    this.settle(undefined, error)
  }

  private settle(reply: ReplyInfo | undefined, error: TransportError | undefined) {
    this.settled = true
    this.deadlines.remove(this)
    this.detach()
    if (this.cancelled) this.controller?.abort(ABORTED)
    this.finish(reply, error)
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
    this.settle({ status, headers: this.headers, text }, undefined)
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error) {
    if (this.settled) return
    this.fail(toTransportError(this.request, error, false, this.started), 'warn')
  }
}

/**
 * An exchange for an Effect `send`: a fiber that ends with the request still in flight was interrupted,
 * so its end aborts the request. (Effect.async without a canceler, plus an observer on the calling
 * fiber: a canceler costs an onInterrupt region per request, measurable at benchmark rates.)
 */
class FiberExchange extends Exchange {
  constructor(
    request: HttpRequest,
    deadlines: Deadlines,
    log: ((line: LogLine) => void) | undefined,
    private readonly fiber: Fiber.RuntimeFiber<unknown, unknown>,
    private readonly resume: (result: Effect.Effect<ReplyInfo, TransportError>) => void,
  ) {
    super(request, deadlines, log)
    fiber.addObserver(this.cancel)
  }

  /** The calling fiber ended first (it was interrupted): abort quietly. */
  private readonly cancel = () => {
    this.cancelWith(toTransportError(this.request, ABORTED, false, this.started))
  }

  protected detach() {
    this.fiber.removeObserver(this.cancel)
  }

  protected finish(reply: ReplyInfo | undefined, error: TransportError | undefined) {
    this.resume(error === undefined ? Effect.succeed(reply!) : Effect.fail(error))
  }
}

/**
 * An exchange for the fiber-less path (docs/decisions/0006): the caller's `AbortSignal` aborts it, with
 * the error the facade gives an aborted call. The exchange is its own abort listener (`handleEvent`), so
 * listening allocates no closure.
 */
class SignalExchange extends Exchange {
  constructor(
    request: HttpRequest,
    deadlines: Deadlines,
    log: ((line: LogLine) => void) | undefined,
    private readonly signal: AbortSignal | undefined,
    private readonly done: Delivery,
  ) {
    super(request, deadlines, log)
    signal?.addEventListener('abort', this)
  }

  handleEvent() {
    this.cancelWith(abortedByCaller(this.request))
  }

  protected detach() {
    this.signal?.removeEventListener('abort', this)
  }

  protected finish(reply: ReplyInfo | undefined, error: TransportError | undefined) {
    this.done(reply, error)
  }
}

/**
 * The transport's callback form, for the client facade's fiber-less path (docs/decisions/0006): sends
 * `request`, aborts it when `signal` fires, and tells `done` exactly once.
 */
export type Dispatch = (request: HttpRequest, signal: AbortSignal | undefined, done: Delivery) => void

const dispatchers = new WeakMap<TransportService, Dispatch>()

/** The callback form of a transport built by {@link makeTransport}; undefined for any other transport. */
export function dispatcherOf(transport: TransportService): Dispatch | undefined {
  return dispatchers.get(transport)
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
  const deadlines = new Deadlines(config.timeoutMs)
  const log: ((line: LogLine) => void) | undefined = config.log

  const options = (request: HttpRequest): Dispatcher.DispatchOptions => ({
    origin: request.endpoint.origin,
    path: request.endpoint.basePath + request.path,
    method: request.method,
    headers: request.headers,
    body: request.body ?? null,
  })
  const start = (request: HttpRequest, exchange: Exchange) => {
    counters.requests++
    try {
      agent.dispatch(options(request), exchange)
    } catch (error) {
      // undici reports most failures through the handler; anything thrown here never left.
      exchange.onResponseError(undefined, error instanceof Error ? error : new Error('dispatch failed'))
    }
  }

  const send = (request: HttpRequest): Effect.Effect<ReplyInfo, TransportError> =>
    Effect.withFiberRuntime((fiber) =>
      Effect.async<ReplyInfo, TransportError>((resume) => {
        start(request, new FiberExchange(request, deadlines, log, fiber, resume))
      }),
    )

  const dispatch: Dispatch = (request, signal, done) => {
    // An already aborted call is never sent (as a fiber interrupted before it runs sends nothing).
    if (signal?.aborted === true) return done(undefined, abortedByCaller(request))
    start(request, new SignalExchange(request, deadlines, log, signal, done))
  }

  const service = Transport.of({ send })
  dispatchers.set(service, dispatch)
  return service
})

/** The transport layer: needs `NexusConfig` and `TrafficStats`. */
export const TransportLive = Layer.scoped(Transport, makeTransport)
