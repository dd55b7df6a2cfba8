import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
// A partner imports these from the package: 'mx-reconnect', 'mx-reconnect/http', 'mx-reconnect/simulator'.
import { createNexusClient } from '../../src/client/index.js'
import { createReconnectHandler, type ReconnectHandler } from '../../src/http/index.js'
import { createReconnector, type Reconnector } from '../../src/reconnector/index.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js'
import { sqliteStore, type SqliteLifecycleStore } from '../../src/stores/index.js'

/** Options of the example backend. */
export interface PartnerBackendOptions {
  /** Port on 127.0.0.1 (default 0: any free port). */
  readonly port?: number
  /** The SQLite file lifecycles live in. */
  readonly dbPath: string
  /** Simulated time per real time for the simulator and the lifecycles (default 0.1: a 4 s job takes 0.4 s). */
  readonly timeScale?: number
  /** More simulator options (seed, challenge life, webhook misbehaviour…). */
  readonly simulator?: Omit<SimulatorOptions, 'timeScale' | 'webhookUrl'>
}

/** A running example backend. */
export interface PartnerBackend {
  readonly url: string
  readonly sim: Simulator
  readonly reconnector: Reconnector
  /** The demo user's members, as the partner's own database would list them. */
  readonly members: readonly { readonly memberGuid: string; readonly name: string }[]
  close(): Promise<void>
}

/** The one demo user every browser session signs in as. */
export const DEMO_USER = 'demo-user'

const page = (name: string) => readFileSync(new URL(`./public/${name}`, import.meta.url), 'utf8')

/**
 * The example partner backend: a plain `node:http` server with the partner's own session (a cookie), its
 * own `/api/members` route, a static page, and the reconnection routes and MX webhook receiver of
 * `mx-reconnect/http` mounted under `/mx`. MX is the local simulator; lifecycles live in SQLite.
 */
export async function startPartnerBackend(options: PartnerBackendOptions): Promise<PartnerBackend> {
  const timeScale = options.timeScale ?? 0.1
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  // MX: the simulator, posting its webhooks to this backend.
  const sim = await startSimulator({
    timeScale,
    webhookUrl: `${url}/mx/webhooks/mx`,
    challengeTtlMs: 3_600_000, // an hour of simulated time to answer MFA (MX gives 5 minutes)
    ...options.simulator,
  })
  const clock = {
    now: () => sim.now(),
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms * timeScale)
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
      }),
  }
  const client = createNexusClient({
    nexusUrl: sim.nexusUrl,
    ssoUrl: sim.ssoUrl,
    clientId: sim.clientId,
    apiKey: sim.apiKey,
    clock,
  })
  const store: SqliteLifecycleStore = sqliteStore(options.dbPath)
  const reconnector = createReconnector({
    client,
    store,
    clock,
    // The clock runs on the simulator's time, so the policy stays in simulated time (no timeScale here).
    policy: { userResponseMs: 24 * 3_600_000 },
  })

  // The partner's own data: its user's bank connections, broken (DENIED) at MX.
  const members = [
    { name: 'MX Bank checking', password: 'old' },
    { name: 'MX Bank savings', password: 'old' },
  ].map(({ name, password }) => ({
    name,
    memberGuid: sim.createMember({
      userId: DEMO_USER,
      institutionCode: 'mxbank',
      username: 'mxuser',
      password,
      status: 'DENIED',
    }),
  }))

  // The partner's own authentication: a session cookie set by the page.
  const sessions = new Map<string, string>()
  const sessionOf = (req: IncomingMessage) =>
    /(?:^|;\s*)sid=([0-9a-f]{32})/.exec(req.headers.cookie ?? '')?.[1]
  const handler: ReconnectHandler = createReconnectHandler({
    reconnector,
    basePath: '/mx',
    resolveUser: (req) => {
      const sid = sessionOf(req)
      return sid === undefined ? undefined : sessions.get(sid)
    },
    // In production: MX's webhook credentials, e.g. { basicAuth: { username, password } } from the env.
    ...(process.env.MX_WEBHOOK_SECRET ? { webhook: { secret: process.env.MX_WEBHOOK_SECRET } } : {}),
    onError: (error, source) => console.error(`mx-reconnect ${source}:`, error),
  })

  const send = (res: ServerResponse, status: number, type: string, body: string, headers = {}) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers })
    res.end(body)
  }
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res, () => {
      const path = (req.url ?? '/').split('?')[0]
      if (req.method === 'GET' && path === '/') {
        // Sign in as the demo user (a real partner has its own login).
        let sid = sessionOf(req)
        if (sid === undefined || !sessions.has(sid)) {
          sid = randomBytes(16).toString('hex')
          sessions.set(sid, DEMO_USER)
        }
        return send(res, 200, 'text/html; charset=utf-8', page('index.html'), {
          'set-cookie': `sid=${sid}; HttpOnly; SameSite=Strict; Path=/`,
        })
      }
      if (req.method === 'GET' && path === '/app.js') return send(res, 200, 'text/javascript', page('app.js'))
      if (req.method === 'GET' && path === '/api/members') {
        const sid = sessionOf(req)
        if (sid === undefined || !sessions.has(sid)) return send(res, 401, 'application/json', '{}')
        const list = members.map(({ memberGuid, name }) => ({ memberGuid, name }))
        return send(res, 200, 'application/json', JSON.stringify(list))
      }
      send(res, 404, 'text/plain', 'not found')
    })
  })

  return {
    url,
    sim,
    reconnector,
    members,
    close: async () => {
      await handler.drain()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await reconnector.close()
      await store.close()
      await client.close()
      await sim.close()
    },
  }
}
