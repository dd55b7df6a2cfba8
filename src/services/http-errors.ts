import { errorBody, HttpError } from '../domain/index.js'
import type { Api } from '../domain/index.js'

/** What a request was, for error messages and logs (never its headers or body). */
export interface RequestInfo {
  readonly api: Api
  readonly method: string
  readonly path: string
}

/** The parts of an HTTP answer the error mapping reads. */
export interface ReplyInfo {
  readonly status: number
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly text: string
}

const API_NAME: Record<Api, string> = { nexus: 'Nexus', sso: 'SSO', mdx: 'MDX' }

/** The three HTTP-date forms (RFC 9110 §5.6.7): IMF-fixdate, obsolete RFC 850, and asctime (UTC, no zone). */
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/
const RFC_850 =
  /^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/
const ASCTIME = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/

/** Epoch ms of an HTTP-date, or NaN for anything else (never what Date.parse would guess at: 'in 5' is 2001). */
function httpDate(raw: string): number {
  if (IMF_FIXDATE.test(raw) || RFC_850.test(raw)) return Date.parse(raw)
  if (ASCTIME.test(raw)) return Date.parse(`${raw} GMT`)
  return Number.NaN
}

/**
 * Parses a `Retry-After` header (RFC 9110 §10.2.3): delta-seconds or an HTTP-date. Returns milliseconds
 * from `nowMs`, never negative, or undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | readonly string[] | undefined,
  nowMs: number,
): number | undefined {
  const raw = (typeof value === 'string' ? value : value?.[0])?.trim()
  if (raw === undefined || raw === '') return undefined
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000)
  const at = httpDate(raw)
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs)
}

/**
 * MX's numeric code when the body carries one. The envelope is unsettled (Nexus reference §7.1, §10.8),
 * so this is informational only: nothing branches on it (architecture.md rule 4).
 */
function mxCode(text: string): number | undefined {
  if (text.length === 0 || text.length > 4096 || text.trimStart()[0] !== '{') return undefined
  try {
    const parsed = errorBody.safeParse(JSON.parse(text))
    const code = parsed.success ? Number(parsed.data.error.code) : Number.NaN
    return Number.isInteger(code) ? code : undefined
  } catch {
    return undefined
  }
}

/**
 * The one function that maps a non-2xx HTTP answer to an error (architecture.md rule 4). The message
 * names the API, method, path, status and MX code, and never the body's text: MX may echo what was sent.
 */
export function toHttpError(request: RequestInfo, reply: ReplyInfo, nowMs: number): HttpError {
  const code = mxCode(reply.text)
  const retryAfterMs = parseRetryAfter(reply.headers['retry-after'], nowMs)
  const codeText = code === undefined ? '' : ` (MX code ${code})`
  return new HttpError({
    api: request.api,
    method: request.method,
    path: request.path,
    status: reply.status,
    code,
    retryAfterMs,
    message: `${API_NAME[request.api]} ${request.method} ${request.path} answered HTTP ${reply.status}${codeText}`,
  })
}

/** True for the answer Nexus gives an expired or unknown session: any 401 (Nexus reference §1.5, §12). */
export function isSessionRejected(error: {
  readonly _tag: string
  readonly api?: Api
  readonly status?: number
}) {
  return error._tag === 'HttpError' && error.api === 'nexus' && error.status === 401
}
