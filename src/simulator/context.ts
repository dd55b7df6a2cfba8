import type { Effect, SimRequest, SimResponse, StepMeta } from './protocol.js'
import { header, notFound } from './respond.js'
import { fail } from './respond.js'
import { advanceMember } from './jobs.js'
import type { MemberRec, SessionRec, SimState } from './state.js'

/** Everything a handler needs for one request. */
export interface Ctx {
  readonly state: SimState
  readonly req: SimRequest
  readonly now: number
  readonly effects: Effect[]
  readonly meta: StepMeta
}

/** A handler: route parameters in, reply out. Handlers validate fully before they change anything. */
export type Handler = (ctx: Ctx, params: readonly string[]) => SimResponse

/** 401 / 4011 (§1.5; HTTP status inferred, §10.8). */
export function sessionExpired(ctx: Ctx): SimResponse {
  return fail(ctx.state, 401, 4011, 'The session has expired or is invalid. Create a new session.')
}

/**
 * Checks `MD-SESSION-TOKEN` and slides its 30-minute window (§1.5). Returns the session or the 4011 reply.
 */
export function authenticate(ctx: Ctx): SessionRec | SimResponse {
  const token = header(ctx.req.headers, 'md-session-token')
  if (token === undefined || token === '') return sessionExpired(ctx)
  const session = ctx.state.sessions.get(token)
  if (session === undefined) return sessionExpired(ctx)
  if (session.expiresAt <= ctx.now) {
    ctx.state.sessions.delete(token)
    ctx.state.counters.sessionsExpired += 1
    return sessionExpired(ctx)
  }
  session.expiresAt = ctx.now + ctx.state.options.sessionTtlMs
  ctx.meta.userGuid = session.userGuid
  return session
}

/**
 * The session's member `guid`, advanced to now. One session sees only its own user's members (§1.4):
 * another user's member is 404, like an unknown one.
 */
export function memberOf(ctx: Ctx, session: SessionRec, guid: string): MemberRec | SimResponse {
  ctx.meta.memberGuid = guid
  const member = ctx.state.members.get(guid)
  if (member === undefined || member.userGuid !== session.userGuid) return notFound(ctx.state, 'Member')
  advanceMember(ctx.state, member, ctx.now, ctx.effects)
  return member
}

/** Narrows a handler helper's result: true when it is a reply to send as is. */
export function isResponse(value: unknown): value is SimResponse {
  return typeof value === 'object' && value !== null && 'contentType' in value && 'status' in value
}
