import type { Ctx } from '../context.js'
import { startJob } from '../jobs.js'
import { externalGuidTaken, newMember, openOAuthWindow } from '../member-records.js'
import type { SimResponse } from '../protocol.js'
import { parseCreateMember } from '../requests.js'
import { fail, header, ok, truthy } from '../respond.js'
import { renderMember } from '../render.js'
import type { SessionRec } from '../state.js'
import { memberWebhook } from '../webhook-payloads.js'

const skipWebhook = (ctx: Ctx, flag: boolean | undefined): boolean =>
  flag === true || truthy(header(ctx.req.headers, 'mx-skip-webhook')?.toLowerCase())

/** `POST /members` (§3.3): credential or OAuth member; 400 stale guids; 409/422 duplicates. */
export function createMember(ctx: Ctx, _params: readonly string[], session: SessionRec): SimResponse {
  const { state } = ctx
  if (ctx.req.bodyInvalid === true) return fail(state, 400, 4001, 'Body is not valid JSON')
  const body = parseCreateMember(ctx.req.body)
  if (body === undefined)
    return fail(state, 400, 4001, 'Body must be {"member": {"institution_guid", "credentials"}}')
  const institution =
    body.institution_guid !== undefined
      ? state.institutionsByGuid.get(body.institution_guid)
      : body.institution_code !== undefined
        ? state.institutionsByCode.get(body.institution_code)
        : undefined
  if (institution === undefined) return fail(state, 422, 4220, 'Unknown institution_guid')
  if (body.is_oauth === true && !institution.isOauth) {
    return fail(state, 400, 4002, 'Institution does not support OAuth')
  }
  if (externalGuidTaken(state, body.external_guid, null))
    return fail(state, 422, 4220, 'external_guid is already used')
  const values = new Map<string, string>()
  if (!institution.isOauth) {
    for (const item of body.credentials ?? []) {
      const field = institution.fields.find((f) => f.guid === item.guid)
      // §3.3: credential guids must come from the institution credentials endpoint.
      if (field === undefined) {
        return fail(state, 400, 4002, 'Stale credential guid: read /institutions/{guid}/credentials')
      }
      values.set(field.guid, item.value)
    }
    const missing = institution.fields.find((f) => !f.optional && !values.has(f.guid))
    if (missing !== undefined) return fail(state, 400, 4001, `Missing credential ${missing.fieldName}`)
    // §3.3 / §12: do not create a second member with the same login at the same institution.
    const login = institution.fields.find((f) => f.fieldTypeName === 'LOGIN')
    const loginValue = login === undefined ? undefined : values.get(login.guid)
    if (loginValue !== undefined) {
      const user = state.users.get(session.userGuid)
      for (const guid of user?.memberGuids ?? []) {
        const other = state.members.get(guid)
        if (other?.institution !== institution) continue
        if (other.credentials.some((c) => c.field === login && c.value === loginValue)) {
          const status = state.options.variants.duplicateMemberStatus
          // §12: the 409 body carries the existing member's `guid` (MX's widget reads it, then updates that member).
          return fail(state, status, status === 409 ? 4090 : 4220, 'Member already exists', {
            guid: other.guid,
            member_guid: other.guid,
          })
        }
      }
    }
  } else if ((body.credentials ?? []).length > 0) {
    return fail(state, 400, 4002, 'OAuth members take no credentials')
  }
  const member = newMember(state, {
    userGuid: session.userGuid,
    institution,
    values,
    now: ctx.now,
    externalGuid: body.external_guid ?? null,
    metadata: body.metadata ?? null,
    name: body.name ?? institution.name,
    useCases: body.use_cases ?? ['PFM'],
    backgroundAggregationIsDisabled: body.background_aggregation_is_disabled ?? false,
    status: institution.isOauth ? 'PENDING' : 'CREATED',
  })
  ctx.meta.memberGuid = member.guid
  if (!institution.isOauth && body.skip_aggregation !== true) startJob(state, member, 'create', ctx.now)
  if (!skipWebhook(ctx, body.skip_webhook)) memberWebhook(state, ctx.effects, member, ctx.now, 'CREATED')
  const rendered: Record<string, unknown> = renderMember(state, member, 'write')
  if (institution.isOauth) {
    rendered.oauth_window_uri = openOAuthWindow(state, member, body.skip_aggregation === true, ctx.now)
  }
  return ok({ member: rendered })
}
