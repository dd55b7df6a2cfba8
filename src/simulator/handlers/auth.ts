import { createSessionRequest, createUserRequest } from '../../domain/index.js'
import { authenticate, isResponse, type Ctx } from '../context.js'
import { advanceMember, hasOpenJob, nothingToAggregate, startJob } from '../jobs.js'
import type { SimResponse } from '../protocol.js'
import { isMessy } from '../profile.js'
import { newToken } from '../random.js'
import { GUIDE_USER_EXTRA } from '../shapes.js'
import type { SessionRec } from '../state.js'
import { fail, header, MDX_TYPE, notFound, ok, SSO_JSON_TYPE, SSO_XML_TYPE } from '../respond.js'
import { ensureUser } from '../users.js'

/** SSO api tokens, MDX user creation and Nexus sessions (Nexus reference §1.2–§1.5). */

/** `GET {sso}/{client_id}/users/{user_id}/api_token.json|.xml` → single-use 10-minute token (§1.3). */
export function readApiToken(ctx: Ctx, params: readonly string[]): SimResponse {
  const [clientId = '', userId = '', format = 'json'] = params
  const { state } = ctx
  const type = format === 'xml' ? SSO_XML_TYPE : SSO_JSON_TYPE
  // §1.3: wrong or other-environment key → 401; client not enabled or unknown user → 404.
  if (header(ctx.req.headers, 'md-api-key') !== state.options.apiKey) {
    return fail(state, 401, 4010, 'Invalid MD-API-KEY', undefined, SSO_JSON_TYPE)
  }
  if (clientId !== state.options.clientId) return notFound(state, 'Client', SSO_JSON_TYPE)
  const user = state.usersById.get(userId)
  if (user === undefined) return notFound(state, 'User', SSO_JSON_TYPE)
  ctx.meta.userGuid = user.guid
  const token = newToken(state.rng)
  state.apiTokens.set(token, { userGuid: user.guid, expiresAt: ctx.now + state.options.apiTokenTtlMs })
  state.counters.apiTokensIssued += 1
  if (format === 'xml') {
    return {
      status: 200,
      raw: `<?xml version="1.0" encoding="UTF-8"?>\n<api_token><token>${token}</token></api_token>\n`,
      contentType: type,
    }
  }
  return ok({ api_token: { token } }, type)
}

/** `POST {mdx}/{client_id}/users(.json)` with `MD-API-KEY` → the user (§1.2). */
export function createUser(ctx: Ctx, params: readonly string[]): SimResponse {
  const [clientId = ''] = params
  const { state } = ctx
  if (header(ctx.req.headers, 'md-api-key') !== state.options.apiKey) {
    return fail(state, 401, 4010, 'Invalid MD-API-KEY', undefined, MDX_TYPE)
  }
  if (clientId !== state.options.clientId) return notFound(state, 'Client', MDX_TYPE)
  const parsed = createUserRequest.safeParse(ctx.req.body)
  if (!parsed.success)
    return fail(state, 400, 4001, 'Body must be {"user": {"id": "..."}}', undefined, MDX_TYPE)
  const existing = state.usersById.get(parsed.data.user.id)
  if (existing !== undefined) {
    ctx.meta.userGuid = existing.guid
    return fail(state, 409, 4090, 'A user with this id already exists', { guid: existing.guid }, MDX_TYPE)
  }
  const { user } = ensureUser(state, parsed.data.user.id, parsed.data.user.email ?? null, ctx.now)
  ctx.meta.userGuid = user.guid
  const rendered = { id: user.id, guid: user.guid, email: user.email, is_disabled: false }
  // Messy: the guide's profile keys too, null (`mxguide2021__mdx_user_create__2`).
  return ok({ user: isMessy(state) ? { ...rendered, ...GUIDE_USER_EXTRA } : rendered }, MDX_TYPE)
}

/**
 * `POST /sessions` with `MD-API-TOKEN` (§1.4). The api token is single-use (§1.3). Without
 * `skip_aggregation: true` every member of the user starts aggregating, as MX does.
 */
export function createSession(ctx: Ctx): SimResponse {
  const { state } = ctx
  const apiToken = header(ctx.req.headers, 'md-api-token')
  const record = apiToken === undefined ? undefined : state.apiTokens.get(apiToken)
  if (apiToken === undefined || record === undefined || record.expiresAt <= ctx.now) {
    if (apiToken !== undefined) state.apiTokens.delete(apiToken)
    return fail(state, 401, 4010, 'MD-API-TOKEN is missing, expired or already used')
  }
  if (ctx.req.bodyInvalid === true) return fail(state, 400, 4001, 'Body is not valid JSON')
  const parsed = createSessionRequest.safeParse(ctx.req.body ?? {})
  if (!parsed.success)
    return fail(state, 400, 4001, 'Body must be {"session": {"skip_aggregation": true|false}}')
  state.apiTokens.delete(apiToken)
  const user = state.users.get(record.userGuid)
  if (user === undefined) return fail(state, 401, 4010, 'MD-API-TOKEN is missing, expired or already used')
  ctx.meta.userGuid = user.guid
  const token = newToken(state.rng)
  state.sessions.set(token, { userGuid: user.guid, expiresAt: ctx.now + state.options.sessionTtlMs })
  state.counters.sessionsOpened += 1
  if (!parsed.data.skipAggregation) {
    for (const guid of user.memberGuids) {
      const member = state.members.get(guid)
      if (member === undefined) continue
      advanceMember(state, member, ctx.now, ctx.effects)
      if (!hasOpenJob(state, member) && !nothingToAggregate(member) && member.useCases.includes('PFM'))
        startJob(state, member, 'session', ctx.now)
    }
  }
  return ok({ session: { token } })
}

/** Runs `handler` behind session authentication. */
export function withSession(
  handler: (ctx: Ctx, params: readonly string[], session: SessionRec) => SimResponse,
): (ctx: Ctx, params: readonly string[]) => SimResponse {
  return (ctx, params) => {
    const session = authenticate(ctx)
    return isResponse(session) ? session : handler(ctx, params, session)
  }
}
