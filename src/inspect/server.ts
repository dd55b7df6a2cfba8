import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { memberLifecycleMachine } from '../../machines/member-lifecycle/index.js'
import { toSvg } from '../diagram/svg.js'
import { storeFeed, type PageLifecycle } from './feed.js'
import { PAGE_HTML } from './page.js'

// `mx-reconnect inspect`: a page on 127.0.0.1 that draws the lifecycle (the SVG generated from the machine)
// and lists every lifecycle in a SQLite store, each with its state highlighted live over server-sent
// events. Everything is served from here: no CDN, works offline.

/** Options of {@link startInspectServer}. */
export interface InspectServerOptions {
  /** The SQLite store file the reconnector writes. */
  readonly dbPath: string
  /** Port on 127.0.0.1 (default 0: any free port). */
  readonly port?: number
  /** How often the store is read for changes, in ms (default 250). */
  readonly pollMs?: number
}

/** A running inspect page. */
export interface InspectServer {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string
  close(): Promise<void>
}

const send = (res: ServerResponse, status: number, type: string, body: string): void => {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' })
  res.end(body)
}

/**
 * Serves the inspect page for the store at `dbPath`, on 127.0.0.1 only.
 *
 * @example
 * ```ts
 * const page = await startInspectServer({ dbPath: './mx-reconnect.db', port: 4020 })
 * openInBrowser(page.url) // e.g. http://127.0.0.1:4020/
 * ```
 */
export async function startInspectServer(options: InspectServerOptions): Promise<InspectServer> {
  const feed = storeFeed(options.dbPath)
  const svg = await toSvg(memberLifecycleMachine)
  const clients = new Set<ServerResponse>()
  const seen = new Map<string, number>()

  const event = (name: string, data: unknown): string => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`
  const safeList = (): PageLifecycle[] => {
    try {
      return feed.list()
    } catch {
      return [] // a file mid-migration or locked: next poll
    }
  }
  const poll = (): void => {
    if (clients.size === 0) return
    const changed = safeList().filter((l) => seen.get(l.memberGuid) !== l.version)
    for (const l of changed) seen.set(l.memberGuid, l.version)
    if (changed.length === 0) return
    const message = event('lifecycles', changed)
    for (const res of clients) res.write(message)
  }
  const timer = setInterval(poll, options.pollMs ?? 250)
  timer.unref()

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'GET only')
    if (url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', PAGE_HTML)
    if (url.pathname === '/lifecycle.svg') return send(res, 200, 'image/svg+xml', svg)
    if (url.pathname === '/api/lifecycles') {
      return send(res, 200, 'application/json', JSON.stringify(safeList()))
    }
    const history = /^\/api\/lifecycles\/([^/]+)\/history$/.exec(url.pathname)
    if (history) {
      let entries: unknown = []
      try {
        entries = feed.history(decodeURIComponent(history[1]!))
      } catch {
        entries = []
      }
      return send(res, 200, 'application/json', JSON.stringify(entries))
    }
    if (url.pathname === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      })
      // The whole list first, then only what changes.
      const all = safeList()
      for (const l of all) seen.set(l.memberGuid, l.version)
      res.write(event('lifecycles', all))
      clients.add(res)
      req.on('close', () => clients.delete(res))
      return undefined
    }
    return send(res, 404, 'text/plain', 'not found')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      clearInterval(timer)
      for (const res of clients) res.end()
      clients.clear()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      feed.close()
    },
  }
}
