import type { IncomingMessage, ServerResponse } from 'node:http'
import type { z } from 'zod'
import { ReconnectorError } from '../reconnector/errors.js'
import { userIdSchema } from '../reconnector/args.js'
import { DEFAULT_MAX_BODY_BYTES, parseJson, readBody } from './body.js'
import { refuse, sendEmpty, sendJson } from './respond.js'
import { matchRoute, type Route } from './routes.js'
import { check, credentialsBody, mfaBody, startBody } from './schemas.js'
import type { HandlerErrorSource, ReconnectHandler, ReconnectHandlerOptions } from './types.js'
import { checkWebhook, webhookAuthorized } from './webhook.js'

/**
 * The embedding layer (reconnector.md, "Embedding over HTTP"): one framework-neutral `node:http` handler
 * serving the reconnection routes and the MX webhook receiver over a reconnector.
 *
 * - `POST /reconnections` `{ "memberGuid" }` → the view (state, status, prompt, outcome)
 * - `GET /reconnections/{memberGuid}` → the view; the prompt carries credential fields or challenges
 * - `POST /reconnections/{memberGuid}/credentials` `{ "credentials": [{ "guid", "value" }] }` → 202 + view
 * - `POST /reconnections/{memberGuid}/mfa` `{ "answers": [{ "guid", "value" }] }` → 202 + view
 * - `POST /reconnections/{memberGuid}/cancel` → the view
 * - `POST /webhooks/mx` → 204 at once, processed after
 *
 * `resolveUser(req)` is the partner's authentication (nothing: 401); a caller sees and acts only on its own
 * user's members (any other: 404, like an unknown one). User routes take `Content-Type: application/json`
 * only (415 otherwise), so a cross-site form cannot post to them. Bad bodies get 400 naming the field, a
 * submit in the wrong state 409 with the current view, bodies over `maxBodyBytes` 413. No value a caller
 * sends is ever echoed back or passed on. A path it does not serve goes to `next()`, else 404.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createReconnectHandler } from 'mx-reconnect/http'
 * const handler = createReconnectHandler({
 *   reconnector,
 *   resolveUser: (req) => sessions.get(req.headers.cookie ?? '')?.mxUserGuid,
 *   webhook: { secret: process.env.MX_WEBHOOK_SECRET },
 * })
 * createServer((req, res) => handler(req, res)).listen(8080)
 * // Express: app.use('/mx', handler)
 * ```
 */
export function createReconnectHandler(options: ReconnectHandlerOptions): ReconnectHandler {
  const { reconnector, resolveUser } = options
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const report = (error: unknown, source: HandlerErrorSource) => {
    try {
      options.onError?.(error, source)
    } catch {
      // A failing error hook must not turn into an unhandled rejection.
    }
  }
  const pending = new Set<Promise<void>>()

  /** Reads and checks a JSON body; answers the refusal itself and returns undefined. */
  async function body<T>(req: IncomingMessage, res: ServerResponse, schema?: z.ZodType<T>) {
    const read = await readBody(req, limit)
    if (!read.ok) {
      refuse(res, read.status, read.status === 413 ? 'tooLarge' : 'invalid', read.message, {
        headers: read.status === 413 ? { connection: 'close' } : {},
      })
      return undefined
    }
    if (!schema) return { data: undefined as T }
    const json = read.text.trim() === '' ? { ok: true as const, value: undefined } : parseJson(read.text)
    if (!json.ok) {
      refuse(res, 400, 'invalid', 'body is not valid JSON', { field: '(body)' })
      return undefined
    }
    const checked = check(schema, json.value)
    if (!checked.ok) {
      const { field, message } = checked.problem
      refuse(res, 400, 'invalid', `${field} ${message}`, { field })
      return undefined
    }
    return { data: checked.data }
  }

  /** The caller's user id, or undefined after answering 401. */
  async function user(req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
    let resolved: unknown
    try {
      resolved = await resolveUser(req)
    } catch (error) {
      report(error, 'resolveUser')
      refuse(res, 500, 'internal', 'could not tell who is calling')
      return undefined
    }
    const userId = userIdSchema.safeParse(resolved)
    if (userId.success) return userId.data
    refuse(res, 401, 'unauthorized', 'sign in first', { headers: { 'www-authenticate': 'Bearer' } })
    return undefined
  }

  const notFound = (res: ServerResponse) => refuse(res, 404, 'notFound', 'no such reconnection')

  /** Maps a refusal from the reconnector to an answer; anything else is a 500 the caller learns nothing from. */
  function failed(res: ServerResponse, error: unknown) {
    if (error instanceof ReconnectorError) {
      if (error.reason === 'notFound') return notFound(res)
      if (error.reason === 'invalid') return refuse(res, 400, 'invalid', 'the request is not valid')
      if (error.reason === 'closed' || error.reason === 'leaseLost') {
        report(error, 'route')
        return refuse(res, 503, 'unavailable', 'try again shortly', { headers: { 'retry-after': '1' } })
      }
    }
    report(error, 'route')
    refuse(res, 500, 'internal', 'something went wrong')
  }

  async function serve(route: Route, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (route.kind === 'webhook') return webhook(req, res)
    if (route.kind === 'unknownMember') {
      // A guid no member can have: as unknown as any other, once the caller is known.
      if ((await user(req, res)) !== undefined) notFound(res)
      return
    }
    if (req.method === 'POST' && !isJson(req)) {
      return refuse(res, 415, 'unsupportedMediaType', 'send Content-Type: application/json')
    }
    const userId = await user(req, res)
    if (userId === undefined) return
    try {
      switch (route.kind) {
        case 'start': {
          const got = await body(req, res, startBody)
          if (!got) return
          return sendJson(res, 200, await reconnector.start({ userId, memberGuid: got.data.memberGuid }))
        }
        case 'view': {
          const view = await reconnector.view({ userId, memberGuid: route.memberGuid })
          return view ? sendJson(res, 200, view) : notFound(res)
        }
        case 'credentials':
        case 'mfa': {
          const values =
            route.kind === 'credentials'
              ? (await body(req, res, credentialsBody))?.data.credentials
              : (await body(req, res, mfaBody))?.data.answers
          if (!values) return
          const ref = { userId, memberGuid: route.memberGuid }
          const result =
            route.kind === 'credentials'
              ? await reconnector.submitCredentials(ref, values)
              : await reconnector.submitMfa(ref, values)
          const view = await reconnector.view(ref)
          if (result.accepted) return sendJson(res, 202, view)
          if (result.validation) {
            const field = route.kind === 'credentials' ? 'credentials' : 'answers'
            const guids = result.validation.guids.length ? ` (${result.validation.guids.join(', ')})` : ''
            return refuse(res, 400, 'invalid', `${field}: ${result.validation.reason}${guids}`, {
              field,
              view,
            })
          }
          return refuse(res, 409, 'conflict', `not waiting for ${route.kind} now`, { view })
        }
        case 'cancel': {
          if (!(await body(req, res))) return
          const ref = { userId, memberGuid: route.memberGuid }
          const before = await reconnector.view(ref)
          if (!before) return notFound(res)
          if (before.status === 'done')
            return refuse(res, 409, 'conflict', 'already finished', { view: before })
          return sendJson(res, 200, await reconnector.cancel(ref))
        }
      }
    } catch (error) {
      failed(res, error)
    }
  }

  async function webhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!webhookAuthorized(req, options.webhook)) {
      const basic = options.webhook?.basicAuth !== undefined
      return refuse(res, 401, 'unauthorized', 'webhook credentials refused', {
        headers: basic ? { 'www-authenticate': 'Basic realm="mx-webhooks"' } : {},
      })
    }
    const read = await readBody(req, limit)
    if (!read.ok) return refuse(res, read.status, read.status === 413 ? 'tooLarge' : 'invalid', read.message)
    const json = parseJson(read.text)
    if (!json.ok) return refuse(res, 400, 'invalid', 'body is not valid JSON', { field: '(body)' })
    const checked = checkWebhook(json.value)
    if (!checked.ok)
      return refuse(res, 400, 'invalid', `${checked.field}: not an MX webhook body`, { field: checked.field })
    // Answer first (MX wants a fast 2xx), then route it. A duplicate or a late delivery is harmless: the
    // lifecycle takes a webhook as a hint and reads the member itself.
    sendEmpty(res, 204)
    const done = reconnector
      .handleWebhook(json.value)
      .then(
        () => undefined,
        (error: unknown) => report(error, 'webhook'),
      )
      .finally(() => pending.delete(done))
    pending.add(done)
  }

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => {
    const route = matchRoute(req.method ?? '', req.url ?? '', options.basePath)
    if (route === undefined) {
      if (next) return next()
      return refuse(res, 404, 'notFound', 'no such route')
    }
    if (route.kind === 'methodNotAllowed') {
      return refuse(res, 405, 'methodNotAllowed', `use ${route.allow}`, { headers: { allow: route.allow } })
    }
    serve(route, req, res).catch((error: unknown) => failed(res, error))
  }) as ReconnectHandler
  handler.drain = async () => {
    while (pending.size > 0) await Promise.all([...pending])
  }
  return handler
}

/** `application/json`, with or without parameters. */
function isJson(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  return type === 'application/json'
}
