import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Reconnector } from '../reconnector/types.js'
import type { WebhookAuth } from './webhook.js'

/**
 * The partner's own authentication: the caller's MX user id, or nothing (401).
 *
 * @example
 * ```ts
 * // The partner's own session cookie names the MX user; no session, no access (401).
 * const resolveUser: ResolveUser = (req) => sessions.get(req.headers.cookie ?? '')?.mxUserId
 * ```
 */
export type ResolveUser = (
  req: IncomingMessage,
) => string | null | undefined | Promise<string | null | undefined>

/**
 * Where a failure the caller was not told about in detail happened.
 *
 * @example
 * ```ts
 * const onError = (error: unknown, source: HandlerErrorSource) =>
 *   log.error({ source, error: error instanceof Error ? error.message : String(error) })
 * const handler = createReconnectHandler({ reconnector, resolveUser, onError })
 * ```
 */
export type HandlerErrorSource = 'route' | 'resolveUser' | 'webhook'

/**
 * Options of `createReconnectHandler`.
 *
 * @example
 * ```ts
 * const options: ReconnectHandlerOptions = {
 *   reconnector,
 *   resolveUser: (req) => sessions.get(req.headers.cookie ?? '')?.mxUserId,
 *   webhook: { secret: process.env.MX_WEBHOOK_SECRET! },
 *   maxBodyBytes: 16 * 1024,
 *   basePath: '/mx',
 * }
 * createServer(createReconnectHandler(options)).listen(8080)
 * ```
 */
export interface ReconnectHandlerOptions {
  /** The reconnector the routes drive (one per process; any number of processes may share a store). */
  readonly reconnector: Reconnector
  /** The partner's authentication: the MX user id of the caller, or nothing. A caller only sees its own user's members. */
  readonly resolveUser: ResolveUser
  /** Checks on `POST /webhooks/mx` (shared secret, basic auth). Without it, any well-formed body is taken. */
  readonly webhook?: WebhookAuth
  /** Largest request body in bytes (default 64 KiB); larger ones get 413. */
  readonly maxBodyBytes?: number
  /**
   * A path prefix to strip when the handler is not mounted by a framework (e.g. `/mx` on a plain
   * `node:http` server). Express's `app.use('/mx', handler)` strips it itself: leave this unset there.
   */
  readonly basePath?: string
  /**
   * Told of failures answered with a plain 500 / 503, of a `resolveUser` that threw, and of webhooks that
   * could not be processed after their 204. Errors carry no secret (house rule); bodies are never passed.
   */
  readonly onError?: (error: unknown, source: HandlerErrorSource) => void
}

/**
 * A handler any `node:http` host mounts: plain servers, Express, Fastify's raw mode, Next's node runtime.
 *
 * @example
 * ```ts
 * const handler: ReconnectHandler = createReconnectHandler({ reconnector, resolveUser })
 * app.use('/mx', handler) // Express strips /mx itself
 * process.on('SIGTERM', async () => {
 *   await handler.drain() // every webhook taken so far is processed
 *   await reconnector.close()
 * })
 * ```
 */
export interface ReconnectHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void
  /** Resolves when every webhook taken so far has been processed (for a graceful shutdown, and tests). */
  drain(): Promise<void>
}
