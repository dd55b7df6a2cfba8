import { Context, Deferred, Effect, Exit, FiberId, Layer, Redacted } from 'effect'
import { apiTokenBody, sessionBody, SessionExpiredError, userBody } from '../domain/index.js'
import type { HttpError, NexusError } from '../domain/index.js'
import { checkUserId } from './arguments.js'
import { NexusConfig } from './config.js'
import type { LogLine } from './config.js'
import { decodeBody } from './decode.js'
import { exchange } from './exchange.js'
import { isSessionRejected } from './http-errors.js'
import type { RequestInfo } from './http-errors.js'
import { MDX_MEDIA_TYPE, NEXUS_MEDIA_TYPE, SSO_MEDIA_TYPE } from './media-types.js'
import { TrafficStats } from './stats.js'
import { Transport } from './transport.js'
import type { HttpRequest } from './transport.js'

/** A live session. `lastUsedAt` moves forward with every successful call (sliding window, §1.5). */
class Live {
  readonly _tag = 'Live'
  constructor(
    readonly token: Redacted.Redacted<string>,
    public lastUsedAt: number,
  ) {}
}

/** A session being opened; every caller for that user awaits the same deferred (single flight). */
interface Opening {
  readonly _tag: 'Opening'
  readonly deferred: Deferred.Deferred<Live, NexusError>
}

/** Per-user Nexus sessions (Nexus reference §1). */
export interface SessionsService {
  /**
   * Runs `use` with the user's session token. A 401 from `use` (§1.5, §12) drops the session, opens a
   * new one and replays `use` once; a second 401 fails with `SessionExpiredError`.
   */
  readonly withSession: <A>(
    userId: string,
    request: RequestInfo,
    use: (token: Redacted.Redacted<string>) => Effect.Effect<A, NexusError>,
  ) => Effect.Effect<A, NexusError>
  /** The user's current session token, opening one if needed. */
  readonly token: (userId: string) => Effect.Effect<Redacted.Redacted<string>, NexusError>
  /** Forgets the user's live session (an opening one is kept: it is fresh). */
  readonly invalidate: (userId: string) => Effect.Effect<void>
}

/**
 * The session service: one SSO token + one `POST /sessions` per user at a time, however many callers
 * ask at once; tokens are `Redacted` and keyed by user, so users never share one.
 *
 * @example
 * ```ts
 * const member = yield* Effect.flatMap(Sessions, (s) => s.withSession('u1', info, (token) => call(token)))
 * ```
 */
export class Sessions extends Context.Tag('mx-reconnect/Sessions')<Sessions, SessionsService>() {}

const SWEEP_EVERY = 1_000

/** A live session as the fiber-less path sees it (docs/decisions/0006). */
export interface FreshSession {
  readonly token: Redacted.Redacted<string>
}

/**
 * What the client facade's fiber-less path needs from the session service (docs/decisions/0006): the
 * same cache and the same 401 handling as `withSession`, split at the first send.
 */
export interface SessionSteps {
  /** The user's session when it is fresh at `now`, touched as `withSession` touches it; else undefined. */
  readonly fresh: (userId: string, now: number) => FreshSession | undefined
  /**
   * What `withSession(userId, request, use)` does once `use(session.token)` has run as `first`: a 401 drops
   * the session, opens a new one and replays `use` once; anything else is `first`'s own outcome.
   */
  readonly after: <A>(
    userId: string,
    request: RequestInfo,
    use: (token: Redacted.Redacted<string>) => Effect.Effect<A, NexusError>,
    session: FreshSession,
    first: Effect.Effect<A, NexusError>,
  ) => Effect.Effect<A, NexusError>
}

const steps = new WeakMap<SessionsService, SessionSteps>()

/** The steps of a session service built by {@link makeSessions}; undefined for any other. */
export function sessionStepsOf(sessions: SessionsService): SessionSteps | undefined {
  return steps.get(sessions)
}

/** Builds the session service. Opening fibers run in the layer's scope, so they outlive a cancelled caller. */
export const makeSessions = Effect.gen(function* () {
  const config = yield* NexusConfig
  const transport = yield* Transport
  const counters = yield* TrafficStats
  const scope = yield* Effect.scope
  const entries = new Map<string, Live | Opening>()
  const log: ((line: LogLine) => void) | undefined = config.log
  // A session older than this (since its last use) is renewed before use rather than risked (§1.5).
  const freshForMs = Math.max(0, config.sessionTtlMs - config.sessionRenewAheadMs)
  let opens = 0

  const ssoRequest = (userId: string): HttpRequest => ({
    api: 'sso',
    method: 'GET',
    path: `/${encodeURIComponent(config.clientId)}/users/${encodeURIComponent(userId)}/api_token.json`,
    endpoint: config.sso,
    headers: {
      accept: SSO_MEDIA_TYPE,
      'md-api-key': Redacted.value(config.apiKey),
      'user-agent': config.userAgent,
    },
  })

  /** §1.2: create the user on MDX Real Time. An "already exists" answer counts as done. */
  const createUser = (userId: string): Effect.Effect<void, NexusError> => {
    const mdx = config.mdx
    if (mdx === undefined) return Effect.void
    const request: HttpRequest = {
      api: 'mdx',
      method: 'POST',
      path: `/${encodeURIComponent(config.clientId)}/users.json`,
      endpoint: mdx,
      headers: {
        accept: MDX_MEDIA_TYPE,
        'content-type': MDX_MEDIA_TYPE,
        'md-api-key': Redacted.value(config.apiKey),
        'user-agent': config.userAgent,
      },
      body: JSON.stringify({ user: { id: userId } }),
    }
    log?.({ level: 'info', event: 'user.create', message: 'SSO did not know the user; creating it', userId })
    return exchange(transport, config.retry, log, request, 'write').pipe(
      Effect.flatMap((reply) => decodeBody(request, reply.text, userBody)),
      Effect.asVoid,
      Effect.catchIf(
        (e): e is HttpError => e._tag === 'HttpError' && (e.status === 409 || e.status === 422),
        () => Effect.void,
      ),
    )
  }

  /** §1.3: a single-use SSO api token. SSO 404 may mean "unknown user": create it and ask once more. */
  const readApiToken = (userId: string): Effect.Effect<Redacted.Redacted<string>, NexusError> => {
    const request = ssoRequest(userId)
    const read = exchange(transport, config.retry, log, request, 'read').pipe(
      Effect.flatMap((reply) => decodeBody(request, reply.text, apiTokenBody)),
      Effect.map((body) => Redacted.make(body.api_token.token)),
    )
    if (!config.createUsers) return read
    return Effect.catchIf(
      read,
      (e): e is HttpError => e._tag === 'HttpError' && e.status === 404,
      () => Effect.zipRight(createUser(userId), read),
    )
  }

  /** §1.4: open a session that never starts aggregation of the user's other members. */
  const postSession = (
    apiToken: Redacted.Redacted<string>,
  ): Effect.Effect<Redacted.Redacted<string>, NexusError> => {
    const request: HttpRequest = {
      api: 'nexus',
      method: 'POST',
      path: '/sessions',
      endpoint: config.nexus,
      headers: {
        accept: NEXUS_MEDIA_TYPE,
        'content-type': NEXUS_MEDIA_TYPE,
        'md-api-token': Redacted.value(apiToken),
        'user-agent': config.userAgent,
      },
      body: '{"session":{"skip_aggregation":true}}',
    }
    const counted: Transport['Type'] = {
      send: (r) => Effect.suspend(() => (counters.sessionsOpened++, transport.send(r))),
    }
    return exchange(counted, config.retry, log, request, 'write').pipe(
      Effect.flatMap((reply) => decodeBody(request, reply.text, sessionBody)),
      Effect.map((body) => Redacted.make(body.session.token)),
    )
  }

  const open = (userId: string): Effect.Effect<Live, NexusError> =>
    Effect.flatMap(readApiToken(userId), (apiToken) =>
      Effect.clockWith((clock) => {
        const openedAt = clock.unsafeCurrentTimeMillis()
        return Effect.map(postSession(apiToken), (token) => {
          log?.({ level: 'info', event: 'session.open', message: 'opened a Nexus session', userId })
          return new Live(token, openedAt)
        })
      }),
    )

  const sweep = (now: number) => {
    for (const [userId, entry] of entries) {
      if (entry._tag === 'Live' && now >= entry.lastUsedAt + config.sessionTtlMs) entries.delete(userId)
    }
  }

  /**
   * Starts the one opening for `userId`, or joins the one already started. The check, the map entry and
   * the fork happen uninterruptibly: a caller cancelled in between must not leave an opening that never
   * completes. Fibers may still interleave between steps, hence the second look at the map.
   */
  const startOpening = (userId: string, now: number): Effect.Effect<Live, NexusError> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const current = entries.get(userId)
        if (current?._tag === 'Opening') return restore(Deferred.await(current.deferred))
        if (current?._tag === 'Live' && now < current.lastUsedAt + freshForMs) return Effect.succeed(current)
        const deferred = Deferred.unsafeMake<Live, NexusError>(FiberId.none)
        entries.set(userId, { _tag: 'Opening', deferred })
        if (++opens % SWEEP_EVERY === 0) sweep(now)
        const settle = (exit: Exit.Exit<Live, NexusError>) =>
          Effect.suspend(() => {
            const latest = entries.get(userId)
            if (latest?._tag === 'Opening' && latest.deferred === deferred) {
              if (Exit.isSuccess(exit)) entries.set(userId, exit.value)
              else entries.delete(userId)
            }
            return Deferred.done(deferred, exit)
          })
        // The opening runs in the layer's scope: it outlives a cancelled first caller, and other callers
        // may be waiting on it.
        return Effect.zipRight(
          Effect.forkIn(Effect.ignore(Effect.onExit(Effect.interruptible(open(userId)), settle)), scope),
          restore(Deferred.await(deferred)),
        )
      }),
    )

  const acquire = (userId: string, now: number): Effect.Effect<Live, NexusError> => {
    const entry = entries.get(userId)
    if (entry === undefined) return startOpening(userId, now)
    if (entry._tag === 'Opening') return Deferred.await(entry.deferred)
    if (now < entry.lastUsedAt + freshForMs) return Effect.succeed(entry)
    log?.({
      level: 'info',
      event: 'session.renew',
      message: 'session near its 30-minute window; renewing',
      userId,
    })
    return startOpening(userId, now)
  }

  /** Drops `entry` only if it is still the user's session: a late 401 must not drop a fresh one. */
  const drop = (userId: string, entry: Live) =>
    Effect.sync(() => {
      if (entries.get(userId) === entry) entries.delete(userId)
    })

  /** Runs `use` with a live session; a 401 goes to `onRejected` with the session that got it. */
  const run = <A>(
    entry: Live,
    now: number,
    use: (token: Redacted.Redacted<string>) => Effect.Effect<A, NexusError>,
    onRejected: (entry: Live) => Effect.Effect<A, NexusError>,
  ): Effect.Effect<A, NexusError> => {
    // Touched before sending: MX slides the window when it receives the call (§1.5). A call that never
    // arrives leaves the session looking fresher than it is; the 401 path covers that case.
    if (entry.lastUsedAt < now) entry.lastUsedAt = now
    return Effect.catchAll(use(entry.token), (error) =>
      isSessionRejected(error) ? onRejected(entry) : Effect.fail(error),
    )
  }

  const attempt = <A>(
    userId: string,
    use: (token: Redacted.Redacted<string>) => Effect.Effect<A, NexusError>,
    onRejected: (entry: Live) => Effect.Effect<A, NexusError>,
  ): Effect.Effect<A, NexusError> =>
    Effect.clockWith((clock) => {
      const now = clock.unsafeCurrentTimeMillis()
      const entry = entries.get(userId)
      // The hot path: a fresh session is a map lookup and a clock read.
      if (entry?._tag === 'Live' && now < entry.lastUsedAt + freshForMs)
        return run(entry, now, use, onRejected)
      return Effect.flatMap(acquire(userId, now), (live) => run(live, now, use, onRejected))
    })

  const expired = (userId: string, request: RequestInfo, second: Live) => {
    const message =
      `Nexus rejected the session for ${request.method} ${request.path} (HTTP 401); ` +
      'opened a new session once and replayed the request once, and it was rejected again'
    log?.({
      level: 'error',
      event: 'session.expired',
      message,
      userId,
      method: request.method,
      path: request.path,
    })
    return Effect.zipRight(
      drop(userId, second),
      Effect.fail(new SessionExpiredError({ userId, method: request.method, path: request.path, message })),
    )
  }

  const replay = <A>(
    userId: string,
    request: RequestInfo,
    use: (token: Redacted.Redacted<string>) => Effect.Effect<A, NexusError>,
    first: Live,
  ): Effect.Effect<A, NexusError> => {
    log?.({
      level: 'info',
      event: 'session.renew',
      message: `session rejected on ${request.method} ${request.path}; renewing and replaying once`,
      userId,
      api: request.api,
      method: request.method,
      path: request.path,
      status: 401,
    })
    return Effect.zipRight(
      drop(userId, first),
      attempt(userId, use, (second) => expired(userId, request, second)),
    )
  }

  const withSession = <A>(
    userId: string,
    request: RequestInfo,
    use: (token: Redacted.Redacted<string>) => Effect.Effect<A, NexusError>,
  ): Effect.Effect<A, NexusError> => {
    // A user id is checked before any I/O (ArgumentError): never a token for the user "undefined".
    const bad = checkUserId('withSession', userId)
    return bad ? Effect.fail(bad) : attempt(userId, use, (first) => replay(userId, request, use, first))
  }

  const token = (userId: string): Effect.Effect<Redacted.Redacted<string>, NexusError> => {
    const bad = checkUserId('token', userId)
    if (bad) return Effect.fail(bad)
    return Effect.clockWith((clock) =>
      Effect.map(acquire(userId, clock.unsafeCurrentTimeMillis()), (e) => e.token),
    )
  }

  const invalidate = (userId: string) =>
    Effect.sync(() => {
      if (entries.get(userId)?._tag === 'Live') entries.delete(userId)
    })

  const fresh = (userId: string, now: number): Live | undefined => {
    const entry = entries.get(userId)
    if (entry?._tag !== 'Live' || now >= entry.lastUsedAt + freshForMs) return undefined
    // Touched before sending, as `run` does (§1.5).
    if (entry.lastUsedAt < now) entry.lastUsedAt = now
    return entry
  }

  const after = <A>(
    userId: string,
    request: RequestInfo,
    use: (token: Redacted.Redacted<string>) => Effect.Effect<A, NexusError>,
    session: FreshSession,
    first: Effect.Effect<A, NexusError>,
  ): Effect.Effect<A, NexusError> =>
    Effect.catchAll(first, (error) =>
      isSessionRejected(error) ? replay(userId, request, use, session as Live) : Effect.fail(error),
    )

  const service = Sessions.of({ withSession, token, invalidate })
  steps.set(service, { fresh, after })
  return service
})

/** The session layer: needs `NexusConfig`, `Transport` and `TrafficStats`. */
export const SessionsLive = Layer.scoped(Sessions, makeSessions)
