import type { Ctx } from '../context.js'
import { advanceMember, hasOpenJob, resumeJob, startJob } from '../jobs.js'
import type { SimResponse } from '../protocol.js'
import { newGuid } from '../random.js'
import { parseLegacyAnswer } from '../requests.js'
import { fail, notFound, ok, queryParam, truthy } from '../respond.js'
import { renderChallenge, renderJob } from '../render.js'
import type { JobRec, MemberRec, SessionRec } from '../state.js'
import { renderTime } from '../profile.js'
import { checkAnswers } from './mfa.js'
import { openOAuthWindow } from '../member-records.js'

/** Jobs (§5), the legacy job-centred MFA path (§3.7 "Legacy path") and OAuth windows (§3.8). */

function jobOf(
  ctx: Ctx,
  session: SessionRec,
  guid: string,
): { job: JobRec; member: MemberRec } | SimResponse {
  ctx.meta.jobGuid = guid
  const job = ctx.state.jobs.get(guid)
  if (job === undefined || job.userGuid !== session.userGuid) return notFound(ctx.state, 'Job')
  const member = ctx.state.members.get(job.memberGuid)
  if (member === undefined) return notFound(ctx.state, 'Job')
  ctx.meta.memberGuid = member.guid
  advanceMember(ctx.state, member, ctx.now, ctx.effects)
  return { job, member }
}

/** `GET /jobs/{guid}` → `{"job": {...}}`. */
export function readJob(ctx: Ctx, params: readonly string[], session: SessionRec): SimResponse {
  const found = jobOf(ctx, session, params[0] ?? '')
  return 'status' in found ? found : ok({ job: renderJob(ctx.state, found.job) })
}

/** `GET /jobs/{guid}/mfa_credentials` → the round as `{"credentials": [...]}` (legacy, §3.7). */
export function jobMfaCredentials(ctx: Ctx, params: readonly string[], session: SessionRec): SimResponse {
  const found = jobOf(ctx, session, params[0] ?? '')
  if ('status' in found) return found
  const round = found.job.phase === 'challenged' ? (found.job.challenges ?? []) : []
  return ok({ credentials: round.map((c) => renderChallenge(ctx.state, c)) })
}

/** `GET|PUT /jobs/{guid}/resume` (deprecated): resumes with the answers posted to member credentials. */
export function resumeJobLegacy(ctx: Ctx, params: readonly string[], session: SessionRec): SimResponse {
  const found = jobOf(ctx, session, params[0] ?? '')
  if ('status' in found) return found
  const { job, member } = found
  if (job.phase !== 'challenged' || member.jobGuid !== job.guid)
    return fail(ctx.state, 405, 4050, 'Job is not CHALLENGED')
  const answers = [...(job.legacyAnswers ?? new Map<string, string>())].map(([guid, value]) => ({
    guid,
    value,
  }))
  const checked = checkAnswers(ctx, job, answers)
  if (!(checked instanceof Map)) return checked
  resumeJob(ctx.state, member, job, checked, ctx.now)
  return ok({ job: renderJob(ctx.state, job) })
}

/** Legacy `POST /members/{guid}/credentials`: stores one answer for the current round (§3.7). */
export function createMemberCredential(ctx: Ctx, member: MemberRec): SimResponse {
  const job = member.jobGuid === null ? undefined : ctx.state.jobs.get(member.jobGuid)
  if (ctx.req.bodyInvalid === true) return fail(ctx.state, 400, 4001, 'Body is not valid JSON')
  const answer = parseLegacyAnswer(ctx.req.body)
  if (answer === undefined) return fail(ctx.state, 400, 4001, 'Body must be {"credential_guid", "value"}')
  if (job === undefined || job.phase !== 'challenged')
    return fail(ctx.state, 400, 4002, 'Member is not CHALLENGED')
  if (!(job.challenges ?? []).some((c) => c.guid === answer.guid)) {
    return fail(ctx.state, 400, 4002, 'credential_guid is not part of the current round')
  }
  ctx.meta.jobGuid = job.guid
  job.legacyAnswers ??= new Map()
  job.legacyAnswers.set(answer.guid, answer.value)
  const stamp = renderTime(ctx.state, member.guid, ctx.now)
  return ok({
    member_credential: {
      guid: newGuid(ctx.state.rng, 'MCR'),
      credential_guid: answer.guid,
      member_guid: member.guid,
      metadata: null,
      created_at: stamp,
      updated_at: stamp,
    },
  })
}

/** `GET /members/{guid}/oauth_window_uri` (§3.8): a fresh one-time URI; 400 for non-OAuth members. */
export function oauthWindowUri(ctx: Ctx, member: MemberRec): SimResponse {
  if (!member.isOauth) return fail(ctx.state, 400, 4002, 'Member cannot use OAuth')
  const skip = truthy(queryParam(ctx.req.query, 'skip_aggregation'))
  return ok({
    member: { guid: member.guid, oauth_window_uri: openOAuthWindow(ctx.state, member, skip, ctx.now) },
  })
}

const page = (title: string, text: string): string =>
  `<!doctype html><html><head><title>${title}</title></head><body><p>${text}</p></body></html>\n`

/**
 * `GET /oauth/authorize/{token}`: what the user's browser opens. Visiting it completes OAuth at the
 * institution; unless the window was opened with `skip_aggregation`, aggregation starts (§3.3).
 */
export function completeOAuth(ctx: Ctx, params: readonly string[]): SimResponse {
  const { state } = ctx
  const token = params[0] ?? ''
  const window = state.oauthWindows.get(token)
  if (window === undefined || window.expiresAt <= ctx.now) {
    state.oauthWindows.delete(token)
    return {
      status: 404,
      raw: page('Expired', 'This sign-in link has expired or was already used.'),
      contentType: 'text/html',
    }
  }
  state.oauthWindows.delete(token)
  const member = state.members.get(window.memberGuid)
  if (member === undefined) {
    return { status: 404, raw: page('Gone', 'This connection no longer exists.'), contentType: 'text/html' }
  }
  ctx.meta.memberGuid = member.guid
  ctx.meta.userGuid = member.userGuid
  advanceMember(state, member, ctx.now, ctx.effects)
  member.oauthAuthorized = true
  if (!window.skipAggregation && !hasOpenJob(state, member)) startJob(state, member, 'oauth', ctx.now)
  else if (window.skipAggregation && member.status === 'PENDING') {
    member.status = 'CREATED'
    member.revision += 1
  }
  return {
    status: 200,
    raw: page('Connected', `You are signed in to ${member.institution.name}. You may close this window.`),
    contentType: 'text/html',
  }
}
