import type { KnownStatus } from '../domain/index.js'
import { WakeupHeap } from './heap.js'
import {
  DEFAULT_INSTITUTIONS,
  defineInstitution,
  type FieldDef,
  type Institution,
  type InstitutionInput,
} from './institutions.js'
import { PROFILES, type Profile } from './profile.js'
import { createRng, newToken, type Rng } from './random.js'
import type { ChallengeRec, Plan } from './scenarios.js'

/**
 * The simulator's model state and its records. Records are plain data; the state is updated in place by
 * `step` (copying maps per request would make the 20,000-request benchmarks quadratic), and every handler
 * validates before it writes, so a refused request leaves the state exactly as it was.
 */

/**
 * The simulator's replies where the Nexus reference leaves a question open (§10, §12): every variant is
 * accepted on input, and these choose what the simulator answers.
 *
 * @example
 * ```ts
 * // Answer resumes the way the Platform API does (202, no body) and list challenges under `member`.
 * const variants: Partial<Variants> = { resumeResponse: 'accepted', challengesKey: 'member' }
 * const sim = await startSimulator({ variants })
 * ```
 */
export interface Variants {
  /** `GET /members`: `{"members": [...]}` (real clients, §12) or the doc example's single `member` (§10.2). */
  readonly listMembersShape: 'members' | 'member'
  /** Key of the challenges list: `challenges` (the example) or `member` (the rendered schema, §10.3). */
  readonly challengesKey: 'challenges' | 'member'
  /**
   * Resume reply: the member (RESUMED, as sister APIs do), `{}` (body not recovered, §10.4), 202 with no
   * body (the Platform API's resume, §9), or `mixed`: one of the three per reply, seeded (messy default).
   */
  readonly resumeResponse: 'member' | 'empty' | 'accepted' | 'mixed'
  /**
   * Aggregate reply: the full member, only `{member: {job_guid, status}}` (§12), or `mixed`: either per
   * reply, seeded (messy default).
   */
  readonly aggregateResponse: 'member' | 'jobStart' | 'mixed'
  /** Error bodies: `{"error": {code, message}}`, flat `{code, message}`, or no body (§7.1, §10.8). */
  readonly errorEnvelope: 'rooted' | 'flat' | 'none'
  /** Duplicate member create: 409 with the existing guid (§12) or 422/4220 (§3.3). */
  readonly duplicateMemberStatus: 409 | 422
  /** Whether a CHALLENGED member reports `is_being_aggregated: true` (its job is open, waiting on MFA). */
  readonly challengedIsBeingAggregated: boolean
}

/** The default variants (the clean profile's). */
export const DEFAULT_VARIANTS: Variants = {
  listMembersShape: 'members',
  challengesKey: 'challenges',
  resumeResponse: 'member',
  aggregateResponse: 'member',
  errorEnvelope: 'rooted',
  duplicateMemberStatus: 409,
  challengedIsBeingAggregated: true,
}

/** The messy profile's defaults: replies vary the way real MX's do (§12). */
export const MESSY_VARIANTS: Partial<Variants> = { resumeResponse: 'mixed', aggregateResponse: 'mixed' }

/**
 * Which webhook payloads the model produces (§8.2).
 *
 * @example
 * ```ts
 * const kinds: WebhookKind[] = ['CONNECTION_STATUS', 'AGGREGATION', 'JOB']
 * const sim = await startSimulator({ webhookUrl: 'http://127.0.0.1:8080/webhooks/mx', webhooks: { kinds } })
 * ```
 */
export type WebhookKind = 'CONNECTION_STATUS' | 'AGGREGATION' | 'JOB' | 'MEMBER'

/** Model settings (all durations in simulated milliseconds). */
export interface ModelOptions {
  readonly seed: number
  /** `clean` (tidy replies) or `messy` (what real MX sends; profile.ts). */
  readonly profile: Profile
  readonly clientId: string
  readonly apiKey: string
  /** How long each job phase (UPDATED/RESUMED/... → next status) takes. */
  readonly jobDurationMs: number
  /** How long a DELAYED member stays DELAYED before it connects. */
  readonly delayedMs: number
  /** An unanswered challenge turns EXPIRED after this (simulator.md: 5 minutes). */
  readonly challengeTtlMs: number
  /** SSO api token life (§1.3: 10 minutes). */
  readonly apiTokenTtlMs: number
  /** Session sliding window (§1.5: 30 minutes). */
  readonly sessionTtlMs: number
  /** A one-time OAuth window URI's life. */
  readonly oauthTtlMs: number
  /** Consecutive DENIED results that make a member PREVENTED (§4: three). */
  readonly maxDenials: number
  /** Origin the OAuth window URIs point at (the server sets it once it listens). */
  readonly baseUrl: string
  /** Produce webhook effects and wake-ups (off unless a webhook receiver is configured). */
  readonly emitWebhooks: boolean
  readonly webhookKinds: readonly WebhookKind[]
  readonly variants: Variants
  readonly institutions: readonly Institution[]
}

/** A partner user (MDX Real Time, §1.2). */
export interface UserRec {
  readonly id: string
  readonly guid: string
  readonly email: string | null
  /** Member guids in creation order. */
  readonly memberGuids: Set<string>
  readonly createdAt: number
}

/** One credential slot of a member: the member's own guid for the field and the stored value. */
export interface CredentialSlot {
  readonly guid: string
  readonly field: FieldDef
  value: string | null
}

/** A member (§3.1). */
export interface MemberRec {
  readonly guid: string
  readonly userGuid: string
  readonly institution: Institution
  name: string
  externalGuid: string | null
  metadata: string | null
  useCases: readonly string[]
  backgroundAggregationIsDisabled: boolean
  readonly isOauth: boolean
  /** OAuth members: whether the user has completed the OAuth window. */
  oauthAuthorized: boolean
  readonly credentials: CredentialSlot[]
  /** Set when credentials change; a PREVENTED member is retried only with fresh credentials. */
  credentialsFresh: boolean
  status: KnownStatus | null
  /** Consecutive DENIED results (0..maxDenials). */
  denials: number
  jobGuid: string | null
  readonly jobGuids: string[]
  aggregatedAt: number | null
  successfullyAggregatedAt: number | null
  revision: number
  readonly createdAt: number
  updatedAt: number
}

/** What started a job (decides the transient status shown while it runs). */
export type JobKind = 'create' | 'update' | 'aggregate' | 'session' | 'oauth' | 'seed'

/** Job phases: running toward its next status, waiting on MFA, DELAYED, or finished. */
export type JobPhase = 'running' | 'challenged' | 'delayed' | 'done'

/** Job status names (§5; ids beyond 0/1/2/6 follow the unverified list in §10.9). */
export type JobStatusName =
  'INITIATED' | 'REQUESTED' | 'CHALLENGED' | 'COMPLETED' | 'PREVENTED' | 'DENIED' | 'HALTED'

/** A job (§5). */
export interface JobRec {
  readonly guid: string
  readonly memberGuid: string
  readonly userGuid: string
  readonly institutionGuid: string
  readonly kind: JobKind
  readonly plan: Plan
  /** Index of the next MFA round to ask. */
  round: number
  phase: JobPhase
  /** Simulated time at which the current phase resolves. */
  phaseEnd: number
  /** After a resume: whether the answers passed (applied when the RESUMED phase ends). */
  verdict: 'pass' | 'fail' | null
  /** The current round while CHALLENGED. */
  challenges: readonly ChallengeRec[] | null
  /** Answers stored through the legacy `POST /members/{guid}/credentials` path (§3.7 legacy). */
  legacyAnswers: Map<string, string> | null
  status: JobStatusName
  isAuthenticated: boolean
  errorMessage: string | null
  readonly createdAt: number
  finishedAt: number | null
  updatedAt: number
}

/** An SSO api token (§1.3). */
export interface ApiTokenRec {
  readonly userGuid: string
  readonly expiresAt: number
}

/** A Nexus session (§1.4, §1.5). */
export interface SessionRec {
  readonly userGuid: string
  expiresAt: number
}

/** A one-time OAuth window (§3.8). */
export interface OAuthWindowRec {
  readonly memberGuid: string
  readonly skipAggregation: boolean
  readonly expiresAt: number
}

/** Counters the model keeps. */
export interface ModelCounters {
  apiTokensIssued: number
  sessionsOpened: number
  sessionsExpired: number
  usersCreated: number
  membersCreated: number
  jobsStarted: number
}

/**
 * The whole model state.
 *
 * @example
 * ```ts
 * const state: SimState = createState({ seed: 1, profile: 'messy' })
 * const problems = checkInvariants(state, Date.now()) // [] for a consistent model
 * ```
 */
export interface SimState {
  readonly options: ModelOptions
  readonly rng: Rng
  readonly institutionsByGuid: Map<string, Institution>
  readonly institutionsByCode: Map<string, Institution>
  readonly users: Map<string, UserRec>
  readonly usersById: Map<string, UserRec>
  readonly members: Map<string, MemberRec>
  readonly jobs: Map<string, JobRec>
  readonly apiTokens: Map<string, ApiTokenRec>
  readonly sessions: Map<string, SessionRec>
  readonly oauthWindows: Map<string, OAuthWindowRec>
  /** external_guid → member guid (unique across the client, §3.1). */
  readonly externalGuids: Map<string, string>
  readonly wakeups: WakeupHeap
  readonly counters: ModelCounters
}

/**
 * Options accepted by {@link createState}; everything has a default.
 *
 * @example
 * ```ts
 * const options: StateOptions = { seed: 3, jobDurationMs: 1_000, challengeTtlMs: 60_000 }
 * const state = createState(options)
 * ```
 */
export interface StateOptions {
  readonly seed?: number
  /** Default `clean`. */
  readonly profile?: Profile
  readonly clientId?: string
  readonly apiKey?: string
  readonly jobDurationMs?: number
  readonly delayedMs?: number
  readonly challengeTtlMs?: number
  readonly apiTokenTtlMs?: number
  readonly sessionTtlMs?: number
  readonly oauthTtlMs?: number
  readonly maxDenials?: number
  readonly baseUrl?: string
  readonly emitWebhooks?: boolean
  readonly webhookKinds?: readonly WebhookKind[]
  readonly variants?: Partial<Variants>
  readonly institutions?: readonly InstitutionInput[]
}

const MINUTE = 60_000

const duration = (name: string, value: number | undefined, fallback: number): number => {
  const v = value ?? fallback
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a finite number >= 0`)
  return v
}

/**
 * A fresh model state.
 *
 * @example
 * ```ts
 * const state = createState({ seed: 1 })
 * ```
 */
export function createState(options: StateOptions = {}): SimState {
  const seed = options.seed ?? 1
  const rng = createRng(seed)
  // The default key is drawn from the seeded generator, so `--seed 42` always prints the same key.
  const apiKey = options.apiKey ?? `sim_${newToken(rng).slice(0, 32)}`
  const institutions = [...DEFAULT_INSTITUTIONS]
  for (const input of options.institutions ?? []) {
    const defined = defineInstitution(input)
    const at = institutions.findIndex((i) => i.code === defined.code)
    if (at >= 0) institutions[at] = defined
    else institutions.push(defined)
  }
  const maxDenials = options.maxDenials ?? 3
  if (!Number.isInteger(maxDenials) || maxDenials < 1)
    throw new RangeError('maxDenials must be an integer >= 1')
  const profile = options.profile ?? 'clean'
  if (!PROFILES.includes(profile)) throw new RangeError(`profile must be one of ${PROFILES.join(', ')}`)
  const modelOptions: ModelOptions = {
    seed,
    profile,
    clientId: options.clientId ?? 'mx-sim-client',
    apiKey,
    jobDurationMs: duration('jobDurationMs', options.jobDurationMs, 4_000),
    delayedMs: duration('delayedMs', options.delayedMs, 12_000),
    challengeTtlMs: duration('challengeTtlMs', options.challengeTtlMs, 5 * MINUTE),
    apiTokenTtlMs: duration('apiTokenTtlMs', options.apiTokenTtlMs, 10 * MINUTE),
    sessionTtlMs: duration('sessionTtlMs', options.sessionTtlMs, 30 * MINUTE),
    oauthTtlMs: duration('oauthTtlMs', options.oauthTtlMs, 10 * MINUTE),
    maxDenials,
    baseUrl: options.baseUrl ?? 'http://127.0.0.1',
    emitWebhooks: options.emitWebhooks ?? false,
    webhookKinds: options.webhookKinds ?? ['CONNECTION_STATUS', 'AGGREGATION'],
    variants: { ...DEFAULT_VARIANTS, ...(profile === 'messy' ? MESSY_VARIANTS : {}), ...options.variants },
    institutions,
  }
  return {
    options: modelOptions,
    rng,
    institutionsByGuid: new Map(institutions.map((i) => [i.guid, i])),
    institutionsByCode: new Map(institutions.map((i) => [i.code, i])),
    users: new Map(),
    usersById: new Map(),
    members: new Map(),
    jobs: new Map(),
    apiTokens: new Map(),
    sessions: new Map(),
    oauthWindows: new Map(),
    externalGuids: new Map(),
    wakeups: new WakeupHeap(),
    counters: {
      apiTokensIssued: 0,
      sessionsOpened: 0,
      sessionsExpired: 0,
      usersCreated: 0,
      membersCreated: 0,
      jobsStarted: 0,
    },
  }
}
