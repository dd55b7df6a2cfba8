import { Context, Effect, Either, Layer, Redacted } from 'effect'
import { z } from 'zod'
import {
  aggregateBody,
  challengesBody,
  credentialsBody,
  jobBody,
  member as memberSchema,
  memberBody,
  membersBody,
  oauthWindowBody,
} from '../domain/index.js'
import type {
  Challenge,
  CredentialField,
  Job,
  JobStart,
  Member,
  NexusError,
  TransportError,
} from '../domain/index.js'
import { checkArguments, checked } from './arguments.js'
import { NexusConfig } from './config.js'
import { decodeBody, parseJson, validate } from './decode.js'
import { exchange, sendOnce } from './exchange.js'
import { isSessionRejected, toHttpError } from './http-errors.js'
import type { ReplyInfo, RequestInfo } from './http-errors.js'
import { NEXUS_MEDIA_TYPE } from './media-types.js'
import { budgetFor, isTransient, retryAfterFirst } from './retry.js'
import type { RequestKind } from './retry.js'
import { Sessions, sessionStepsOf } from './sessions.js'
import type { FreshSession } from './sessions.js'
import { TrafficStats } from './stats.js'
import { dispatcherOf, Transport } from './transport.js'
import { telemetry } from '../telemetry/hooks.js'
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

/** Decodes a 2xx reply's text into the call's resource, or fails with a `DecodeError`. */
type Reader<A> = (info: RequestInfo, text: string) => Either.Either<A, NexusError>

/** A reader that decodes the body with `schema` and picks the resource out of it (one step, no extra map). */
const json =
  <S extends z.ZodType, B>(schema: S, pick: (decoded: z.output<S>) => B): Reader<B> =>
  (info, text) =>
    decodeBody(info, text, schema, pick)

// The member: every poll reads one. `memberBody` is a union (rooted, or the older non-rooted form, §3.4)
// over `member`, a field pass piped into one transform; zod runs an object nested in a pipe or a union
// without its compiled fast pass (about 4x slower). A rooted member is decoded with the same two steps
// (fields, then transform), which give exactly the union's first branch; anything else (or a failure,
// for the union's own error message) goes through `memberBody`.
const memberFieldsSchema = memberSchema.in
const memberTransform = memberSchema.out

const pickMember = (b: { readonly member: Member }) => b.member

const readMemberBody: Reader<Member> = (info, text) => {
  const parsed = parseJson(info, text)
  if (Either.isLeft(parsed)) return Either.left(parsed.left)
  const body = parsed.right
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'member' in body) {
    const fields = memberFieldsSchema.safeParse(body.member)
    if (fields.success) return Either.right(memberTransform.parse(fields.data))
  }
  return validate(info, body, memberBody, pickMember)
}

// Readers are built once: the hot path allocates no decoder per call.
const readMembersBody = json(membersBody, (b) => b)
const readCredentials = json(credentialsBody, (b) => b.credentials)
const readChallenges = json(challengesBody, (b) => b.challenges)
const readAggregate = json(aggregateBody, (b) => b.member)
const readJobBody = json(jobBody, (b) => b.job)
const readOauthWindow = json(oauthWindowBody, (b) => b.member.oauth_window_uri)

const readResume: Reader<Member | undefined> = (info, text) =>
  text.trim() === '' ? Either.right(undefined) : decodeBody(info, text, resumeBody, (b) => b?.member)

/**
 * How a call may be repeated: a RequestKind, or `submit` for a write carrying the user's credentials or
 * MFA answers, which this layer never repeats: every failure goes to the lifecycle, which sends the values
 * again only when the write provably never left (`sent: false`) or was refused, and otherwise re-reads the
 * member (docs/decisions/0007-unknown-outcome-writes.md).
 */
type CallKind = RequestKind | 'submit'

/** One Nexus call in a user's session: what to send and how to read the answer. */
interface Plan<A> {
  readonly userId: string
  readonly method: 'GET' | 'PUT'
  readonly path: string
  readonly kind: CallKind
  readonly read: Reader<A>
  readonly body?: string | undefined
  readonly extraHeaders?: Readonly<Record<string, string>> | undefined
}

const plan = <A>(
  userId: string,
  method: 'GET' | 'PUT',
  path: string,
  kind: CallKind,
  read: Reader<A>,
  body?: string,
  extraHeaders?: Readonly<Record<string, string>>,
): Plan<A> => ({ userId, method, path, kind, read, body, extraHeaders })

const MAX_PAGES = 100
const member = (guid: string) => `/members/${encodeURIComponent(guid)}`

// Each single-request call as a plan (the Effect methods and the fiber-less path share them).
const PLANS = {
  readMember: ({ userId, memberGuid }: MemberArgs) =>
    plan(userId, 'GET', member(memberGuid), 'read', readMemberBody),
  listMemberCredentials: ({ userId, memberGuid }: MemberArgs) =>
    plan(userId, 'GET', `${member(memberGuid)}/credentials`, 'read', readCredentials),
  updateMember: ({
    userId,
    memberGuid,
    credentials,
    skipWebhook,
  }: Parameters<NexusApiService['updateMember']>[0]) => {
    // §3.4 / §12: rooted body, `credential_guid` items (MX's guide); no skip_aggregation, so MX aggregates.
    const inner: Record<string, unknown> = {
      credentials: credentials.map((c) => ({ credential_guid: c.guid, value: c.value })),
    }
    if (skipWebhook === true) inner.skip_webhook = true
    const body = JSON.stringify({ member: inner })
    const headers = skipWebhook === true ? { 'mx-skip-webhook': 'true' } : undefined
    const kind = credentials.length > 0 ? 'submit' : 'write'
    return plan(userId, 'PUT', member(memberGuid), kind, readMemberBody, body, headers)
  },
  listMemberChallenges: ({ userId, memberGuid }: MemberArgs) =>
    plan(userId, 'GET', `${member(memberGuid)}/challenges`, 'read', readChallenges),
  resumeAggregation: ({
    userId,
    memberGuid,
    answers,
  }: Parameters<NexusApiService['resumeAggregation']>[0]) => {
    // §3.7: top-level `challenges` of `{ guid, value }`; the reply body is undocumented and may be empty.
    const body = JSON.stringify({ challenges: answers.map((a) => ({ guid: a.guid, value: a.value })) })
    return plan(userId, 'PUT', `${member(memberGuid)}/resume`, 'submit', readResume, body)
  },
  // Aggregate is a GET that starts a job (§3.6): retried like a write, since a duplicate run can cost the
  // user another MFA prompt.
  aggregateMember: ({ userId, memberGuid }: MemberArgs) =>
    plan(userId, 'GET', `${member(memberGuid)}/aggregate`, 'write', readAggregate),
  readJob: ({ userId, jobGuid }: UserArgs & { readonly jobGuid: string }) =>
    plan(userId, 'GET', `/jobs/${encodeURIComponent(jobGuid)}`, 'read', readJobBody),
  oauthWindowUri: ({ userId, memberGuid }: MemberArgs) =>
    plan(userId, 'GET', `${member(memberGuid)}/oauth_window_uri`, 'read', readOauthWindow),
} as const

type PlannedCall = keyof typeof PLANS

/**
 * The client facade's fiber-less path (docs/decisions/0006-request-hot-path.md): a single-request call
 * whose user has a fresh session is sent from the caller's stack and, on a 2xx reply, decoded and settled
 * without an Effect fiber. Anything else the Effect program would do after that first send (a transient
 * retry, a 401's session renewal and replay) continues as that same program, from the reply it got.
 */
export interface FastPath {
  /**
   * Starts `name(args)` when it can; false when the call must run as an Effect program instead (no fresh
   * session, a paginated call, telemetry recording). `settle` is then called exactly once, with an
   * `Either` (the call's outcome) or an Effect to run on a fiber (the rest of the call).
   */
  readonly start: (
    name: string,
    args: unknown,
    signal: AbortSignal | undefined,
    settle: (result: Effect.Effect<unknown, NexusError>) => void,
  ) => boolean
}

const fastPaths = new WeakMap<NexusApiService, FastPath>()

/** The fiber-less path of a NexusApi built by {@link makeNexusApi} over the built-in services, if any. */
export function fastPathOf(api: NexusApiService): FastPath | undefined {
  return fastPaths.get(api)
}

// `telemetry.call` returns `run(attempt)` untouched while nothing records (src/telemetry/hooks.ts): the
// fiber-less path runs only then, since spans and counts are kept by the Effect program.
const PROBE: Effect.Effect<{ readonly status: number }, NexusError> = Effect.never
const PROBE_REQUEST = { api: 'nexus', method: 'GET', path: '/', endpoint: { origin: 'http://probe' } }
const untouched = <T>(a: T): T => a
const quiet = (): boolean =>
  telemetry === undefined || telemetry.call(PROBE_REQUEST, PROBE, untouched) === PROBE

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
  const budgetOf = (kind: CallKind) => (kind === 'submit' ? submitBudget : config.retry)
  const retryKind = (kind: CallKind): RequestKind => (kind === 'submit' ? 'write' : kind)

  const requestOf = (p: Plan<unknown>, token: Redacted.Redacted<string>): HttpRequest => {
    // §1.1: the Nexus media type as both Accept and Content-Type, as MX documents (and real clients
    // send, §12 fixtures) even on GETs.
    const headers: Record<string, string> = {
      accept: NEXUS_MEDIA_TYPE,
      'content-type': NEXUS_MEDIA_TYPE,
      'user-agent': config.userAgent,
      'md-session-token': Redacted.value(token),
    }
    if (p.extraHeaders !== undefined) Object.assign(headers, p.extraHeaders)
    return { api: 'nexus', method: p.method, path: p.path, endpoint: config.nexus, headers, body: p.body }
  }

  /** One send of `p` with `token`, its request-level retries, and the decode of its answer. */
  const useOf =
    <A>(p: Plan<A>) =>
    (token: Redacted.Redacted<string>): Effect.Effect<A, NexusError> => {
      const request = requestOf(p, token)
      const sent = exchange(transport, budgetOf(p.kind), log, request, retryKind(p.kind))
      return Effect.flatMap(sent, (reply) => p.read(request, reply.text))
    }

  const call = <A>(p: Plan<A>): Effect.Effect<A, NexusError> =>
    sessions.withSession(p.userId, { api: 'nexus', method: p.method, path: p.path }, useOf(p))

  const readMember = (args: MemberArgs) => call(PLANS.readMember(args))

  const listMembers = ({ userId }: UserArgs): Effect.Effect<readonly Member[], NexusError> => {
    const page = (n: number, acc: readonly Member[]): Effect.Effect<readonly Member[], NexusError> =>
      Effect.flatMap(
        call(plan(userId, 'GET', n === 1 ? '/members' : `/members?page=${n}`, 'read', readMembersBody)),
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

  const stats = () => ({ requests: counters.requests, sessionsOpened: counters.sessionsOpened })

  // Every entry checks its arguments first (ArgumentError, before any I/O): see ./arguments.ts.
  const service = NexusApi.of({
    readMember: checked('readMember', readMember),
    listMembers: checked('listMembers', listMembers),
    listMemberCredentials: checked('listMemberCredentials', (a: MemberArgs) =>
      call(PLANS.listMemberCredentials(a)),
    ),
    updateMember: checked('updateMember', (a: Parameters<NexusApiService['updateMember']>[0]) =>
      call(PLANS.updateMember(a)),
    ),
    listMemberChallenges: checked('listMemberChallenges', (a: MemberArgs) =>
      call(PLANS.listMemberChallenges(a)),
    ),
    resumeAggregation: checked(
      'resumeAggregation',
      (a: Parameters<NexusApiService['resumeAggregation']>[0]) => call(PLANS.resumeAggregation(a)),
    ),
    aggregateMember: checked('aggregateMember', (a: MemberArgs) => call(PLANS.aggregateMember(a))),
    readJob: checked('readJob', (a: UserArgs & { readonly jobGuid: string }) => call(PLANS.readJob(a))),
    oauthWindowUri: checked('oauthWindowUri', (a: MemberArgs) => call(PLANS.oauthWindowUri(a))),
    stats,
  })

  const dispatch = dispatcherOf(transport)
  const steps = sessionStepsOf(sessions)
  if (dispatch !== undefined && steps !== undefined) {
    const clock = config.clock
    const now = () => (clock === undefined ? Date.now() : clock.now())
    /** What the call comes to after its first send: an `Either`, or the rest of the Effect program. */
    const outcome = (
      p: Plan<unknown>,
      request: HttpRequest,
      session: FreshSession,
      reply: ReplyInfo | undefined,
      error: TransportError | undefined,
    ): Effect.Effect<unknown, NexusError> => {
      if (reply !== undefined && reply.status >= 200 && reply.status < 300) return p.read(request, reply.text)
      // What `sendOnce` makes of the first send (exchange.ts), then the rest of `withSession`.
      const failure: NexusError = error ?? toHttpError(request, reply!, now())
      const kind = retryKind(p.kind)
      const budget = budgetOf(p.kind)
      if (!isSessionRejected(failure) && !(budgetFor(kind, budget) > 0 && isTransient(failure, kind)))
        return Either.left(failure)
      const rest = Effect.flatMap(
        retryAfterFirst(failure, sendOnce(transport, request), kind, budget, request, log),
        (r) => p.read(request, r.text),
      )
      const info: RequestInfo = { api: 'nexus', method: p.method, path: p.path }
      return steps.after(p.userId, info, useOf(p), session, rest)
    }

    const start: FastPath['start'] = (name, args, signal, settle) => {
      if (!Object.hasOwn(PLANS, name) || !quiet()) return false
      const planned = name as PlannedCall
      // The same check, in the same order, as the Effect method's (`checked`): before any I/O.
      const bad = checkArguments(planned, args)
      if (bad !== undefined) {
        settle(Either.left(bad))
        return true
      }
      const p: Plan<unknown> = (PLANS[planned] as (a: unknown) => Plan<unknown>)(args)
      // The same session as `withSession` would use; none fresh: the Effect program opens one.
      const session = steps.fresh(p.userId, now())
      if (session === undefined) return false
      const request = requestOf(p, session.token)
      dispatch(request, signal, (reply, error) => {
        // Settled exactly once, even if decoding threw (a defect, rejected as is, as a fiber's would be).
        let result: Effect.Effect<unknown, NexusError>
        try {
          result = outcome(p, request, session, reply, error)
        } catch (defect) {
          result = Effect.die(defect)
        }
        settle(result)
      })
      return true
    }
    fastPaths.set(service, { start })
  }
  return service
})

/** The Nexus API layer: needs `NexusConfig`, `Transport`, `Sessions` and `TrafficStats`. */
export const NexusApiLive = Layer.effect(NexusApi, makeNexusApi)
