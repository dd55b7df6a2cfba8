import { statusClass, type KnownStatus } from '../domain/index.js'
import { loginField, passwordField } from './institutions.js'
import type { Effect } from './protocol.js'
import { newGuid } from './random.js'
import {
  buildRound,
  isCorrectAnswer,
  planForPassword,
  SCENARIO_USERNAME,
  type Outcome,
  type Plan,
} from './scenarios.js'
import type { JobKind, JobRec, JobStatusName, MemberRec, SimState } from './state.js'
import { aggregationWebhook, connectionStatusWebhook, jobWebhook } from './webhook-payloads.js'

/**
 * Jobs on the simulated clock (simulator.md "Jobs progress on the simulated clock"). A job's state is a
 * function of time: every request first advances the members it touches to `now`, resolving each phase at
 * the exact simulated instant it ended, so results never depend on when a timer happened to fire.
 */

// Statuses an aggregation cannot change: MX keeps them whatever the credentials (§4).
const STICKY = new Set<KnownStatus>(['DISCONTINUED', 'CLOSED', 'DISABLED'])

/** The member's most recent job. */
export function currentJob(state: SimState, member: MemberRec): JobRec | undefined {
  return member.jobGuid === null ? undefined : state.jobs.get(member.jobGuid)
}

/** True while the member's job is open (running, DELAYED or waiting on MFA): no second job may start (§8.3). */
export function hasOpenJob(state: SimState, member: MemberRec): boolean {
  const job = currentJob(state, member)
  return job !== undefined && job.phase !== 'done'
}

/**
 * True for a member with `connection_status: null` and no credentials (§4: "member has no credentials (e.g.
 * manual member)", nothing to aggregate): aggregate answers it as it is and starts no job.
 */
export function nothingToAggregate(member: MemberRec): boolean {
  return (
    member.status === null &&
    !member.isOauth &&
    member.credentials.every((c) => c.value === null || c.value === '')
  )
}

function schedule(state: SimState, at: number, memberGuid: string): void {
  if (state.options.emitWebhooks) state.wakeups.push(at, memberGuid)
}

function setStatus(member: MemberRec, status: KnownStatus, at: number): void {
  member.status = status
  member.updatedAt = Math.max(member.updatedAt, at)
  member.revision += 1
}

/** What the next aggregation of `member` will do, decided when the job starts. */
export function planFor(state: SimState, member: MemberRec): Plan {
  const status = member.status
  if (status !== null && STICKY.has(status)) return { rounds: [], outcome: status as Outcome }
  if (member.isOauth) return { rounds: [], outcome: member.oauthAuthorized ? 'CONNECTED' : 'PENDING' }
  // §4 PREVENTED: MX stopped trying; only fresh credentials make it try again.
  if (member.denials >= state.options.maxDenials && !member.credentialsFresh)
    return { rounds: [], outcome: 'PREVENTED' }
  const filled = member.credentials.filter((c) => c.value !== null && c.value !== '')
  if (member.credentials.length > 0 && filled.length === 0) return { rounds: [], outcome: 'IMPORTED' }
  if (member.credentials.some((c) => !c.field.optional && (c.value === null || c.value === ''))) {
    return { rounds: [], outcome: 'IMPAIRED' }
  }
  const login = loginField(member.institution)
  const password = passwordField(member.institution)
  const username = member.credentials.find((c) => c.field === login)?.value ?? null
  const secret = member.credentials.find((c) => c.field === password)?.value ?? ''
  if (login !== undefined && username !== SCENARIO_USERNAME) return { rounds: [], outcome: 'DENIED' }
  const chosen = planForPassword(secret)
  // §4 RECONNECTED: the next run will probably need a one-time code.
  if (status === 'RECONNECTED' && chosen.rounds[0] !== 'TOKEN')
    return { ...chosen, rounds: ['TOKEN', ...chosen.rounds] }
  return chosen
}

/** Starts a job for `member` (caller checked that none is open). */
export function startJob(
  state: SimState,
  member: MemberRec,
  kind: JobKind,
  now: number,
  plan = planFor(state, member),
): JobRec {
  const guid = newGuid(state.rng, 'JOB')
  const job: JobRec = {
    guid,
    memberGuid: member.guid,
    userGuid: member.userGuid,
    institutionGuid: member.institution.guid,
    kind,
    plan,
    round: 0,
    phase: 'running',
    phaseEnd: now + state.options.jobDurationMs,
    verdict: null,
    challenges: null,
    legacyAnswers: null,
    status: 'REQUESTED',
    isAuthenticated: false,
    errorMessage: null,
    createdAt: now,
    finishedAt: null,
    updatedAt: now,
  }
  state.jobs.set(guid, job)
  member.jobGuids.push(guid)
  member.jobGuid = guid
  member.aggregatedAt = now
  member.credentialsFresh = false
  // While it runs the member shows UPDATED after new credentials, CREATED after a create, and otherwise
  // keeps its status with is_being_aggregated true (§3.1, §8.1: clients wait on the flag).
  const showing: KnownStatus =
    kind === 'update'
      ? 'UPDATED'
      : kind === 'create'
        ? 'CREATED'
        : kind === 'oauth'
          ? 'CONNECTED'
          : (member.status ?? 'CREATED')
  setStatus(member, showing, now)
  schedule(state, job.phaseEnd, member.guid)
  state.counters.jobsStarted += 1
  return job
}

function jobStatusFor(status: KnownStatus): JobStatusName {
  if (status === 'CONNECTED') return 'COMPLETED'
  if (status === 'DENIED') return 'DENIED'
  if (status === 'PREVENTED') return 'PREVENTED'
  return 'HALTED'
}

function finish(
  state: SimState,
  member: MemberRec,
  job: JobRec,
  outcome: KnownStatus,
  at: number,
  effects: Effect[],
): void {
  let status = outcome
  if (outcome === 'DENIED') {
    member.denials = Math.min(member.denials + 1, state.options.maxDenials)
    // §4: three consecutive credential failures make the member PREVENTED.
    if (member.denials >= state.options.maxDenials) status = 'PREVENTED'
  } else if (outcome === 'CONNECTED') {
    member.denials = 0
  }
  job.phase = 'done'
  job.challenges = null
  job.verdict = null
  job.finishedAt = at
  job.updatedAt = at
  job.status = jobStatusFor(status)
  // §5 is_authenticated: credentials and any MFA accepted.
  job.isAuthenticated = status === 'CONNECTED'
  job.errorMessage = status === 'CONNECTED' ? null : `Aggregation ended with ${status}.`
  if (status === 'CONNECTED') member.successfullyAggregatedAt = at
  setStatus(member, status, at)
  connectionStatusWebhook(state, effects, member, status, at)
  if (status === 'CONNECTED') aggregationWebhook(state, effects, member, job, at)
  jobWebhook(state, effects, member, job, at)
}

function challenge(state: SimState, member: MemberRec, job: JobRec, at: number, effects: Effect[]): void {
  const type = job.plan.rounds[job.round] ?? 'TEXT'
  job.phase = 'challenged'
  job.challenges = buildRound(state.rng, type)
  job.legacyAnswers = null
  job.phaseEnd = at + state.options.challengeTtlMs
  job.status = 'CHALLENGED'
  job.updatedAt = at
  // Being challenged means the credentials were accepted: the DENIED streak ends.
  member.denials = 0
  setStatus(member, 'CHALLENGED', at)
  schedule(state, job.phaseEnd, member.guid)
  connectionStatusWebhook(state, effects, member, 'CHALLENGED', at)
  jobWebhook(state, effects, member, job, at)
}

function resolvePhase(state: SimState, member: MemberRec, job: JobRec, effects: Effect[]): void {
  const at = job.phaseEnd
  switch (job.phase) {
    case 'running': {
      if (job.verdict === 'fail') return finish(state, member, job, 'REJECTED', at, effects)
      job.verdict = null
      if (job.round < job.plan.rounds.length) return challenge(state, member, job, at, effects)
      if (job.plan.outcome === 'DELAYED') {
        job.phase = 'delayed'
        job.phaseEnd = at + state.options.delayedMs
        job.isAuthenticated = true
        job.updatedAt = at
        setStatus(member, 'DELAYED', at)
        schedule(state, job.phaseEnd, member.guid)
        return
      }
      return finish(state, member, job, job.plan.outcome, at, effects)
    }
    case 'delayed':
      return finish(state, member, job, 'CONNECTED', at, effects)
    case 'challenged':
      // §3.7 / §4: a challenge left unanswered turns EXPIRED.
      return finish(state, member, job, 'EXPIRED', at, effects)
    case 'done':
      return
  }
}

/** Brings `member` up to simulated time `now`, resolving every phase that ended by then. */
export function advanceMember(state: SimState, member: MemberRec, now: number, effects: Effect[]): void {
  const job = currentJob(state, member)
  if (job === undefined) return
  // Each resolution moves phaseEnd forward or finishes the job, and rounds are finite, so this ends.
  while (job.phase !== 'done' && job.phaseEnd <= now) resolvePhase(state, member, job, effects)
}

/**
 * Answers the current MFA round. The caller validated that every challenge of the round is answered and
 * no other guid appears. The verdict is applied when the phase ends; meanwhile the member shows `showing`
 * (RESUMED after a resume; UPDATED when the answers came through update member, as MX's guide shows).
 */
export function resumeJob(
  state: SimState,
  member: MemberRec,
  job: JobRec,
  answers: ReadonlyMap<string, string>,
  now: number,
  showing: 'RESUMED' | 'UPDATED' = 'RESUMED',
): void {
  const round = job.challenges ?? []
  const pass = round.every((c) => {
    const answer = answers.get(c.guid)
    return answer !== undefined && isCorrectAnswer(c, answer)
  })
  job.verdict = pass ? 'pass' : 'fail'
  if (pass) job.round += 1
  job.phase = 'running'
  job.challenges = null
  job.legacyAnswers = null
  job.phaseEnd = now + state.options.jobDurationMs
  job.status = 'REQUESTED'
  job.updatedAt = now
  setStatus(member, showing, now)
  schedule(state, job.phaseEnd, member.guid)
}

/** Puts a seeded member straight into a CHALLENGED round (simulator.md: seed statuses). */
export function seedChallenge(state: SimState, member: MemberRec, now: number): JobRec {
  const chosen = planFor(state, member)
  // A seeded CHALLENGED member asks its password's first round; other passwords get one TEXT round.
  const plan: Plan = chosen.rounds.length > 0 ? chosen : { rounds: ['TEXT'], outcome: chosen.outcome }
  const job = startJob(state, member, 'seed', now, plan)
  challenge(state, member, job, now, [])
  return job
}

/** Records a finished job for a seeded member so `most_recent_job_guid` points somewhere real. */
export function seedFinishedJob(state: SimState, member: MemberRec, status: KnownStatus, at: number): void {
  const guid = newGuid(state.rng, 'JOB')
  state.jobs.set(guid, {
    guid,
    memberGuid: member.guid,
    userGuid: member.userGuid,
    institutionGuid: member.institution.guid,
    kind: 'seed',
    plan: { rounds: [], outcome: 'CONNECTED' },
    round: 0,
    phase: 'done',
    phaseEnd: at,
    verdict: null,
    challenges: null,
    legacyAnswers: null,
    status: jobStatusFor(status),
    isAuthenticated: status === 'CONNECTED',
    errorMessage: status === 'CONNECTED' ? null : `Aggregation ended with ${status}.`,
    createdAt: at,
    finishedAt: at,
    updatedAt: at,
  })
  member.jobGuids.push(guid)
  member.jobGuid = guid
}

/** True when `status` means an OAuth member still has a usable token (seeded OAuth members). */
export function oauthAuthorizedFor(status: KnownStatus): boolean {
  const cls = statusClass(status)
  return cls !== 'needsCredentials' && cls !== 'needsOAuth' && cls !== 'needsMfa'
}

/**
 * Processes every wake-up due by `now` (the server's timer calls this so webhooks go out on time). Stale
 * wake-ups (a member already advanced by a request, or deleted) are harmless no-ops. Wake-ups are kept
 * only when the state was created with `emitWebhooks: true`.
 *
 * @example
 * ```ts
 * const effects = tick(state, now) // webhook effects of every change due by `now`
 * ```
 */
export function tick(state: SimState, now: number): Effect[] {
  const effects: Effect[] = []
  const heap = state.wakeups
  for (let next = heap.peek(); next !== undefined && next <= now; next = heap.peek()) {
    const member = state.members.get(heap.pop())
    if (member !== undefined) advanceMember(state, member, now, effects)
  }
  return effects
}

/** The next simulated time at which something is scheduled (undefined when nothing is). */
export function nextWakeup(state: SimState): number | undefined {
  return state.wakeups.peek()
}
