import { Context, Effect, Layer, Redacted } from 'effect'
import { z } from 'zod'
import {
  aggregateBody,
  challengesBody,
  credentialsBody,
  jobBody,
  memberBody,
  membersBody,
  oauthWindowBody,
} from '../domain/index.js'
import type { Challenge, CredentialField, Job, JobStart, Member, NexusError } from '../domain/index.js'
import { checked } from './arguments.js'
import { NexusConfig } from './config.js'
import { decodeBody } from './decode.js'
import { exchange } from './exchange.js'
import type { RequestInfo } from './http-errors.js'
import { NEXUS_MEDIA_TYPE } from './media-types.js'
import type { RequestKind } from './retry.js'
import { Sessions } from './sessions.js'
import { TrafficStats } from './stats.js'
import { Transport } from './transport.js'
import type { HttpRequest } from './transport.js'

/** A call in one user's session (Nexus reference §1: one session = one user). */
export interface UserArgs {
  readonly userId: string
}
/** A call about one member. */
export interface MemberArgs extends UserArgs {
  readonly memberGuid: string
}
/** A `{ guid, value }` pair whose value is a secret (credential value or MFA answer). */
export interface SecretPair {
  readonly guid: string
  readonly value: string
}

/** The Nexus calls a reconnection needs, decoded with the domain schemas. */
export interface NexusApiService {
  /** `GET /members/{guid}` (§3.2). */
  readonly readMember: (args: MemberArgs) => Effect.Effect<Member, NexusError>
  /** `GET /members` (§3.2), following `pagination` when MX sends one (§7.3). */
  readonly listMembers: (args: UserArgs) => Effect.Effect<readonly Member[], NexusError>
  /** `GET /members/{guid}/credentials`, plural path (§3.5, §12). */
  readonly listMemberCredentials: (args: MemberArgs) => Effect.Effect<readonly CredentialField[], NexusError>
  /** `PUT /members/{guid}`: rooted body, credentials only, never `skip_aggregation` (§3.4). */
  readonly updateMember: (
    args: MemberArgs & {
      readonly credentials: readonly SecretPair[]
      readonly skipWebhook?: boolean | undefined
    },
  ) => Effect.Effect<Member, NexusError>
  /** `GET /members/{guid}/challenges` (§3.7). */
  readonly listMemberChallenges: (args: MemberArgs) => Effect.Effect<readonly Challenge[], NexusError>
  /** `PUT /members/{guid}/resume` with top-level `challenges` (§3.7); the member when MX returns one. */
  readonly resumeAggregation: (
    args: MemberArgs & { readonly answers: readonly SecretPair[] },
  ) => Effect.Effect<Member | undefined, NexusError>
  /** `GET /members/{guid}/aggregate` (§3.6): the member, or only `{ job_guid, status }` (§12). */
  readonly aggregateMember: (args: MemberArgs) => Effect.Effect<Member | JobStart, NexusError>
  /** `GET /jobs/{guid}` (§5). */
  readonly readJob: (args: UserArgs & { readonly jobGuid: string }) => Effect.Effect<Job, NexusError>
  /** `GET /members/{guid}/oauth_window_uri` (§3.8): a fresh one-time URI. */
  readonly oauthWindowUri: (args: MemberArgs) => Effect.Effect<string, NexusError>
  /** Traffic counters since the layer was built. */
  readonly stats: () => { readonly requests: number; readonly sessionsOpened: number }
}

/**
 * The Nexus API service.
 *
 * @example
 * ```ts
 * const member = yield* Effect.flatMap(NexusApi, (api) => api.readMember({ userId: 'u1', memberGuid: 'MBR-1' }))
 * ```
 */
export class NexusApi extends Context.Tag('mx-reconnect/NexusApi')<NexusApi, NexusApiService>() {}

/** Resume's answer is not documented (§3.7, §10.4): a member when one is there, otherwise nothing. */
const resumeBody = z.union([
  memberBody,
  z.object({ member: z.undefined().optional(), guid: z.undefined().optional() }).transform(() => undefined),
])

/** A reader that decodes the body with `schema` and picks the resource out of it (one step, no extra map). */
const json =
  <S extends z.ZodType, B>(schema: S, pick: (decoded: z.output<S>) => B) =>
  (info: RequestInfo, text: string): Effect.Effect<B, NexusError> =>
    decodeBody(info, text, schema, pick)

// Readers are built once: the hot path allocates no decoder per call.
const readMemberBody = json(memberBody, (b) => b.member)
const readMembersBody = json(membersBody, (b) => b)
const readCredentials = json(credentialsBody, (b) => b.credentials)
const readChallenges = json(challengesBody, (b) => b.challenges)
const readAggregate = json(aggregateBody, (b) => b.member)
const readJobBody = json(jobBody, (b) => b.job)
const readOauthWindow = json(oauthWindowBody, (b) => b.member.oauth_window_uri)

const readResume = (info: RequestInfo, text: string): Effect.Effect<Member | undefined, NexusError> =>
  text.trim() === ''
    ? Effect.succeed(undefined)
    : Effect.map(decodeBody(info, text, resumeBody), (b) => b?.member)

/**
 * How a call may be repeated: a RequestKind, or `submit` for a write carrying the user's credentials or
 * MFA answers, which this layer never repeats: every failure goes to the lifecycle, which sends the values
 * again only when the write provably never left (`sent: false`) or was refused, and otherwise re-reads the
 * member (docs/decisions/0007-unknown-outcome-writes.md).
 */
type CallKind = RequestKind | 'submit'

const MAX_PAGES = 100
const member = (guid: string) => `/members/${encodeURIComponent(guid)}`

/** Builds the Nexus API over `Sessions` and `Transport`. */
export const makeNexusApi = Effect.gen(function* () {
  const config = yield* NexusConfig
  const transport = yield* Transport
  const sessions = yield* Sessions
  const counters = yield* TrafficStats
  const log = config.log
  // Submissions are never repeated here (retry.ts would repeat a write on 429/503): the lifecycle decides,
  // and resends only what provably never left.
  const submitBudget = { ...config.retry, writes: 0 }

  const call = <A>(
    userId: string,
    method: 'GET' | 'PUT',
    path: string,
    kind: CallKind,
    read: (info: RequestInfo, text: string) => Effect.Effect<A, NexusError>,
    body?: string,
    extraHeaders?: Readonly<Record<string, string>>,
  ): Effect.Effect<A, NexusError> => {
    const info: RequestInfo = { api: 'nexus', method, path }
    return sessions.withSession(userId, info, (token) => {
      // §1.1: the Nexus media type as both Accept and Content-Type, as MX documents (and real clients
      // send, §12 fixtures) even on GETs.
      const headers: Record<string, string> = {
        accept: NEXUS_MEDIA_TYPE,
        'content-type': NEXUS_MEDIA_TYPE,
        'user-agent': config.userAgent,
        'md-session-token': Redacted.value(token),
      }
      if (extraHeaders !== undefined) Object.assign(headers, extraHeaders)
      const request: HttpRequest = { api: 'nexus', method, path, endpoint: config.nexus, headers, body }
      const sent =
        kind === 'submit'
          ? exchange(transport, submitBudget, log, request, 'write')
          : exchange(transport, config.retry, log, request, kind)
      return Effect.flatMap(sent, (reply) => read(info, reply.text))
    })
  }

  const readMember = ({ userId, memberGuid }: MemberArgs) =>
    call(userId, 'GET', member(memberGuid), 'read', readMemberBody)

  const listMembers = ({ userId }: UserArgs): Effect.Effect<readonly Member[], NexusError> => {
    const page = (n: number, acc: readonly Member[]): Effect.Effect<readonly Member[], NexusError> =>
      Effect.flatMap(
        call(userId, 'GET', n === 1 ? '/members' : `/members?page=${n}`, 'read', readMembersBody),
        (body) => {
          const all = acc.length === 0 ? body.members : [...acc, ...body.members]
          const pages = 'pagination' in body ? body.pagination?.total_pages : undefined
          return typeof pages === 'number' && n < pages && n < MAX_PAGES
            ? page(n + 1, all)
            : Effect.succeed(all)
        },
      )
    return page(1, [])
  }

  const listMemberCredentials = ({ userId, memberGuid }: MemberArgs) =>
    call(userId, 'GET', `${member(memberGuid)}/credentials`, 'read', readCredentials)

  const updateMember: NexusApiService['updateMember'] = ({
    userId,
    memberGuid,
    credentials,
    skipWebhook,
  }) => {
    // §3.4 / §12: rooted body, `credential_guid` items (MX's guide); no skip_aggregation, so MX aggregates.
    const inner: Record<string, unknown> = {
      credentials: credentials.map((c) => ({ credential_guid: c.guid, value: c.value })),
    }
    if (skipWebhook === true) inner.skip_webhook = true
    const body = JSON.stringify({ member: inner })
    const headers = skipWebhook === true ? { 'mx-skip-webhook': 'true' } : undefined
    const kind = credentials.length > 0 ? 'submit' : 'write'
    return call(userId, 'PUT', member(memberGuid), kind, readMemberBody, body, headers)
  }

  const listMemberChallenges = ({ userId, memberGuid }: MemberArgs) =>
    call(userId, 'GET', `${member(memberGuid)}/challenges`, 'read', readChallenges)

  const resumeAggregation: NexusApiService['resumeAggregation'] = ({ userId, memberGuid, answers }) => {
    // §3.7: top-level `challenges` of `{ guid, value }`; the reply body is undocumented and may be empty.
    const body = JSON.stringify({ challenges: answers.map((a) => ({ guid: a.guid, value: a.value })) })
    return call(userId, 'PUT', `${member(memberGuid)}/resume`, 'submit', readResume, body)
  }

  // Aggregate is a GET that starts a job (§3.6): retried like a write, since a duplicate run can cost the
  // user another MFA prompt.
  const aggregateMember = ({ userId, memberGuid }: MemberArgs) =>
    call(userId, 'GET', `${member(memberGuid)}/aggregate`, 'write', readAggregate)

  const readJob = ({ userId, jobGuid }: UserArgs & { readonly jobGuid: string }) =>
    call(userId, 'GET', `/jobs/${encodeURIComponent(jobGuid)}`, 'read', readJobBody)

  const oauthWindowUri = ({ userId, memberGuid }: MemberArgs) =>
    call(userId, 'GET', `${member(memberGuid)}/oauth_window_uri`, 'read', readOauthWindow)

  const stats = () => ({ requests: counters.requests, sessionsOpened: counters.sessionsOpened })

  // Every entry checks its arguments first (ArgumentError, before any I/O): see ./arguments.ts.
  return NexusApi.of({
    readMember: checked('readMember', readMember),
    listMembers: checked('listMembers', listMembers),
    listMemberCredentials: checked('listMemberCredentials', listMemberCredentials),
    updateMember: checked('updateMember', updateMember),
    listMemberChallenges: checked('listMemberChallenges', listMemberChallenges),
    resumeAggregation: checked('resumeAggregation', resumeAggregation),
    aggregateMember: checked('aggregateMember', aggregateMember),
    readJob: checked('readJob', readJob),
    oauthWindowUri: checked('oauthWindowUri', oauthWindowUri),
    stats,
  })
})

/** The Nexus API layer: needs `NexusConfig`, `Transport`, `Sessions` and `TrafficStats`. */
export const NexusApiLive = Layer.effect(NexusApi, makeNexusApi)
