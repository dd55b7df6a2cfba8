import type { SimResponse } from './protocol.js'
import type { SimState } from './state.js'

/** Response helpers: media types (Nexus reference §1.1) and the error envelope (§7.1, a named variant). */

export const NEXUS_TYPE = 'application/vnd.mx.nexus.v1+json'
export const SSO_JSON_TYPE = 'application/vnd.moneydesktop.sso.v3+json'
export const SSO_XML_TYPE = 'application/vnd.moneydesktop.sso.v3+xml'
export const MDX_TYPE = 'application/vnd.moneydesktop.mdx.v5+json'

/** A JSON reply. */
export function ok(body: unknown, contentType = NEXUS_TYPE): SimResponse {
  return { status: 200, body, contentType }
}

/**
 * An error reply. MX codes embed the HTTP status in their first three digits (§1.5, §7.2): 4001 missing
 * parameters, 4002 invalid values, 4011 session expired, 4220 unprocessable; the rest follow the pattern.
 */
export function fail(
  state: SimState,
  status: number,
  code: number,
  message: string,
  extra?: Readonly<Record<string, unknown>>,
  contentType = NEXUS_TYPE,
): SimResponse {
  const inner = { code, message, ...extra }
  switch (state.options.variants.errorEnvelope) {
    case 'rooted':
      return { status, body: { error: inner }, contentType }
    case 'flat':
      return { status, body: inner, contentType }
    case 'none':
      return { status, raw: '', contentType }
  }
}

/** 404 with MX's code pattern. */
export function notFound(state: SimState, what: string, contentType = NEXUS_TYPE): SimResponse {
  return fail(state, 404, 4040, `${what} not found`, undefined, contentType)
}

/** A header value as one string (first of several). */
export function header(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  name: string,
): string | undefined {
  const value = headers[name]
  return typeof value === 'string' ? value : value?.[0]
}

/** True for a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A query parameter (the query string is parsed only when a route needs it). */
export function queryParam(query: string, name: string): string | undefined {
  if (query === '') return undefined
  return new URLSearchParams(query).get(name) ?? undefined
}

/** `true` / `1` query or header flags. */
export function truthy(value: string | undefined): boolean {
  return value === 'true' || value === '1'
}
