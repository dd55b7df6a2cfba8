import { newGuid } from './random.js'
import type { CredentialSlot, MemberRec, SimState } from './state.js'

/** Member records: creation with per-member credential guids, the external_guid index, OAuth windows. */

/** True when `externalGuid` belongs to a member other than `self` (unique across the client, §3.1). */
export function externalGuidTaken(
  state: SimState,
  externalGuid: string | null | undefined,
  self: string | null,
): boolean {
  if (externalGuid === undefined || externalGuid === null) return false
  const owner = state.externalGuids.get(externalGuid)
  return owner !== undefined && owner !== self
}

/** Sets a member's `external_guid`, keeping the uniqueness index in step. */
export function setExternalGuid(state: SimState, member: MemberRec, externalGuid: string | null): void {
  if (member.externalGuid !== null) state.externalGuids.delete(member.externalGuid)
  member.externalGuid = externalGuid
  if (externalGuid !== null) state.externalGuids.set(externalGuid, member.guid)
}

/** Inputs for {@link newMember}. */
export interface NewMemberInput {
  readonly userGuid: string
  readonly institution: MemberRec['institution']
  /** Institution field guid → value. */
  readonly values: ReadonlyMap<string, string>
  readonly now: number
  readonly externalGuid: string | null
  readonly metadata: string | null
  readonly name: string
  readonly useCases: readonly string[]
  readonly backgroundAggregationIsDisabled: boolean
  readonly status: MemberRec['status']
  readonly guid?: string
}

/** Creates the member record with its own stable credential guids (seeded randomness). */
export function newMember(state: SimState, input: NewMemberInput): MemberRec {
  const guid = input.guid ?? newGuid(state.rng, 'MBR')
  const credentials: CredentialSlot[] = input.institution.fields.map((field) => ({
    guid: newGuid(state.rng, 'CRD'),
    field,
    value: input.values.get(field.guid) ?? null,
  }))
  const member: MemberRec = {
    guid,
    userGuid: input.userGuid,
    institution: input.institution,
    name: input.name,
    externalGuid: null,
    metadata: input.metadata,
    useCases: input.useCases,
    backgroundAggregationIsDisabled: input.backgroundAggregationIsDisabled,
    isOauth: input.institution.isOauth,
    oauthAuthorized: false,
    credentials,
    credentialsFresh: true,
    status: input.status,
    denials: 0,
    jobGuid: null,
    jobGuids: [],
    aggregatedAt: null,
    successfullyAggregatedAt: null,
    revision: 1,
    createdAt: input.now,
    updatedAt: input.now,
  }
  state.members.set(guid, member)
  state.users.get(input.userGuid)?.memberGuids.add(guid)
  setExternalGuid(state, member, input.externalGuid)
  state.counters.membersCreated += 1
  return member
}

/** Issues a one-time OAuth window URI for `member` (§3.3, §3.8). */
export function openOAuthWindow(
  state: SimState,
  member: MemberRec,
  skipAggregation: boolean,
  now: number,
): string {
  const token = newGuid(state.rng, 'OAW')
  state.oauthWindows.set(token, {
    memberGuid: member.guid,
    skipAggregation,
    expiresAt: now + state.options.oauthTtlMs,
  })
  return `${state.options.baseUrl}/oauth/authorize/${token}`
}
