import type { Ctx } from '../context.js'
import { currentJob, resumeJob } from '../jobs.js'
import type { SimResponse } from '../protocol.js'
import { parseResume } from '../requests.js'
import { choose } from '../profile.js'
import { fail, NEXUS_TYPE, ok } from '../respond.js'
import { renderChallenge, renderMember } from '../render.js'
import type { JobRec, MemberRec } from '../state.js'

/** MFA: list challenges and resume (Nexus reference §3.7, §6). */

/**
 * Checks a round's answers: every guid must be one of the current round's challenges, none twice, and
 * every challenge answered (§3.7: "400 means the answers were unusable"). Returns guid → answer.
 */
export function checkAnswers(
  ctx: Ctx,
  job: JobRec,
  answers: readonly { guid: string; value: string }[],
): Map<string, string> | SimResponse {
  const round = job.challenges ?? []
  const byGuid = new Map<string, string>()
  for (const answer of answers) {
    if (!round.some((c) => c.guid === answer.guid)) {
      return fail(ctx.state, 400, 4002, 'An answer names a challenge that is not part of the current round')
    }
    if (byGuid.has(answer.guid)) return fail(ctx.state, 400, 4002, 'A challenge is answered twice')
    byGuid.set(answer.guid, answer.value)
  }
  if (round.length === 0 || byGuid.size !== round.length) {
    return fail(ctx.state, 400, 4001, 'Every challenge of the current round needs an answer')
  }
  return byGuid
}

/** `GET /members/{guid}/challenges`: the current round, or an empty list when not CHALLENGED. */
export function listChallenges(ctx: Ctx, member: MemberRec): SimResponse {
  const job = currentJob(ctx.state, member)
  const round = job !== undefined && job.phase === 'challenged' ? (job.challenges ?? []) : []
  return ok({ [ctx.state.options.variants.challengesKey]: round.map((c) => renderChallenge(ctx.state, c)) })
}

const RESUME_REPLIES = ['member', 'empty', 'accepted'] as const

/** The member reply after a resume (a named variant, §10.4; `mixed` picks one per reply, seeded). */
export function resumedReply(ctx: Ctx, member: MemberRec): SimResponse {
  const variant = ctx.state.options.variants.resumeResponse
  const reply =
    variant === 'mixed'
      ? (RESUME_REPLIES[choose(ctx.state, `${member.jobGuid ?? ''}|${member.revision}|resume`, 3)] ??
        'member')
      : variant
  if (reply === 'member') return ok({ member: renderMember(ctx.state, member, 'write') })
  if (reply === 'accepted') return { status: 202, raw: '', contentType: NEXUS_TYPE }
  return ok({})
}

/** `PUT /members/{guid}/resume`: 405 unless CHALLENGED, 400 on unusable answers, else RESUMED (§3.7). */
export function resume(ctx: Ctx, member: MemberRec): SimResponse {
  const job = currentJob(ctx.state, member)
  if (job === undefined || job.phase !== 'challenged') {
    return fail(ctx.state, 405, 4050, 'Member is not CHALLENGED')
  }
  ctx.meta.jobGuid = job.guid
  if (ctx.req.bodyInvalid === true) return fail(ctx.state, 400, 4001, 'Body is not valid JSON')
  const answers = parseResume(ctx.req.body)
  if (answers === undefined) return fail(ctx.state, 400, 4001, 'Body must carry challenges: [{guid, value}]')
  const checked = checkAnswers(ctx, job, answers)
  if (!(checked instanceof Map)) return checked
  resumeJob(ctx.state, member, job, checked, ctx.now)
  return resumedReply(ctx, member)
}
