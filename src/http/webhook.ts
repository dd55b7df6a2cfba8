import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { schemas } from '../domain/schemas/index.js'
import { memberGuidSchema } from '../reconnector/args.js'

/**
 * How `POST /webhooks/mx` checks that a delivery comes from MX. Each one given must pass; with neither,
 * any well-formed body is taken (MX webhooks are a hint: the lifecycle confirms everything by reading the
 * member).
 *
 * @example
 * ```ts
 * const webhook: WebhookAuth = { secret: process.env.MX_WEBHOOK_SECRET!, header: 'x-mx-webhook-secret' }
 * const handler = createReconnectHandler({ reconnector, resolveUser, webhook })
 * ```
 */
export interface WebhookAuth {
  /** A shared secret the sender puts in {@link WebhookAuth.header}. */
  readonly secret?: string
  /** The header carrying the secret (default `x-mx-webhook-secret`). */
  readonly header?: string
  /** HTTP basic-auth credentials the sender uses (`Authorization: Basic …`). */
  readonly basicAuth?: { readonly username: string; readonly password: string }
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()

/** Equal in constant time (both sides hashed first, so not even the length leaks). */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected))
}

/**
 * Whether a delivery passes every configured check.
 *
 * @example
 * ```ts
 * if (!webhookAuthorized(req, { secret: process.env.MX_WEBHOOK_SECRET })) return reply(401)
 * ```
 */
export function webhookAuthorized(req: IncomingMessage, auth: WebhookAuth | undefined): boolean {
  if (!auth) return true
  let ok = true
  if (auth.secret !== undefined) {
    const raw = req.headers[(auth.header ?? 'x-mx-webhook-secret').toLowerCase()]
    const given = typeof raw === 'string' ? raw : ''
    ok = sameSecret(given, auth.secret) && ok
  }
  if (auth.basicAuth !== undefined) {
    const header = req.headers.authorization ?? ''
    const match = /^Basic ([A-Za-z0-9+/=]*)$/i.exec(header.trim())
    const given = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : ''
    ok = sameSecret(given, `${auth.basicAuth.username}:${auth.basicAuth.password}`) && ok
  }
  return ok
}

/** A webhook body, checked: the member it concerns, or why it was refused (no value quoted). */
export function checkWebhook(
  body: unknown,
): { readonly ok: true; readonly memberGuid: string } | { readonly ok: false; readonly field: string } {
  const decoded = schemas.webhook.safeParse(body)
  if (!decoded.success) {
    const issue = decoded.error.issues[0]
    return { ok: false, field: issue?.path.map(String).join('.') || '(body)' }
  }
  const member = memberGuidSchema.safeParse(decoded.data.memberGuid)
  return member.success ? { ok: true, memberGuid: member.data } : { ok: false, field: 'member_guid' }
}
