// Attribute names and the helpers that keep values safe to export (docs/telemetry.md). OpenTelemetry's
// semantic conventions where one exists (`http.request.method`, `url.template`, `http.response.status_code`,
// `http.request.resend_count`, `error.type`, `server.address`); `mx.*` for this library's own.

/** Attribute keys. No key ever carries a header, a body, a token, a key, a credential value or an answer. */
export const ATTR = {
  api: 'mx.api',
  memberGuid: 'mx.member.guid',
  connectionStatus: 'mx.member.connection_status',
  state: 'mx.lifecycle.state',
  nextState: 'mx.lifecycle.next_state',
  finalState: 'mx.lifecycle.final_state',
  run: 'mx.lifecycle.run',
  status: 'mx.lifecycle.status',
  outcome: 'mx.lifecycle.outcome',
  retries: 'mx.lifecycle.retries',
  credentialAttempts: 'mx.lifecycle.attempts.credentials',
  mfaAttempts: 'mx.lifecycle.attempts.mfa',
  callOutcome: 'mx.outcome',
  method: 'http.request.method',
  route: 'url.template',
  httpStatus: 'http.response.status_code',
  resendCount: 'http.request.resend_count',
  errorType: 'error.type',
  serverAddress: 'server.address',
} as const

/** Path segments kept as they are; every other segment becomes a placeholder. */
const LITERALS = new Set([
  'members',
  'jobs',
  'sessions',
  'users',
  'credentials',
  'challenges',
  'resume',
  'aggregate',
  'oauth_window_uri',
  'api_token.json',
  'users.json',
])

/** The placeholder for the segment after a literal one. */
const ID_AFTER: Readonly<Record<string, string>> = {
  members: '{member_guid}',
  jobs: '{job_guid}',
  users: '{user_id}',
}

/**
 * The route template of a request path (`/members/MBR-1/challenges` → `/members/{member_guid}/challenges`).
 * Allow-list: a segment survives only when it is one of the API's fixed words, so ids, the client id and
 * anything unexpected (an OAuth window token) never reach an attribute; the query string is dropped.
 */
export function routeTemplate(api: string, path: string): string {
  const query = path.indexOf('?')
  const parts = (query < 0 ? path : path.slice(0, query)).split('/').slice(1)
  const out: string[] = []
  for (let i = 0; i < parts.length; i++) {
    const previous = out[i - 1]
    const id = previous === undefined ? undefined : ID_AFTER[previous]
    if (i === 0 && api !== 'nexus') out.push('{client_id}')
    else if (id !== undefined) out.push(id)
    else out.push(LITERALS.has(parts[i]!) ? parts[i]! : '{id}')
  }
  return `/${out.join('/')}`
}

/** The member guid of a Nexus `/members/{guid}…` path, decoded; undefined for any other path. */
export function memberGuidOf(api: string, path: string): string | undefined {
  if (api !== 'nexus' || !path.startsWith('/members/')) return undefined
  const segment = path.slice('/members/'.length).split(/[/?]/)[0]
  if (segment === undefined || segment === '') return undefined
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

/** A state value as one dotted key: `'routing'`, `{ credentials: 'awaiting' }` → `'credentials.awaiting'`. */
export function stateKey(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value !== 'object' || value === null) return String(value)
  return Object.entries(value as Record<string, unknown>)
    .map(([key, inner]) => {
      const rest = stateKey(inner)
      return typeof inner === 'object' && inner !== null && Object.keys(inner).length === 0
        ? key
        : `${key}.${rest}`
    })
    .join(',')
}

const hosts = new Map<string, string>()

/** The host name of an origin (`server.address`), cached: origins are few. */
export function hostOf(origin: string): string {
  let host = hosts.get(origin)
  if (host === undefined) {
    try {
      host = new URL(origin).hostname
    } catch {
      host = ''
    }
    if (hosts.size < 64) hosts.set(origin, host)
  }
  return host
}
