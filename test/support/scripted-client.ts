import { KNOWN_STATUSES } from '../../src/domain/connection-status.js'
import { DecodeError, HttpError, SessionExpiredError, TransportError } from '../../src/domain/errors.js'
import { challenge as challengeSchema } from '../../src/domain/schemas/challenges.js'
import { credentialField } from '../../src/domain/schemas/credentials.js'
import { member as memberSchema, type Member } from '../../src/domain/schemas/member.js'
import type { Challenge, CredentialField } from '../../src/domain/schemas/index.js'
import type { NexusClientApi, SecretValue } from '../../src/client/types.js'
import type { SimClock } from './lifecycle-clock.js'

// An in-memory Nexus for the lifecycle's property tests: a small stateful model of one member whose jobs,
// MFA rounds, answers and faults follow a script drawn by fast-check. It implements `NexusClientApi`, so
// the real bridge and machine run against it, on a simulated clock. State changes happen when a request
// arrives; the answer is delivered after the scripted latency, unless the caller aborts first.

/** The client calls the lifecycle makes. */
export type Op =
  | 'readMember'
  | 'listMemberCredentials'
  | 'updateMember'
  | 'listMemberChallenges'
  | 'resumeAggregation'
  | 'aggregateMember'
  | 'oauthWindowUri'

/** How the server takes the answers of one MFA round, per attempt (the last repeats). */
export type AnswerPlan = 'pass' | 'reject' | 'badRequest' | 'notChallenged'

export interface RoundPlan {
  readonly types: readonly ('TEXT' | 'TOKEN' | 'OPTIONS' | 'IMAGE_DATA' | 'IMAGE_OPTIONS')[]
  readonly answers: readonly AnswerPlan[]
}

/** One aggregation job: what the member shows while it runs, its MFA rounds, and its result. */
export interface JobPlan {
  /** Status shown while the job runs (with `is_being_aggregated: true`). */
  readonly running: string
  readonly durationMs: number
  readonly rounds: readonly RoundPlan[]
  /** Time from a passed MFA round to the next step. */
  readonly afterMfaMs: number
  /** Status when the job ends (`is_being_aggregated: false`); null = member without credentials. */
  readonly result: string | null
  /** Answer the start of the job with `{ job_guid, status }` only (§12) instead of the member. */
  readonly jobStartReply: boolean
}

export type FaultKind =
  | 'http503'
  | 'http429'
  | 'http500'
  | 'reset'
  | 'decode'
  | 'sessionExpired'
  | 'http404'
  | 'http403'
  /** §12: "a job is already running" (on `aggregateMember`: the job may have ended since). */
  | 'http409'

/** The `nth` call (1-based) of `op`, and the `times − 1` after it, fail with `kind`, without touching the model. */
export interface FaultPlan {
  readonly op: Op
  readonly nth: number
  /** How many calls in a row, from the `nth`, fail (a burst). Default 1. */
  readonly times?: number
  readonly kind: FaultKind
  readonly retryAfterMs?: number
}

export interface FieldPlan {
  readonly optional: boolean
  readonly type: 'LOGIN' | 'PASSWORD' | 'TEXT' | 'OPTIONS'
}

export interface ServerScript {
  readonly initialStatus: string | null
  readonly initialAggregating: boolean
  readonly isOauth: boolean
  readonly fields: readonly FieldPlan[]
  readonly jobs: readonly JobPlan[]
  readonly faults: readonly FaultPlan[]
  readonly latencyMs: number
  readonly oauthUri: boolean
  readonly challengeTtlMs: number
}

/** What the harness knows about the lifecycle when a request arrives. */
export interface RequestTag {
  readonly state: string
  readonly webhook: boolean
}

export interface LoggedRequest {
  readonly seq: number
  readonly at: number
  readonly op: Op
  readonly tag: RequestTag
  /** Credential values or answers received (the server side of the secret, for invariants 1–2). */
  readonly values?: readonly SecretValue[]
  /** The member's status at the server when the reply was computed (reads only). */
  status?: string | null
  aggregating?: boolean
  /** Challenge guids of the reply (challenge lists only). */
  challengeGuids?: readonly string[]
  ok: boolean
  delivered: boolean
  aborted: boolean
  deliveredAt?: number
  /** The scripted fault this request met, if any (reach statistics). */
  fault?: FaultKind
}

interface JobState {
  readonly n: number
  readonly plan: JobPlan
  readonly rounds: readonly RoundPlan[]
  phase: 'running' | 'challenged' | 'done'
  phaseStart: number
  phaseDuration: number
  round: number
  roundAttempts: number
}

const DEFAULT_ROUND: RoundPlan = { types: ['TEXT'], answers: ['pass'] }

const TRANSIENT = new Set(['CREATED', 'UPDATED', 'DELAYED', 'RESUMED', 'RECONNECTED'])

export const MEMBER_GUID = 'MBR-scripted'

/** Every status a script may use: all of §4, a future one, and null. */
export const SCRIPT_STATUSES: readonly (string | null)[] = [...KNOWN_STATUSES, 'NEW_IN_2030', null]

export class ScriptedServer implements NexusClientApi {
  readonly log: LoggedRequest[] = []
  private status: string | null
  private aggregating: boolean
  private jobGuid: string | null = 'JOB-initial'
  private job: JobState | null = null
  private jobsStarted = 0
  private readonly calls = new Map<Op, number>()
  private readonly inflight = new Set<LoggedRequest>()
  private requestCount = 0
  private updatesApplied = 0

  constructor(
    readonly script: ServerScript,
    private readonly clock: SimClock,
    private readonly tag: () => RequestTag,
  ) {
    this.status = script.initialStatus
    this.aggregating = false
    if (script.initialStatus === 'CHALLENGED') {
      this.job = this.newJob(script.jobs[0] ?? defaultJob(), clock.now())
      this.enterRound(this.job, clock.now())
    } else if (script.initialAggregating || TRANSIENT.has(script.initialStatus ?? '')) {
      const plan = script.jobs[0] ?? defaultJob()
      this.job = this.newJob({ ...plan, running: script.initialStatus ?? plan.running }, clock.now())
      this.status = this.job.plan.running
      this.aggregating = true
    }
  }

  /**
   * Which question the user is being asked, as the server sees it: the credentials after N applied
   * updates, or the MFA round (job, round, answers received for it). A consistent user asked the same
   * question again answers the same way (what invariant 6 assumes of the user).
   */
  promptKey(kind: 'credentials' | 'mfa'): string {
    if (kind === 'credentials') return `credentials:${this.updatesApplied}`
    const job = this.job
    return job ? `mfa:${job.n}:${job.round}:${job.roundAttempts}` : 'mfa:none'
  }

  /** Requests sent whose reply was neither delivered nor aborted (invariant 8). */
  inflightCount(): number {
    return this.inflight.size
  }

  requests(): number {
    return this.requestCount
  }

  private newJob(plan: JobPlan, now: number): JobState {
    const n = this.jobsStarted++
    this.jobGuid = `JOB-${n}`
    const rounds = plan.rounds
    return {
      n,
      plan,
      rounds,
      phase: 'running',
      phaseStart: now,
      phaseDuration: plan.durationMs,
      round: 0,
      roundAttempts: 0,
    }
  }

  private enterRound(job: JobState, at: number): void {
    if (job.rounds.length === 0) (job as { rounds: readonly RoundPlan[] }).rounds = [DEFAULT_ROUND]
    job.phase = 'challenged'
    job.phaseStart = at
    job.roundAttempts = 0
    this.status = 'CHALLENGED'
    this.aggregating = true
  }

  /** Moves the model to `now`: running jobs finish or reach an MFA round, unanswered rounds expire. */
  private refresh(now: number): void {
    for (;;) {
      const job = this.job
      if (!job || job.phase === 'done') return
      if (job.phase === 'running' && now >= job.phaseStart + job.phaseDuration) {
        const end = job.phaseStart + job.phaseDuration
        if (job.round < job.rounds.length) {
          this.enterRound(job, end)
        } else {
          job.phase = 'done'
          this.status = job.plan.result
          this.aggregating = false
        }
        continue
      }
      if (job.phase === 'challenged' && now >= job.phaseStart + this.script.challengeTtlMs) {
        job.phase = 'done'
        this.status = 'EXPIRED'
        this.aggregating = false
        continue
      }
      return
    }
  }

  private startJob(now: number): JobState {
    const plan = this.script.jobs[Math.min(this.jobsStarted, this.script.jobs.length - 1)] ?? defaultJob()
    const job = this.newJob(plan, now)
    this.job = job
    this.status = plan.running
    this.aggregating = true
    return job
  }

  private member(): Member {
    return memberSchema.parse({
      guid: MEMBER_GUID,
      user_guid: 'USR-scripted',
      institution_code: 'mxbank',
      connection_status: this.status,
      connection_status_message: this.status === null ? null : `status ${this.status}`,
      is_being_aggregated: this.aggregating,
      most_recent_job_guid: this.jobGuid,
      is_oauth: this.script.isOauth,
    })
  }

  private challenges(): Challenge[] {
    const job = this.job
    if (!job || job.phase !== 'challenged') return []
    const round = job.rounds[job.round] ?? DEFAULT_ROUND
    return round.types.map((type, i) =>
      challengeSchema.parse({
        guid: `CRD-j${job.n}-r${job.round}-${i}`,
        type,
        label: `Question ${i + 1} (${type})`,
        field_name: `q${i}`,
        ...(type === 'OPTIONS'
          ? {
              options: [
                { label: 'Text me', value: 'sms' },
                { label: 'Call me', value: 'call' },
              ],
            }
          : {}),
        ...(type === 'IMAGE_DATA' ? { image_data: 'aW1hZ2U=' } : {}),
        ...(type === 'IMAGE_OPTIONS'
          ? { image_options: [{ label: 'A', value: 'a', data_uri: 'data:,a' }] }
          : {}),
      }),
    )
  }

  private fields(): CredentialField[] {
    return this.script.fields.map((field, i) =>
      credentialField.parse({
        guid: `CRD-f${i}`,
        label: `Field ${i}`,
        field_name: field.type,
        field_type_name: field.type,
        display_order: i,
        optional: field.optional,
        ...(field.type === 'OPTIONS' ? { options: [{ label: 'Checking', value: 'c' }] } : {}),
      }),
    )
  }

  private fault(op: Op, path: string): { kind: FaultKind; error: unknown } | undefined {
    const n = (this.calls.get(op) ?? 0) + 1
    this.calls.set(op, n)
    const plan = this.script.faults.find((f) => f.op === op && n >= f.nth && n < f.nth + (f.times ?? 1))
    if (!plan) return undefined
    return { kind: plan.kind, error: this.faultError(plan, path) }
  }

  private faultError(plan: FaultPlan, path: string): unknown {
    const base = { api: 'nexus' as const, method: 'GET', path }
    switch (plan.kind) {
      case 'http503':
        return new HttpError({ ...base, status: 503, message: 'service unavailable' })
      case 'http429':
        return new HttpError({
          ...base,
          status: 429,
          retryAfterMs: plan.retryAfterMs ?? 1000,
          message: 'slow down',
        })
      case 'http500':
        return new HttpError({ ...base, status: 500, message: 'server error' })
      case 'reset':
        return new TransportError({ ...base, reason: 'reset', sent: true, message: 'connection reset' })
      case 'decode':
        return new DecodeError({ ...base, issues: ['member.guid: required'], message: 'bad body' })
      case 'sessionExpired':
        return new SessionExpiredError({ userId: 'u', method: 'GET', path, message: 'session expired twice' })
      case 'http404':
        return new HttpError({ ...base, status: 404, message: 'not found' })
      case 'http403':
        return new HttpError({ ...base, status: 403, message: 'forbidden' })
      case 'http409':
        return new HttpError({ ...base, status: 409, message: 'a job is already running' })
    }
  }

  /** Runs one request: logs it, applies the model now, delivers the reply after the latency. */
  private request<T>(
    op: Op,
    signal: AbortSignal | undefined,
    extra: Partial<LoggedRequest>,
    handle: (entry: LoggedRequest) => T,
  ): Promise<T> {
    this.requestCount++
    const entry: LoggedRequest = {
      seq: this.log.length,
      at: this.clock.now(),
      op,
      tag: this.tag(),
      ...extra,
      ok: false,
      delivered: false,
      aborted: false,
    }
    this.log.push(entry)
    if (signal?.aborted) {
      entry.aborted = true
      return Promise.reject(
        new TransportError({
          api: 'nexus',
          method: 'GET',
          path: op,
          reason: 'aborted',
          sent: false,
          message: 'aborted',
        }),
      )
    }
    let outcome: { ok: true; value: T } | { ok: false; error: unknown }
    const injected = this.fault(op, `/members/${MEMBER_GUID}/${op}`)
    if (injected) {
      entry.fault = injected.kind
      outcome = { ok: false, error: injected.error }
    } else {
      this.refresh(this.clock.now())
      try {
        outcome = { ok: true, value: handle(entry) }
      } catch (error) {
        outcome = { ok: false, error }
      }
    }
    entry.ok = outcome.ok
    this.inflight.add(entry)
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        cancel()
        this.inflight.delete(entry)
        entry.aborted = true
        reject(
          new TransportError({
            api: 'nexus',
            method: 'GET',
            path: op,
            reason: 'aborted',
            sent: true,
            message: 'aborted',
          }),
        )
      }
      const cancel = this.clock.at(this.clock.now() + this.script.latencyMs, () => {
        signal?.removeEventListener('abort', onAbort)
        this.inflight.delete(entry)
        entry.delivered = true
        entry.deliveredAt = this.clock.now()
        if (outcome.ok) resolve(outcome.value)
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the client's tagged errors, as thrown
        else reject(outcome.error)
      })
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  private snapshotInto(entry: LoggedRequest): Member {
    entry.status = this.status
    entry.aggregating = this.aggregating
    return this.member()
  }

  readMember(args: { signal?: AbortSignal }): Promise<Member> {
    return this.request('readMember', args.signal, {}, (entry) => this.snapshotInto(entry))
  }

  listMembers(): Promise<readonly Member[]> {
    return Promise.resolve([this.member()])
  }

  listMemberCredentials(args: { signal?: AbortSignal }): Promise<readonly CredentialField[]> {
    return this.request('listMemberCredentials', args.signal, {}, () => this.fields())
  }

  updateMember(args: { signal?: AbortSignal; credentials: readonly SecretValue[] }): Promise<Member> {
    const values = args.credentials.map((c) => ({ guid: c.guid, value: c.value }))
    return this.request('updateMember', args.signal, { values }, (entry) => {
      const known = new Set(this.script.fields.map((_, i) => `CRD-f${i}`))
      if (values.some((v) => !known.has(v.guid))) {
        throw new HttpError({
          api: 'nexus',
          method: 'PUT',
          path: '/members',
          status: 400,
          message: 'stale guids',
        })
      }
      this.updatesApplied++
      // §3.4: a running job is not started twice.
      if (!this.aggregating) this.startJob(this.clock.now())
      return this.snapshotInto(entry)
    })
  }

  listMemberChallenges(args: { signal?: AbortSignal }): Promise<readonly Challenge[]> {
    return this.request('listMemberChallenges', args.signal, {}, (entry) => {
      const list = this.challenges()
      entry.challengeGuids = list.map((c) => c.guid)
      return list
    })
  }

  resumeAggregation(args: {
    signal?: AbortSignal
    answers: readonly SecretValue[]
  }): Promise<Member | undefined> {
    const values = args.answers.map((c) => ({ guid: c.guid, value: c.value }))
    return this.request('resumeAggregation', args.signal, { values }, (entry) => {
      const job = this.job
      const http = (status: number) =>
        new HttpError({ api: 'nexus', method: 'PUT', path: '/resume', status, message: `resume ${status}` })
      if (this.status !== 'CHALLENGED' || !job || job.phase !== 'challenged') throw http(405)
      const expected = this.challenges().map((c) => c.guid)
      if (expected.length !== values.length || !expected.every((g) => values.some((v) => v.guid === g)))
        throw http(400)
      const round = job.rounds[job.round] ?? DEFAULT_ROUND
      const plan = round.answers[Math.min(job.roundAttempts, round.answers.length - 1)] ?? 'pass'
      job.roundAttempts++
      if (plan === 'badRequest') throw http(400)
      if (plan === 'notChallenged') throw http(405)
      if (plan === 'reject') {
        job.phase = 'done'
        this.status = 'REJECTED'
        this.aggregating = false
      } else {
        job.round++
        job.phase = 'running'
        job.phaseStart = this.clock.now()
        job.phaseDuration = job.plan.afterMfaMs
        this.status = 'RESUMED'
        this.aggregating = true
      }
      return this.snapshotInto(entry)
    })
  }

  aggregateMember(args: { signal?: AbortSignal }) {
    return this.request('aggregateMember', args.signal, {}, (entry) => {
      // §3.6 simulator default: a running job is not started twice.
      const started = this.aggregating ? null : this.startJob(this.clock.now())
      const member = this.snapshotInto(entry)
      if (started?.plan.jobStartReply) {
        return { job_guid: `JOB-${started.n}`, status: 'RUNNING', guid: MEMBER_GUID }
      }
      return member
    })
  }

  readJob(): never {
    throw new Error('the lifecycle never reads jobs')
  }

  oauthWindowUri(args: { signal?: AbortSignal }): Promise<string> {
    return this.request('oauthWindowUri', args.signal, {}, () => {
      if (!this.script.oauthUri) {
        throw new HttpError({
          api: 'nexus',
          method: 'GET',
          path: '/oauth_window_uri',
          status: 400,
          message: 'Member cannot use OAuth',
        })
      }
      return `https://oauth.example.test/window/${this.jobsStarted}`
    })
  }

  stats() {
    return { requests: this.requestCount, sessionsOpened: 0 }
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}

function defaultJob(): JobPlan {
  return {
    running: 'UPDATED',
    durationMs: 5_000,
    rounds: [],
    afterMfaMs: 4_000,
    result: 'CONNECTED',
    jobStartReply: false,
  }
}
