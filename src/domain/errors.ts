import { Data } from 'effect'

// Errors are tagged data (architecture.md, house rule 4). Messages never carry a secret: no token, key,
// credential value or answer is ever passed into these constructors (house rule 8).

/**
 * Which upstream API a request went to.
 *
 * @example
 * ```ts
 * const api: Api = error instanceof HttpError ? error.api : 'nexus' // 'nexus' | 'sso' | 'mdx'
 * ```
 */
export type Api = 'nexus' | 'sso' | 'mdx'

/**
 * The network failed before a usable HTTP answer arrived. `sent` is false only when it provably never left.
 *
 * @example
 * ```ts
 * if (error instanceof TransportError && !error.sent) retryWrite()
 * ```
 */
export class TransportError extends Data.TaggedError('TransportError')<{
  readonly api: Api
  readonly method: string
  readonly path: string
  readonly reason: 'connect' | 'reset' | 'timeout' | 'aborted' | 'other'
  readonly sent: boolean
  readonly message: string
}> {}

/**
 * MX answered with a non-2xx status. `code` is MX's numeric code when the body carried one (informational).
 *
 * @example
 * ```ts
 * if (error instanceof HttpError && error.status === 405) rereadMember()
 * ```
 */
export class HttpError extends Data.TaggedError('HttpError')<{
  readonly api: Api
  readonly method: string
  readonly path: string
  readonly status: number
  readonly code?: number | undefined
  readonly retryAfterMs?: number | undefined
  readonly message: string
}> {}

/**
 * A reply did not match its schema (malformed JSON, missing guid, wrong types).
 *
 * @example
 * ```ts
 * if (error instanceof DecodeError) log(error.issues.join('; '))
 * ```
 */
export class DecodeError extends Data.TaggedError('DecodeError')<{
  readonly api: Api
  readonly method: string
  readonly path: string
  readonly issues: readonly string[]
  readonly message: string
}> {}

/**
 * The session could not be renewed: 401/4011 again after one renewal and one replay.
 *
 * @example
 * ```ts
 * if (error._tag === 'SessionExpiredError') alertOps(error.message)
 * ```
 */
export class SessionExpiredError extends Data.TaggedError('SessionExpiredError')<{
  readonly userId: string
  readonly method: string
  readonly path: string
  readonly message: string
}> {}

/**
 * The library was configured wrongly (names the field).
 *
 * @example
 * ```ts
 * try { createNexusClient(config) } catch (e) { if (e instanceof ConfigError) console.error(e.field) }
 * ```
 */
export class ConfigError extends Data.TaggedError('ConfigError')<{
  readonly field: string
  readonly message: string
}> {}

/**
 * A public entry point was called with bad arguments (names the call and the field, never the value):
 * refused before any I/O.
 *
 * @example
 * ```ts
 * try { await client.readMember({ userId, memberGuid }) } catch (e) { if (e instanceof ArgumentError) log(e.field) }
 * ```
 */
export class ArgumentError extends Data.TaggedError('ArgumentError')<{
  readonly method: string
  readonly field: string
  readonly message: string
}> {}

/**
 * Any error the request layer produces.
 *
 * @example
 * ```ts
 * function describe(error: NexusError): string {
 *   return error._tag === 'HttpError' ? `HTTP ${error.status} from ${error.api}` : error._tag
 * }
 * ```
 */
export type NexusError =
  TransportError | HttpError | DecodeError | SessionExpiredError | ConfigError | ArgumentError

/**
 * What to do about an error (architecture.md, error model).
 *
 * @example
 * ```ts
 * const what: ErrorClass = classify(error)
 * if (what === 'retry') scheduleRetry()
 * ```
 */
export type ErrorClass = 'retry' | 'refresh' | 'userAction' | 'fatal'

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504])

/**
 * Sorts an error into retry / refresh / user-action / fatal. The only place that decides this.
 *
 * @example
 * ```ts
 * classify(new HttpError({ api: 'nexus', method: 'GET', path: '/members', status: 503, message: '…' })) // 'retry'
 * ```
 */
export function classify(error: {
  readonly _tag: string
  readonly status?: number
  readonly api?: Api
}): ErrorClass {
  switch (error._tag) {
    case 'TransportError':
    case 'DecodeError':
    case 'SessionExpiredError':
      return 'retry'
    case 'HttpError': {
      const status = error.status ?? 0
      if (RETRY_STATUSES.has(status)) return 'retry'
      // §12: a 401 on any session-authenticated Nexus call is an expired session.
      if (status === 401 && error.api === 'nexus') return 'refresh'
      // 400 stale guids / bad answers, 405 not CHALLENGED, 409/422 duplicates: the caller must act.
      if (status === 400 || status === 405 || status === 409 || status === 422) return 'userAction'
      return 'fatal'
    }
    default:
      return 'fatal'
  }
}

/**
 * Serialisable error data for machine context and outcomes (no class instances, no secrets).
 *
 * @example
 * ```ts
 * const error: ErrorData | undefined = output.error
 * if (error?._tag === 'HttpError') console.log(error.status, error.message)
 * ```
 */
export interface ErrorData {
  readonly _tag: string
  readonly message: string
  readonly status?: number
  readonly retryAfterMs?: number
  /** TransportError only: false when the request provably never left (decisions/0007). */
  readonly sent?: boolean
}

/**
 * Plain data for an error, safe to persist: tag, message, and status / Retry-After / `sent` where known.
 *
 * @example
 * ```ts
 * toErrorData(new ConfigError({ field: 'apiKey', message: 'apiKey is required' })) // { _tag: 'ConfigError', ... }
 * ```
 */
export function toErrorData(error: unknown): ErrorData {
  if (typeof error === 'object' && error !== null && '_tag' in error && typeof error._tag === 'string') {
    const e = error as {
      _tag: string
      message?: unknown
      status?: unknown
      retryAfterMs?: unknown
      sent?: unknown
    }
    return {
      _tag: e._tag,
      message: typeof e.message === 'string' ? e.message : e._tag,
      ...(typeof e.status === 'number' ? { status: e.status } : {}),
      ...(typeof e.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : {}),
      ...(e._tag === 'TransportError' && typeof e.sent === 'boolean' ? { sent: e.sent } : {}),
    }
  }
  return { _tag: 'UnknownError', message: error instanceof Error ? error.name : 'unknown error' }
}
