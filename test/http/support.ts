import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A node:http server on 127.0.0.1:0 around `listener`. */
export async function listen(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Bearer tokens of the test's partner app, and the MX user each signs in. */
export const TOKENS: Readonly<Record<string, string>> = { 'tok-alice': 'alice', 'tok-bob': 'bob' }

/** The test partner's `resolveUser`: a bearer token from its own session table. */
export function resolveUser(req: IncomingMessage): string | undefined {
  const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')
  return match ? TOKENS[match[1]!] : undefined
}

/** A view or an error body, as the tests read them. */
export interface Json {
  readonly memberGuid?: string
  readonly userId?: string
  readonly state?: string
  readonly status?: string
  readonly prompt?: {
    readonly type: string
    readonly fields?: readonly { readonly guid: string; readonly type: string | null }[]
    readonly challenges?: readonly { readonly guid: string }[]
  }
  readonly outcome?: { readonly outcome: string }
  readonly error?: string
  readonly field?: string
  readonly message?: string
  readonly view?: Json
}

/** What a test request got back. */
export interface Answer {
  readonly status: number
  readonly text: string
  readonly json: Json | undefined
  readonly headers: Headers
}

/** One HTTP call; `token` signs in as that user, `body` is sent as JSON (a string is sent as is). */
export async function call(
  base: string,
  method: string,
  path: string,
  options: {
    readonly token?: string
    readonly body?: unknown
    readonly headers?: Record<string, string>
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  Object.assign(headers, options.headers)
  const response = await fetch(base + path, {
    method,
    headers,
    ...(options.body !== undefined
      ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
      : {}),
  })
  const text = await response.text()
  let json: Json | undefined
  try {
    json = text === '' ? undefined : (JSON.parse(text) as Json)
  } catch {
    json = undefined
  }
  return { status: response.status, text, json, headers: response.headers }
}

/** Re-reads `read` until `ok` holds (state changes are awaited, not timed); fails after `timeoutMs`. */
export async function until<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
