/**
 * `mx-reconnect/http`: the embedding layer for partner backends (reconnector.md, "Embedding over HTTP";
 * docs/embedding.md).
 */
export { createReconnectHandler } from './handler.js'
export type { HandlerErrorSource, ReconnectHandler, ReconnectHandlerOptions, ResolveUser } from './types.js'
export type { WebhookAuth } from './webhook.js'
export type { ErrorBody } from './respond.js'
