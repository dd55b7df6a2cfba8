import { isKnownStatus, statusId, type KnownStatus } from '../domain/index.js'
import { newMember } from './member-records.js'
import { passwordField, loginField } from './institutions.js'
import {
  advanceMember,
  currentJob,
  hasOpenJob,
  oauthAuthorizedFor,
  seedChallenge,
  seedFinishedJob,
  startJob,
} from './jobs.js'
import type { Effect } from './protocol.js'
import { isBeingAggregated, renderMember } from './render.js'
import { scenarioName } from './scenarios.js'
import type { MemberRec, SimState } from './state.js'
import { isoOrNull } from './time.js'
import { ensureUser } from './users.js'

/**
 * Setting up scenarios without going through HTTP (simulator.md: `createUser`, `createMember`, and the
 * `/_sim/` control routes). These are model operations too: deterministic, no I/O.
 */

/**
 * Thrown for a seed request that cannot be honoured (unknown institution or status, bad guid).
 *
 * @example
 * ```ts
 * expect(() => sim.createMember({ userId: 'u', institutionCode: 'nope' })).toThrow(SeedError)
 * ```
 */
export class SeedError extends Error {
  override readonly name = 'SeedError'
}

/**
 * What `createMember` accepts.
 *
 * @example
 * ```ts
 * const input: CreateMemberInput = { userId: 'u-1', status: 'CHALLENGED', password: 'challenge' }
 * const guid = sim.createMember(input)
 * ```
 */
export interface CreateMemberInput {
  /** The partner user id; created if it does not exist yet. */
  readonly userId: string
  /** Default `mxbank`. */
  readonly institutionCode?: string
  /** Default `mxuser` (the outcome table's username). */
  readonly username?: string
  /** Selects the outcome of the next aggregation (simulator.md table). Default `password` (connects). */
  readonly password?: string
  /** Extra credential values by `field_name`, e.g. `{ PIN: '1234' }`. */
  readonly credentials?: Readonly<Record<string, string>>
  /**
   * Any §4 status, or null (§4: a member without credentials, e.g. a manual one: seeded with no credential
   * values and no job). Default `CONNECTED` (`PENDING` for OAuth institutions).
   */
  readonly status?: KnownStatus | null
  /** Start an aggregation right away (the member keeps its status while it runs). Default false. */
  readonly aggregating?: boolean
  /** A fixed member guid (must be unused); default a seeded `MBR-…`. */
  readonly guid?: string
  readonly externalGuid?: string | null
  readonly metadata?: string | null
  readonly name?: string
  /** Default `['PFM']`; without PFM, aggregate answers 403 (§3.6). */
  readonly useCases?: readonly string[]
}

const HOUR = 3_600_000

/** Creates a member in `status` (simulator.md "Seeded members"); returns it. */
export function seedMember(state: SimState, input: CreateMemberInput, now: number): MemberRec {
  const institution = state.institutionsByCode.get(input.institutionCode ?? 'mxbank')
  if (institution === undefined)
    throw new SeedError(`unknown institution code: ${input.institutionCode ?? ''}`)
  const status: KnownStatus | null =
    input.status === undefined ? (institution.isOauth ? 'PENDING' : 'CONNECTED') : input.status
  if (status !== null && !isKnownStatus(status)) throw new SeedError(`unknown status: ${String(status)}`)
  if (typeof input.userId !== 'string' || input.userId === '') throw new SeedError('userId is required')
  if (input.guid !== undefined && (input.guid === '' || state.members.has(input.guid))) {
    throw new SeedError('guid is empty or already used')
  }
  if (input.externalGuid != null && state.externalGuids.has(input.externalGuid)) {
    throw new SeedError('externalGuid is already used')
  }
  const { user } = ensureUser(state, input.userId, null, now)
  const values = new Map<string, string>()
  const login = loginField(institution)
  const password = passwordField(institution)
  for (const field of institution.fields) {
    const given = input.credentials?.[field.fieldName]
    if (given !== undefined) values.set(field.guid, given)
    else if (field === login) values.set(field.guid, input.username ?? 'mxuser')
    else if (field === password) values.set(field.guid, input.password ?? 'password')
    else if (!field.optional) values.set(field.guid, '1234')
  }
  // IMPORTED: MX holds no credentials; IMPAIRED: a required one is missing (§4); null: no credentials.
  if (status === 'IMPORTED' || status === null) values.clear()
  if (status === 'IMPAIRED' && password !== undefined) values.delete(password.guid)
  const member = newMember(state, {
    userGuid: user.guid,
    institution,
    values,
    now,
    externalGuid: input.externalGuid ?? null,
    metadata: input.metadata ?? null,
    name: input.name ?? institution.name,
    useCases: input.useCases ?? ['PFM'],
    backgroundAggregationIsDisabled: false,
    status,
    ...(input.guid === undefined ? {} : { guid: input.guid }),
  })
  member.credentialsFresh = false
  member.oauthAuthorized = institution.isOauth && status !== null && oauthAuthorizedFor(status)
  member.denials = status === 'PREVENTED' ? state.options.maxDenials : status === 'DENIED' ? 1 : 0
  if (status === null) return member
  if (status === 'CREATED' || status === 'PENDING') {
    if (input.aggregating === true && status === 'CREATED') startJob(state, member, 'aggregate', now)
    return member
  }
  // A seeded member has a history: it once connected (a week ago) and last ran an hour ago.
  member.successfullyAggregatedAt = status === 'CONNECTED' ? now - HOUR : now - 7 * 24 * HOUR
  member.aggregatedAt = now - HOUR
  if (status === 'CHALLENGED') {
    seedChallenge(state, member, now)
    return member
  }
  seedFinishedJob(state, member, status, now - HOUR)
  if (input.aggregating === true) startJob(state, member, 'aggregate', now)
  return member
}

/**
 * The full model state of a member, for assertions (`sim.member(guid)`); no credential values.
 *
 * @example
 * ```ts
 * const state: MemberState = sim.member(guid)
 * if (state.challenge !== null) console.log(`MFA round ${state.challenge.round} of ${state.challenge.rounds}`)
 * ```
 */
export interface MemberState extends Record<string, unknown> {
  readonly guid: string
  readonly userGuid: string
  readonly userId: string | null
  readonly institutionCode: string
  readonly status: KnownStatus | null
  readonly statusId: number | null
  readonly isBeingAggregated: boolean
  readonly jobGuid: string | null
  readonly jobStatus: string | null
  /** The job's phase: running, challenged, delayed or done. */
  readonly jobPhase: string | null
  readonly jobCount: number
  readonly consecutiveDenials: number
  /** The scenario the stored password selects (its name, not the password: `connected` for others). */
  readonly scenario: string
  readonly credentialGuids: readonly { guid: string; fieldName: string; hasValue: boolean }[]
  /** The current MFA round, when CHALLENGED. */
  readonly challenge: {
    readonly guids: readonly string[]
    readonly types: readonly string[]
    readonly round: number
    readonly rounds: number
    readonly expiresAt: number
  } | null
  readonly revision: number
  readonly isOauth: boolean
  readonly oauthAuthorized: boolean
  readonly aggregatedAt: string | null
  readonly successfullyAggregatedAt: string | null
  /** The member exactly as `GET /members/{guid}` renders it. */
  readonly member: Record<string, unknown>
}

/** The member's state at `now` (advancing it first); undefined for an unknown guid. */
export function memberState(
  state: SimState,
  guid: string,
  now: number,
  effects: Effect[],
): MemberState | undefined {
  const member = state.members.get(guid)
  if (member === undefined) return undefined
  advanceMember(state, member, now, effects)
  const job = currentJob(state, member)
  const password = passwordField(member.institution)
  const rendered = renderMember(state, member)
  return {
    ...rendered,
    guid: member.guid,
    userGuid: member.userGuid,
    userId: state.users.get(member.userGuid)?.id ?? null,
    institutionCode: member.institution.code,
    status: member.status,
    statusId: member.status === null ? null : (statusId(member.status) ?? null),
    isBeingAggregated: isBeingAggregated(state, member),
    jobGuid: member.jobGuid,
    jobStatus: job?.status ?? null,
    jobPhase: job?.phase ?? null,
    jobCount: member.jobGuids.length,
    consecutiveDenials: member.denials,
    scenario: member.isOauth
      ? 'oauth'
      : scenarioName(member.credentials.find((c) => c.field === password)?.value ?? null),
    credentialGuids: member.credentials.map((c) => ({
      guid: c.guid,
      fieldName: c.field.fieldName,
      hasValue: c.value !== null && c.value !== '',
    })),
    challenge:
      job !== undefined && job.phase === 'challenged'
        ? {
            guids: (job.challenges ?? []).map((c) => c.guid),
            types: (job.challenges ?? []).map((c) => c.type),
            round: job.round + 1,
            rounds: job.plan.rounds.length,
            expiresAt: job.phaseEnd,
          }
        : null,
    revision: member.revision,
    isOauth: member.isOauth,
    oauthAuthorized: member.oauthAuthorized,
    aggregatedAt: isoOrNull(member.aggregatedAt),
    successfullyAggregatedAt: isoOrNull(member.successfullyAggregatedAt),
    member: rendered,
  }
}

/** Makes every live session answer 4011 from now on (simulator.md `expireSessions`); returns how many. */
export function expireSessions(state: SimState): number {
  const count = state.sessions.size
  state.sessions.clear()
  state.counters.sessionsExpired += count
  return count
}

/** Drops expired api tokens, sessions and OAuth windows (housekeeping; O(n), run rarely). */
export function purgeExpired(state: SimState, now: number): void {
  for (const [token, record] of state.apiTokens) if (record.expiresAt <= now) state.apiTokens.delete(token)
  for (const [token, record] of state.sessions) if (record.expiresAt <= now) state.sessions.delete(token)
  for (const [token, record] of state.oauthWindows)
    if (record.expiresAt <= now) state.oauthWindows.delete(token)
}

/** True when the member has an open job (exposed for control routes). */
export function isAggregating(state: SimState, guid: string): boolean {
  const member = state.members.get(guid)
  return member !== undefined && hasOpenJob(state, member)
}
