import { createServer } from 'node:http'
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** A request as the scripted server saw it. */
export interface ScriptedRequest {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** What to answer: a status with a JSON (object) or raw (string) body, optionally late; or a dropped socket. */
export type ScriptedReply =
  | {
      readonly status?: number
      readonly headers?: Readonly<Record<string, string>>
      readonly body?: unknown
      /** Wait this long (real ms) before answering. */
      readonly delayMs?: number
    }
  | { readonly destroy: true }

export type ScriptedHandler = (request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>

/** A tiny real HTTP server on 127.0.0.1 port 0 whose answers a test scripts. */
export interface ScriptedServer {
  readonly url: string
  readonly port: number
  /** Every request received, in arrival order. */
  readonly requests: ScriptedRequest[]
  /** TCP connections accepted so far (to observe keep-alive reuse). */
  connections(): number
  setHandler(handler: ScriptedHandler): void
  close(): Promise<void>
}

function write(res: ServerResponse, reply: ScriptedReply) {
  if ('destroy' in reply) {
    res.socket?.destroy()
    return
  }
  const body =
    reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)
  res.writeHead(reply.status ?? 200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...reply.headers,
  })
  res.end(body)
}

/** Starts a scripted server. */
export async function startScriptedServer(initial: ScriptedHandler): Promise<ScriptedServer> {
  let handler = initial
  let accepted = 0
  const sockets = new Set<Socket>()
  const requests: ScriptedRequest[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request: ScriptedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(request)
      Promise.resolve()
        .then(() => handler(request))
        .then(async (reply) => {
          if (!('destroy' in reply) && reply.delayMs !== undefined) {
            await new Promise((resolve) => setTimeout(resolve, reply.delayMs))
          }
          if (!res.destroyed) write(res, reply)
        })
        .catch(() => write(res, { status: 500, body: { error: { message: 'scripted handler threw' } } }))
    })
  })
  server.on('connection', (socket: Socket) => {
    accepted++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => accepted,
    setHandler: (next) => {
      handler = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
