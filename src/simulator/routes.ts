import type { Ctx, Handler } from './context.js'
import { createSession, createUser, readApiToken, withSession } from './handlers/auth.js'
import {
  completeOAuth,
  createMemberCredential,
  jobMfaCredentials,
  oauthWindowUri,
  readJob,
  resumeJobLegacy,
} from './handlers/jobs.js'
import { createMember } from './handlers/create-member.js'
import {
  aggregateAll,
  aggregateMember,
  deleteMember,
  institutionCredentials,
  institutions,
  listMembers,
  memberCredentials,
  onMember,
  readMember,
  updateMember,
} from './handlers/members.js'
import { listChallenges, resume } from './handlers/mfa.js'
import type { SimApi, SimResponse } from './protocol.js'
import { fail, MDX_TYPE, SSO_JSON_TYPE } from './respond.js'

/**
 * The route table (Nexus reference §2, §1.2, §1.3, §3.8). Nexus routes sit at the root, SSO under `/sso`,
 * MDX Real Time under `/mdx`. Older clients append `.json` (§1.1), so a trailing `.json` is ignored
 * everywhere; SSO also serves `api_token.xml`.
 */

interface Route {
  readonly api: SimApi
  /** Segments; `:x` captures one segment. */
  readonly pattern: readonly string[]
  readonly methods: Readonly<Record<string, Handler>>
}

const session = withSession
const member = (handler: Parameters<typeof onMember>[0]): Handler => withSession(onMember(handler))

const ROUTES: readonly Route[] = [
  {
    api: 'sso',
    pattern: ['sso', ':client', 'users', ':user', 'api_token'],
    methods: { GET: (c, p) => readApiToken(c, [...p, 'json']) },
  },
  {
    api: 'sso',
    pattern: ['sso', ':client', 'users', ':user', 'api_token.xml'],
    methods: { GET: (c, p) => readApiToken(c, [...p, 'xml']) },
  },
  { api: 'mdx', pattern: ['mdx', ':client', 'users'], methods: { POST: createUser } },
  { api: 'oauth', pattern: ['oauth', 'authorize', ':token'], methods: { GET: completeOAuth } },
  { api: 'nexus', pattern: ['sessions'], methods: { POST: createSession } },
  { api: 'nexus', pattern: ['members'], methods: { GET: session(listMembers), POST: session(createMember) } },
  { api: 'nexus', pattern: ['members', 'aggregate'], methods: { GET: session(aggregateAll) } },
  { api: 'nexus', pattern: ['members', 'refresh'], methods: { GET: session(aggregateAll) } },
  {
    api: 'nexus',
    pattern: ['members', ':guid'],
    methods: { GET: member(readMember), PUT: member(updateMember), DELETE: member(deleteMember) },
  },
  { api: 'nexus', pattern: ['members', ':guid', 'aggregate'], methods: { GET: member(aggregateMember) } },
  { api: 'nexus', pattern: ['members', ':guid', 'refresh'], methods: { GET: member(aggregateMember) } },
  {
    api: 'nexus',
    pattern: ['members', ':guid', 'credentials'],
    methods: { GET: member(memberCredentials), POST: member(createMemberCredential) },
  },
  { api: 'nexus', pattern: ['member', ':guid', 'credentials'], methods: { GET: member(memberCredentials) } },
  { api: 'nexus', pattern: ['members', ':guid', 'challenges'], methods: { GET: member(listChallenges) } },
  { api: 'nexus', pattern: ['members', ':guid', 'resume'], methods: { PUT: member(resume) } },
  {
    api: 'nexus',
    pattern: ['members', ':guid', 'oauth_window_uri'],
    methods: { GET: member(oauthWindowUri) },
  },
  { api: 'nexus', pattern: ['institutions'], methods: { GET: session(institutions) } },
  { api: 'nexus', pattern: ['institutions', ':guid'], methods: { GET: session(institutions) } },
  {
    api: 'nexus',
    pattern: ['institutions', ':guid', 'credentials'],
    methods: { GET: session(institutionCredentials) },
  },
  { api: 'nexus', pattern: ['jobs', ':guid'], methods: { GET: session(readJob) } },
  {
    api: 'nexus',
    pattern: ['jobs', ':guid', 'mfa_credentials'],
    methods: { GET: session(jobMfaCredentials) },
  },
  {
    api: 'nexus',
    pattern: ['jobs', ':guid', 'resume'],
    methods: { GET: session(resumeJobLegacy), PUT: session(resumeJobLegacy) },
  },
]

const BY_FIRST = new Map<string, Route[]>()
for (const route of ROUTES) {
  const first = route.pattern[0] ?? ''
  BY_FIRST.set(first, [...(BY_FIRST.get(first) ?? []), route])
}

/** Splits a path into segments, dropping empty ones and a trailing `.json`. */
export function segments(path: string): string[] {
  const parts = path.split('/').filter((s) => s !== '')
  const last = parts.length - 1
  if (last >= 0 && parts[last]?.endsWith('.json')) parts[last] = parts[last].slice(0, -5)
  return parts
}

/** Which API a path belongs to (for the request log and faults). */
export function apiOf(path: string): SimApi {
  if (path.startsWith('/sso/') || path === '/sso') return 'sso'
  if (path.startsWith('/mdx/') || path === '/mdx') return 'mdx'
  if (path.startsWith('/oauth/')) return 'oauth'
  return 'nexus'
}

function match(pattern: readonly string[], parts: readonly string[]): string[] | undefined {
  if (pattern.length !== parts.length) return undefined
  const params: string[] = []
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i] ?? ''
    const got = parts[i] ?? ''
    if (want.startsWith(':')) {
      if (got === '') return undefined
      params.push(decodeSegment(got))
    } else if (want !== got) return undefined
  }
  return params
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** Dispatches a request to its handler; unknown paths 404, known paths with another method 405. */
export function route(ctx: Ctx): SimResponse {
  const parts = segments(ctx.req.path)
  const candidates = BY_FIRST.get(parts[0] ?? '') ?? []
  const method = ctx.req.method.toUpperCase()
  for (const candidate of candidates) {
    const params = match(candidate.pattern, parts)
    if (params === undefined) continue
    ctx.meta.api = candidate.api
    const handler = candidate.methods[method]
    if (handler !== undefined) return handler(ctx, params)
    const type = candidate.api === 'sso' ? SSO_JSON_TYPE : candidate.api === 'mdx' ? MDX_TYPE : undefined
    const refused = fail(ctx.state, 405, 4050, `${method} is not allowed here`, undefined, type)
    return { ...refused, headers: { allow: Object.keys(candidate.methods).join(', ') } }
  }
  ctx.meta.api = apiOf(ctx.req.path)
  return fail(ctx.state, 404, 4040, 'No such route')
}
