import { startScriptedServer } from './scripted-server.js'
import type { ScriptedReply, ScriptedRequest, ScriptedServer } from './scripted-server.js'

// A minimal scripted MX (SSO + sessions + a few Nexus reads/writes) for the services' unit tests. It is
// not the simulator: it only knows what the request layer needs, and lets a test override any answer.

/** Distinctive secret values: tests grep errors and logs for them. */
export const SECRETS = {
  apiKey: 'KEY-5ecret-api-key-XYZZY',
  ssoPrefix: 'SSOTOKEN-5ecret',
  sessionPrefix: 'SESSIONTOKEN-5ecret',
} as const

export interface FakeMx {
  readonly server: ScriptedServer
  readonly config: { nexusUrl: string; ssoUrl: string; mdxUrl: string; clientId: string; apiKey: string }
  /** Called before the built-in routes; return a reply to take over the request. */
  override:
    ((request: ScriptedRequest & { userId: string | undefined }) => ScriptedReply | undefined) | undefined
  /** Awaited before a request is handled (e.g. a fast-check scheduler deciding the order of replies). */
  gate: ((request: ScriptedRequest) => Promise<unknown>) | undefined
  /** Real milliseconds to hold a reply (built-in or overridden) before sending it. */
  delay: ((request: ScriptedRequest) => number | undefined) | undefined
  /** Users SSO answers 404 for until MDX creates them. */
  readonly unknownUsers: Set<string>
  /** Every live session answers 401 from now on. */
  expireSessions(): void
  /** Requests whose path starts with `prefix` (e.g. '/nexus/sessions'). */
  count(method: string, prefix: string): number
  /** Session tokens issued, with the user each belongs to. */
  readonly sessions: Map<string, { userId: string; live: boolean }>
  close(): Promise<void>
}

const member = (guid: string, userId: string) => ({
  member: { guid, user_guid: `USR-${userId}`, connection_status: 'CONNECTED', is_being_aggregated: false },
})

/** Starts a fake MX on a scripted server: Nexus at `/nexus`, SSO at `/sso`, MDX at `/mdx`. */
export async function startFakeMx(): Promise<FakeMx> {
  const clientId = 'client-1'
  const apiTokens = new Map<string, string>()
  const sessions = new Map<string, { userId: string; live: boolean }>()
  const unknownUsers = new Set<string>()
  let issued = 0

  const handle = (request: ScriptedRequest): ScriptedReply => {
    const sessionHeader = request.headers['md-session-token']
    const session = typeof sessionHeader === 'string' ? sessions.get(sessionHeader) : undefined
    const ssoMatch = /^\/sso\/([^/]+)\/users\/([^/]+)\/api_token\.json$/.exec(request.path)
    const userId = ssoMatch ? decodeURIComponent(ssoMatch[2]!) : session?.userId
    const override = fake.override?.({ ...request, userId })
    if (override !== undefined) return override

    if (ssoMatch) {
      if (request.headers['md-api-key'] !== SECRETS.apiKey) return { status: 401 }
      if (unknownUsers.has(userId!)) return { status: 404 }
      const token = `${SECRETS.ssoPrefix}-${++issued}`
      apiTokens.set(token, userId!)
      return { body: { api_token: { token } } }
    }
    if (request.method === 'POST' && request.path === `/mdx/${clientId}/users.json`) {
      const id = (JSON.parse(request.body) as { user: { id: string } }).user.id
      unknownUsers.delete(id)
      return { body: { user: { id, guid: `USR-${id}`, is_disabled: false } } }
    }
    if (request.method === 'POST' && request.path === '/nexus/sessions') {
      const apiToken = request.headers['md-api-token']
      const owner = typeof apiToken === 'string' ? apiTokens.get(apiToken) : undefined
      if (owner === undefined)
        return { status: 401, body: { error: { code: 4011, message: 'bad api token' } } }
      apiTokens.delete(apiToken as string) // single use (§1.3)
      const token = `${SECRETS.sessionPrefix}-${owner}-${++issued}`
      sessions.set(token, { userId: owner, live: true })
      return { body: { session: { token } } }
    }
    if (request.path.startsWith('/nexus/')) {
      if (session === undefined || !session.live) {
        return { status: 401, body: { error: { code: 4011, message: 'session expired' } } }
      }
      const guid = /^\/nexus\/members\/([^/?]+)/.exec(request.path)?.[1]
      if (guid !== undefined && request.path.endsWith('/resume')) return { body: {} }
      if (guid !== undefined) return { body: member(decodeURIComponent(guid), session.userId) }
      if (request.path === '/nexus/members')
        return { body: { members: [member('MBR-1', session.userId).member] } }
    }
    return { status: 404 }
  }

  const server = await startScriptedServer(async (request) => {
    await fake.gate?.(request)
    const reply = handle(request)
    const delayMs = fake.delay?.(request)
    return delayMs === undefined || 'destroy' in reply ? reply : { ...reply, delayMs }
  })
  const fake: FakeMx = {
    server,
    config: {
      nexusUrl: `${server.url}/nexus`,
      ssoUrl: `${server.url}/sso`,
      mdxUrl: `${server.url}/mdx`,
      clientId,
      apiKey: SECRETS.apiKey,
    },
    override: undefined,
    delay: undefined,
    gate: undefined,
    unknownUsers,
    sessions,
    expireSessions: () => {
      for (const s of sessions.values()) s.live = false
    },
    count: (method, prefix) =>
      server.requests.filter((r) => r.method === method && r.path.startsWith(prefix)).length,
    close: () => server.close(),
  }
  return fake
}
