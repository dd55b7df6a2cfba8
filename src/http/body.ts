import type { IncomingMessage } from 'node:http'

/** Default largest request body, in bytes (64 KiB): credentials, answers and MX webhooks are far smaller. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024

/** Past this many bytes beyond the limit, the connection is cut instead of drained. */
const DRAIN_CAP_BYTES = 1024 * 1024

/** A request body, read: its bytes, or why it was refused. */
export type BodyRead =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly status: 413 | 400; readonly message: string }

/**
 * Reads a request body up to `limit` bytes. A larger one is refused with 413: the rest is read and thrown
 * away (so the client can read the answer), up to 1 MiB more, after which the connection is cut. Bytes
 * that are not UTF-8 are refused with 400.
 *
 * @example
 * ```ts
 * const read = await readBody(req, 64 * 1024)
 * if (!read.ok) return reply(read.status, { error: 'body', message: read.message })
 * ```
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    let settled = false
    const finish = (read: BodyRead) => {
      if (settled) return
      settled = true
      resolve(read)
    }
    const tooLarge: BodyRead = { ok: false, status: 413, message: `body over ${limit} bytes` }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        over = true
        chunks.length = 0
        if (size > limit + DRAIN_CAP_BYTES) {
          finish(tooLarge)
          req.destroy()
        }
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (over) return finish(tooLarge)
      try {
        finish({ ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)) })
      } catch {
        finish({ ok: false, status: 400, message: 'body is not UTF-8' })
      }
    })
    req.on('error', () => finish({ ok: false, status: 400, message: 'body could not be read' }))
    req.on('close', () => finish({ ok: false, status: 400, message: 'body could not be read' }))
  })
}

/** Parses JSON without ever putting the text in an error message (it may hold a secret). */
export function parseJson(
  text: string,
): { readonly ok: true; readonly value: unknown } | { readonly ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false }
  }
}
