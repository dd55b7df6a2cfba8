import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Reconnector } from '../reconnector/types.js'
import type { WebhookAuth } from './webhook.js'

/** The partner's own authentication: the caller's MX user id, or nothing (401). */
export type ResolveUser = (
  req: IncomingMessage,
) => string | null | undefined | Promise<string | null | undefined>

/** Where a failure the caller was not told about in detail happened. */
export type HandlerErrorSource = 'route' | 'resolveUser' | 'webhook'

/** Options of `createReconnectHandler`. */
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

/** A handler any `node:http` host mounts: plain servers, Express, Fastify's raw mode, Next's node runtime. */
export interface ReconnectHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void
  /** Resolves when every webhook taken so far has been processed (for a graceful shutdown, and tests). */
  drain(): Promise<void>
}
