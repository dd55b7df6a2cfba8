/**
 * Redaction for the request log (simulator.md "Request log"; architecture.md house rule 8): credential
 * values, MFA answers, tokens and keys become `[redacted]`; field names, guids and flags such as
 * `skip_aggregation` / `skip_webhook` stay, so tests can assert what a client sent.
 */

export const REDACTED = '[redacted]'

// `value` carries credential values and MFA answers in every request body MX defines (§3.3, §3.4, §3.7).
const SECRET_KEYS = new Set([
  'value',
  'values',
  'answer',
  'answers',
  'token',
  'password',
  'username',
  'pin',
  'secret',
  'api_key',
  'apikey',
  'api_token',
  'session_token',
  'access_token',
  'refresh_token',
])

/** Headers kept in the log; the secret ones keep only the fact they were sent. */
const LOGGED_HEADERS = [
  'md-api-key',
  'md-api-token',
  'md-session-token',
  'mx-skip-webhook',
  'accept',
  'content-type',
  // Who sent it (workers name themselves: docs/scale-out.md).
  'user-agent',
]
const SECRET_HEADERS = new Set(['md-api-key', 'md-api-token', 'md-session-token'])

/** A deep copy of a parsed JSON body with every secret replaced. */
export function redactBody(body: unknown, depth = 0): unknown {
  if (depth > 32) return REDACTED
  if (Array.isArray(body)) return body.map((item) => redactBody(item, depth + 1))
  if (typeof body !== 'object' || body === null) return body
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(body)) {
    out[key] = SECRET_KEYS.has(key.toLowerCase()) ? REDACTED : redactBody(value, depth + 1)
  }
  return out
}

/** The logged subset of request headers. */
export function redactHeaders(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
): Record<string, string> | undefined {
  let out: Record<string, string> | undefined
  for (const name of LOGGED_HEADERS) {
    const raw = headers[name]
    if (raw === undefined) continue
    out ??= {}
    out[name] = SECRET_HEADERS.has(name) ? REDACTED : typeof raw === 'string' ? raw : raw.join(', ')
  }
  return out
}

/** The path with secrets in it (OAuth window tokens) replaced. */
export function redactPath(path: string): string {
  return path.startsWith('/oauth/authorize/') ? `/oauth/authorize/${REDACTED}` : path
}

/** The query string with secret-named parameters replaced (others, such as `skip_aggregation`, kept). */
export function redactQuery(query: string): string {
  if (query === '') return ''
  const params = new URLSearchParams(query)
  for (const key of [...params.keys()]) if (SECRET_KEYS.has(key.toLowerCase())) params.set(key, REDACTED)
  return params.toString()
}
