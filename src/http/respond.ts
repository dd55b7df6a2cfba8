import type { ServerResponse } from 'node:http'

/**
 * The JSON error body every refusal carries: a code, words for a person, and the field when there is one.
 *
 * @example
 * ```ts
 * const res = await fetch(`${base}/reconnections/MBR-1/credentials`, { method: 'POST', headers, body })
 * if (!res.ok) {
 *   const refusal = (await res.json()) as ErrorBody
 *   if (refusal.error === 'invalid') showFieldError(refusal.field, refusal.message)
 * }
 * ```
 */
export interface ErrorBody {
  /** `invalid`, `unauthorized`, `notFound`, `conflict`, `tooLarge`, `unsupportedMediaType`, `methodNotAllowed`, `unavailable`, `internal`. */
  readonly error: string
  readonly message: string
  /** The request field that was refused, as a dotted path (e.g. `credentials.0.value`). */
  readonly field?: string
  /** On a 409: the member's current view, so the caller can show the right step. */
  readonly view?: unknown
}

/**
 * Writes a JSON answer (never cached, never sniffed).
 *
 * @example
 * ```ts
 * sendJson(res, 404, { error: 'notFound', message: 'no such reconnection' })
 * ```
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent) {
    res.end()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  })
  res.end(text)
}

/** An empty answer (e.g. 204 to a webhook). */
export function sendEmpty(res: ServerResponse, status: number): void {
  if (res.headersSent) return void res.end()
  res.writeHead(status, { 'cache-control': 'no-store' })
  res.end()
}

/** A refusal with the error body. */
export function refuse(
  res: ServerResponse,
  status: number,
  error: string,
  message: string,
  extra: { readonly field?: string; readonly view?: unknown; readonly headers?: Record<string, string> } = {},
): void {
  const { headers, ...rest } = extra
  const body: ErrorBody = { error, message, ...rest }
  sendJson(res, status, body, headers)
}
