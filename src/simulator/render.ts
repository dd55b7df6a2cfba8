import { statusId } from '../domain/index.js'
import type { FieldDef } from './institutions.js'
import type { ChallengeRec } from './scenarios.js'
import { statusMessage } from './scenarios.js'
import { choose, isMessy, renderTime } from './profile.js'
import { GUIDE_FIELD_EXTRA, shapeMember, type RenderFor } from './shapes.js'
import type { CredentialSlot, JobRec, JobStatusName, MemberRec, SimState } from './state.js'
import { unixSeconds } from './time.js'

/** Renders model records as MX's JSON (Nexus reference §3.1, §3.5, §5, §6). */

// Job status ids: 0/1/2/6 documented (§5); the rest follow §10.9's unverified list (status_name is authoritative).
const JOB_STATUS_ID: Readonly<Record<JobStatusName, number>> = {
  INITIATED: 0,
  REQUESTED: 1,
  CHALLENGED: 2,
  COMPLETED: 6,
  PREVENTED: 7,
  DENIED: 8,
  HALTED: 9,
}

const NEEDS_CREDENTIALS = new Set(['DENIED', 'PREVENTED', 'IMPAIRED', 'IMPORTED'])

/** True while the member's current job is open (see `Variants.challengedIsBeingAggregated`). */
export function isBeingAggregated(state: SimState, member: MemberRec): boolean {
  if (member.jobGuid === null) return false
  const job = state.jobs.get(member.jobGuid)
  if (job === undefined || job.phase === 'done') return false
  return job.phase !== 'challenged' || state.options.variants.challengedIsBeingAggregated
}

/**
 * The member object (§3.1). Clean: every field, `+00:00` times. Messy: the member's seeded shape and time
 * style (shapes.ts, profile.ts); `renderFor` picks the write-reply shape where a real example differs.
 */
export function renderMember(
  state: SimState,
  member: MemberRec,
  renderFor: RenderFor = 'read',
): Record<string, unknown> {
  const status = member.status
  const full = {
    guid: member.guid,
    user_guid: member.userGuid,
    institution_guid: member.institution.guid,
    institution_code: member.institution.code,
    external_guid: member.externalGuid,
    name: member.name,
    connection_status: status,
    connection_status_id: status === null ? null : (statusId(status) ?? null),
    connection_status_message: statusMessage(status, member.institution.name),
    is_being_aggregated: isBeingAggregated(state, member),
    aggregated_at: renderTime(state, member.guid, member.aggregatedAt),
    successfully_aggregated_at: renderTime(state, member.guid, member.successfullyAggregatedAt),
    most_recent_job_guid: member.jobGuid,
    background_aggregation_is_disabled: member.backgroundAggregationIsDisabled,
    is_oauth: member.isOauth,
    is_managed_by_user: true,
    is_user_created: true,
    is_manual: false,
    needs_updated_credentials: status !== null && NEEDS_CREDENTIALS.has(status),
    metadata: member.metadata,
    use_cases: member.useCases,
    revision: member.revision,
  }
  return shapeMember(state, full, member.guid, renderFor)
}

/**
 * A credential field (§3.5); `guid` is the member's own guid for member credentials. `owner` (a member or
 * institution guid) picks the messy time style; messy fields carry the guide's extra null keys.
 */
export function renderField(
  state: SimState,
  field: FieldDef,
  guid: string,
  owner: { readonly guid: string; readonly institutionGuid: string },
  at: number,
): Record<string, unknown> {
  const stamp = renderTime(state, owner.guid, at)
  const out: Record<string, unknown> = {
    guid,
    label: field.label,
    field_name: field.fieldName,
    field_type: field.fieldType,
    field_type_name: field.fieldTypeName,
    display_order: field.displayOrder,
    optional: field.optional,
    mfa: false,
    editable: true,
    institution_guid: owner.institutionGuid,
    meta_data: null,
    max_length: null,
    value_mask: null,
    options: [],
    created_at: stamp,
    updated_at: stamp,
  }
  return isMessy(state) ? { ...out, ...GUIDE_FIELD_EXTRA } : out
}

/** A member's credential list. */
export function renderMemberCredentials(state: SimState, member: MemberRec): Record<string, unknown>[] {
  const owner = { guid: member.guid, institutionGuid: member.institution.guid }
  return member.credentials.map((slot: CredentialSlot) =>
    renderField(state, slot.field, slot.guid, owner, member.createdAt),
  )
}

/**
 * A challenge (§3.7, §6). Clean: the type's own keys, options with guids. Messy: options may lack a guid
 * (older APIs give only `{label, value}`, §6), and a non-TEXT challenge may carry every key of MX's
 * challenge schema with nulls (`{field_name, guid, image_data, image_options, label, options, type}`,
 * fixtures README "Cross-check"). TEXT and TOKEN keep the guide's four keys (`mxguide2021__challenges_list__1`).
 */
export function renderChallenge(state: SimState, challenge: ChallengeRec): Record<string, unknown> {
  const messy = isMessy(state)
  const out: Record<string, unknown> = {
    type: challenge.type,
    field_name: challenge.fieldName,
    guid: challenge.guid,
    label: challenge.label,
  }
  const plain = challenge.imageData === undefined && challenge.options === undefined
  if (messy && !plain && choose(state, `${challenge.guid}|schema`, 2) === 0) {
    out.image_data = null
    out.image_options = null
    out.options = null
  }
  if (challenge.imageData !== undefined) out.image_data = challenge.imageData
  if (challenge.options !== undefined) {
    const withGuid = !messy || choose(state, `${challenge.guid}|option-guids`, 2) === 0
    const options = challenge.options.map((o) => {
      const option: Record<string, unknown> = withGuid
        ? { guid: o.guid, label: o.label, value: o.value }
        : { label: o.label, value: o.value }
      if (o.dataUri !== undefined) option.data_uri = o.dataUri
      return option
    })
    if (challenge.type === 'IMAGE_OPTIONS') out.image_options = options
    else out.options = options
  }
  return out
}

/** A job (§5) with ISO timestamps (the member's time style), or Unix seconds for the job webhook (§8.2). */
export function renderJob(state: SimState, job: JobRec, unix = false): Record<string, unknown> {
  const time = (ms: number | null): string | number | null =>
    unix ? (ms === null ? null : unixSeconds(ms)) : renderTime(state, job.memberGuid, ms)
  return {
    guid: job.guid,
    member_guid: job.memberGuid,
    user_guid: job.userGuid,
    institution_guid: job.institutionGuid,
    status: JOB_STATUS_ID[job.status],
    status_name: job.status,
    is_authenticated: job.isAuthenticated,
    error_message: job.errorMessage,
    error_message_code: null,
    created_at: time(job.createdAt),
    started_at: time(job.createdAt),
    finished_at: time(job.finishedAt),
    updated_at: time(job.updatedAt),
  }
}
