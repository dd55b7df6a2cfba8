import type { Ctx } from '../context.js'
import { memberOf, isResponse } from '../context.js'
import { advanceMember, currentJob, hasOpenJob, nothingToAggregate, resumeJob, startJob } from '../jobs.js'
import type { SimResponse } from '../protocol.js'
import { externalGuidTaken, setExternalGuid } from '../member-records.js'
import { parseUpdateMember } from '../requests.js'
import { fail, header, NEXUS_TYPE, notFound, ok, queryParam, truthy } from '../respond.js'
import { renderField, renderMember, renderMemberCredentials } from '../render.js'
import type { CredentialSlot, MemberRec, SessionRec } from '../state.js'
import { memberWebhook } from '../webhook-payloads.js'
import { choose, isMessy } from '../profile.js'
import { checkAnswers } from './mfa.js'

/** Members: list, read, update, delete, aggregate, credentials (Nexus reference §3; create is in create-member.ts). */

type SessionHandler = (ctx: Ctx, params: readonly string[], session: SessionRec) => SimResponse
type MemberHandler = (ctx: Ctx, member: MemberRec, params: readonly string[]) => SimResponse

/** Resolves `params[0]` to the session's member (404 otherwise) before calling `handler`. */
export function onMember(handler: MemberHandler): SessionHandler {
  return (ctx, params, session) => {
    const member = memberOf(ctx, session, params[0] ?? '')
    return isResponse(member) ? member : handler(ctx, member, params)
  }
}

const skipWebhook = (ctx: Ctx, flag: boolean | undefined): boolean =>
  flag === true || truthy(header(ctx.req.headers, 'mx-skip-webhook')?.toLowerCase())

function userMembers(ctx: Ctx, session: SessionRec): MemberRec[] {
  const user = ctx.state.users.get(session.userGuid)
  const out: MemberRec[] = []
  for (const guid of user?.memberGuids ?? []) {
    const member = ctx.state.members.get(guid)
    if (member === undefined) continue
    advanceMember(ctx.state, member, ctx.now, ctx.effects)
    out.push(member)
  }
  return out
}

/** `GET /members` → `{"members": [...]}` (§3.2, §12), paginated only when asked (§7.3). */
export const listMembers: SessionHandler = (ctx, _params, session) => {
  const members = userMembers(ctx, session)
  const rendered = members.map((m) => renderMember(ctx.state, m))
  if (ctx.state.options.variants.listMembersShape === 'member') {
    return ok(rendered.length > 0 ? { member: rendered[0] } : { members: [] })
  }
  const perPageRaw = queryParam(ctx.req.query, 'records_per_page')
  if (perPageRaw === undefined) return ok({ members: rendered })
  const perPage = Math.min(1000, Math.max(10, Number.parseInt(perPageRaw, 10) || 25))
  const page = Math.max(1, Number.parseInt(queryParam(ctx.req.query, 'page') ?? '1', 10) || 1)
  return ok({
    members: rendered.slice((page - 1) * perPage, page * perPage),
    pagination: {
      current_page: page,
      per_page: perPage,
      total_entries: rendered.length,
      total_pages: Math.max(1, Math.ceil(rendered.length / perPage)),
    },
  })
}

/** `GET /members/{guid}`. */
export const readMember: MemberHandler = (ctx, member) => ok({ member: renderMember(ctx.state, member) })

function aggregateOne(ctx: Ctx, member: MemberRec): SimResponse | undefined {
  // §3.6: use_cases without PFM → 403.
  if (!member.useCases.includes('PFM'))
    return fail(ctx.state, 403, 4030, 'Member use_cases do not include PFM')
  // §3.6 simulator default: a job already running → 200 with the current member, no second job.
  if (!hasOpenJob(ctx.state, member) && !nothingToAggregate(member)) {
    startJob(ctx.state, member, 'aggregate', ctx.now)
  }
  return undefined
}

/** `GET /members/{guid}/aggregate` and `/refresh` (§3.6). */
export const aggregateMember: MemberHandler = (ctx, member) => {
  const refused = aggregateOne(ctx, member)
  if (refused !== undefined) return refused
  if (member.jobGuid !== null) ctx.meta.jobGuid = member.jobGuid
  const variant = ctx.state.options.variants.aggregateResponse
  // `mixed` (messy): MX's job-start endpoints answer only `{member: {job_guid, status}}` (§12), some of the time.
  const short =
    variant === 'jobStart' ||
    (variant === 'mixed' && choose(ctx.state, `${member.guid}|${member.jobGuid ?? ''}|aggregate`, 2) === 0)
  if (short) return ok({ member: { job_guid: member.jobGuid, status: member.status } })
  return ok({ member: renderMember(ctx.state, member, 'write') })
}

/** `GET /members/aggregate` and `/members/refresh`: every member of the user (§3.6). */
export const aggregateAll: SessionHandler = (ctx, _params, session) => {
  const members = userMembers(ctx, session)
  for (const member of members) aggregateOne(ctx, member)
  return ok({ members: members.map((m) => renderMember(ctx.state, m)) })
}

/** `GET /members/{guid}/credentials` and the singular `/member/{guid}/credentials` (§3.5, §10.1). */
export const memberCredentials: MemberHandler = (ctx, member) =>
  ok({ credentials: renderMemberCredentials(ctx.state, member) })

/** `GET /institutions/{guid or code}/credentials` (§2). */
export function institutionCredentials(ctx: Ctx, params: readonly string[]): SimResponse {
  const key = params[0] ?? ''
  const institution = ctx.state.institutionsByGuid.get(key) ?? ctx.state.institutionsByCode.get(key)
  if (institution === undefined) return notFound(ctx.state, 'Institution')
  return ok({
    credentials: institution.fields.map((f) =>
      renderField(
        ctx.state,
        f,
        f.guid,
        { guid: institution.guid, institutionGuid: institution.guid },
        Date.UTC(2016, 8, 21),
      ),
    ),
  })
}

/** `GET /institutions` and `GET /institutions/{guid}`: the simulator's catalogue. */
export function institutions(ctx: Ctx, params: readonly string[]): SimResponse {
  const render = (i: (typeof ctx.state.options.institutions)[number]) => ({
    guid: i.guid,
    code: i.code,
    name: i.name,
    supports_oauth: i.isOauth,
  })
  const key = params[0]
  if (key === undefined) return ok({ institutions: ctx.state.options.institutions.map(render) })
  const institution = ctx.state.institutionsByGuid.get(key) ?? ctx.state.institutionsByCode.get(key)
  return institution === undefined
    ? notFound(ctx.state, 'Institution')
    : ok({ institution: render(institution) })
}

/**
 * `PUT /members/{guid}` (§3.4): new credentials start a job unless `skip_aggregation` or one is running;
 * non-credential updates start nothing. While CHALLENGED, answers sent here (in `challenges`, or as
 * credentials naming the challenge guids) answer the round: MX's deprecated MFA path.
 */
export const updateMember: MemberHandler = (ctx, member) => {
  const { state } = ctx
  if (ctx.req.bodyInvalid === true) return fail(state, 400, 4001, 'Body is not valid JSON')
  const body = parseUpdateMember(ctx.req.body)
  if (body === undefined) return fail(state, 400, 4001, 'Body must be {"member": {"credentials": [...]}}')
  const job = currentJob(state, member)
  const round = job !== undefined && job.phase === 'challenged' ? (job.challenges ?? []) : []
  const namesChallenge = (body.credentials ?? []).some((c) => round.some((r) => r.guid === c.guid))
  if (body.challenges !== undefined || namesChallenge) {
    if (job === undefined || round.length === 0) return fail(state, 400, 4002, 'Member is not CHALLENGED')
    // MX's guide answers MFA here with `skip_aggregation: true` and shows 200 UPDATED (p.24-25,
    // `mxguide2021__member_update__1` / `__2`); §3.4's "never combine" is advice to clients, not a refusal.
    const checked = checkAnswers(ctx, job, body.challenges ?? body.credentials ?? [])
    if (!(checked instanceof Map)) return checked
    ctx.meta.jobGuid = job.guid
    resumeJob(state, member, job, checked, ctx.now, 'UPDATED')
    return ok({ member: renderMember(state, member, 'write') })
  }
  const credentials = body.credentials
  const slots: [CredentialSlot, string][] = []
  if (credentials !== undefined) {
    if (credentials.length === 0) return fail(state, 400, 4001, 'credentials must not be empty')
    for (const item of credentials) {
      // The member's own guids (`/members/{guid}/credentials`) or the institution's (`CRD-…` from
      // `/institutions/{guid}/credentials`), which MX's own update example sends (§3.4).
      const slot = member.credentials.find((c) => c.guid === item.guid || c.field.guid === item.guid)
      // §3.4 / §3.5: values must be for the member's current credential guids.
      if (slot === undefined) {
        return fail(state, 400, 4002, 'Stale credential guid: read /members/{guid}/credentials')
      }
      if (slots.some(([s]) => s === slot)) return fail(state, 400, 4002, 'A credential appears twice')
      slots.push([slot, item.value])
    }
  }
  if (externalGuidTaken(state, body.external_guid, member.guid)) {
    return fail(state, 422, 4220, 'external_guid is already used')
  }
  // Validated: from here on the update is applied.
  if (body.metadata !== undefined) member.metadata = body.metadata
  if (body.external_guid !== undefined) setExternalGuid(state, member, body.external_guid)
  if (body.background_aggregation_is_disabled !== undefined) {
    member.backgroundAggregationIsDisabled = body.background_aggregation_is_disabled
  }
  member.revision += 1
  member.updatedAt = Math.max(member.updatedAt, ctx.now)
  if (slots.length > 0) {
    for (const [slot, value] of slots) slot.value = value
    member.credentialsFresh = true
    if (member.isOauth === false && body.skip_aggregation !== true && !hasOpenJob(state, member)) {
      startJob(state, member, 'update', ctx.now)
    }
  }
  if (member.jobGuid !== null) ctx.meta.jobGuid = member.jobGuid
  if (!skipWebhook(ctx, body.skip_webhook)) memberWebhook(state, ctx.effects, member, ctx.now, 'UPDATED')
  return ok({ member: renderMember(state, member, 'write') })
}

/** `DELETE /members/{guid}` → 200 `{}` (§3.2). */
export const deleteMember: MemberHandler = (ctx, member) => {
  const { state } = ctx
  for (const guid of member.jobGuids) state.jobs.delete(guid)
  if (member.externalGuid !== null) state.externalGuids.delete(member.externalGuid)
  state.users.get(member.userGuid)?.memberGuids.delete(member.guid)
  state.members.delete(member.guid)
  if (!skipWebhook(ctx, undefined)) memberWebhook(state, ctx.effects, member, ctx.now, 'DELETED')
  // §7.1: most deletes answer 200 `{}`; a shipping client's MX answered 200 with no body (`backbase__member_delete__1`).
  return isMessy(state) ? { status: 200, raw: '', contentType: NEXUS_TYPE } : ok({})
}
