import { statusClass, toConnectionStatus } from '../../src/domain/connection-status.js'
import {
  toChallengePrompts,
  toCredentialPrompts,
  toMemberView,
  type Attempts,
  type LifecycleContext,
  type PendingTrigger,
  type RetryStep,
  type ValidationError,
} from './context.js'
import type { ChallengesRead, CredentialsRead, MemberRead, ServiceFailure } from './events.js'
import { isIdleTransient } from './guards.js'
import type { Outcome } from './outcomes.js'
import { firstPollDelay, nextRandom, pollDelay, retryDelay } from './policy.js'

// Pure context updaters behind the machine's assign actions. Time only ever comes from an actor's `at`
// (docs/decisions/0002), randomness only from the seed in context.

type Patch = Partial<LifecycleContext>

/** The attempts after a trigger of this kind took effect: an update is a credential attempt, the rest MFA. */
function counted(context: LifecycleContext, kind: PendingTrigger['kind'] | 'mfa'): Attempts {
  const budget = kind === 'update' ? 'credentials' : 'mfa'
  return { ...context.attempts, [budget]: context.attempts[budget] + 1 }
}

/**
 * A member read arrived: it is now "the last member read" every decision looks at. After a restore lost a
 * submission's answer, the read tells whether it took effect (a new job; a status that moved on) and so
 * whether it counts (lifecycle.md, Restore: "was the job started?").
 */
export function afterRead(context: LifecycleContext, read: MemberRead): Patch {
  const member = toMemberView(read.member)
  // Idle only when MX says so: a read without `is_being_aggregated` (sloppy payloads, §12) may hide a job.
  const saysIdle = read.member.is_being_aggregated === false
  const idle = saysIdle && isIdleTransient(member.status, member.aggregating)
  const idleReads = idle ? (context.idleReads ?? 0) + 1 : 0
  const base: Patch = { observedAt: read.at, member, streak: 0, error: null, idleReads }
  const pending = context.pending
  if (pending === null) return base
  const jobMoved = member.jobGuid !== pending.jobGuid
  if (pending.kind !== 'resume') {
    // Update and aggregate start a job: a new job, or one running, means it was started.
    const status = member.status === null ? null : toConnectionStatus(member.status)
    const before = pending.kind === 'update' ? 'needsCredentials' : 'needsMfa'
    const took = jobMoved || member.aggregating || status === null || statusClass(status) !== before
    return { ...base, pending: null, ...(took ? { attempts: counted(context, pending.kind) } : {}) }
  }
  if (member.status !== 'CHALLENGED' || jobMoved)
    // Stryker disable next-line StringLiteral: equivalent, counted() only tells 'update' from the rest
    return { ...base, pending: null, attempts: counted(context, 'resume') }
  return base // still CHALLENGED on the same job: the challenge list decides (promptMfa)
}

/** A timer fired. */
export function afterWait(at: number): Patch {
  return { observedAt: at }
}

/**
 * Keep waiting on the job: the next read is due after the poll backoff (never earlier than the floor
 * after this read, §8.1), and not after the job deadline, which a read at the deadline then enforces.
 */
export function scheduleNextPoll(context: LifecycleContext): Patch {
  const at = context.observedAt ?? 0
  const [random, seed] = nextRandom(context.seed)
  const polls = context.polls + 1
  const jobDeadline = context.jobDeadline ?? at + context.policy.jobMs
  const wakeAt = Math.max(
    at + context.policy.pollFloorMs,
    Math.min(at + pollDelay(context.policy, polls, random), jobDeadline),
  )
  return { seed, polls, jobDeadline, wakeAt }
}

/** Leaving the job wait for a step that will start a new job: the old deadline no longer applies. */
export function leaveJob(): Patch {
  return { jobDeadline: null, polls: 0, idleReads: 0 }
}

/** A trigger (update, resume, aggregate) was accepted: wait on the job it started (§8.1 step 1–2). */
export function afterTrigger(context: LifecycleContext, at: number): Patch {
  return {
    ...(context.pending ? { attempts: counted(context, context.pending.kind), pending: null } : {}),
    observedAt: at,
    streak: 0,
    error: null,
    submissionId: null,
    jobDeadline: at + context.policy.jobMs,
    polls: 0,
    idleReads: 0,
    wakeAt: at + firstPollDelay(context.policy),
  }
}

/**
 * A trigger whose reply was lost (reset, timeout, 5xx, unreadable 2xx): it may have reached MX, so it is
 * never sent again. It counts as an attempt (it may have been a login at the bank) and the lifecycle waits
 * on the member as after an accepted trigger; the next read decides (docs/decisions/0007).
 */
export function afterUnknownOutcome(context: LifecycleContext, failure: ServiceFailure): Patch {
  return { ...afterTrigger(context, failure.at), error: failure.error }
}

/** `GET …/aggregate` answered 409: a job is already running (§9, §12). It counts; wait on that job. */
export function joinRunningJob(context: LifecycleContext, failure: ServiceFailure): Patch {
  return { ...afterTrigger(context, failure.at), error: failure.error }
}

/** Credential fields were listed: ask for them, with a fresh user deadline. */
export function promptCredentials(context: LifecycleContext, read: CredentialsRead): Patch {
  return {
    observedAt: read.at,
    streak: 0,
    error: null,
    fields: toCredentialPrompts(read.fields),
    challenges: null,
    validation: null,
    userDeadline: read.at + context.policy.userResponseMs,
  }
}

/**
 * Challenges were listed: ask them, with a fresh user deadline. A pending MFA submission (restored) took
 * effect if this is a new round: its guids differ from the ones answered.
 */
export function promptMfa(context: LifecycleContext, read: ChallengesRead): Patch {
  const pending = context.pending
  const guids = read.challenges.map((c) => c.guid)
  const took =
    pending !== null &&
    (pending.challengeGuids?.length !== guids.length ||
      // Stryker disable next-line OptionalChaining: equivalent, the length check above short-circuits when undefined
      !guids.every((g) => pending.challengeGuids?.includes(g)))
  return {
    pending: null,
    // Stryker disable next-line StringLiteral: equivalent, counted() only tells 'update' from the rest
    ...(took ? { attempts: counted(context, 'mfa') } : {}),
    observedAt: read.at,
    streak: 0,
    error: null,
    challenges: toChallengePrompts(read.challenges),
    fields: null,
    validation: null,
    userDeadline: read.at + context.policy.userResponseMs,
  }
}

/** An empty challenge list still uses up an MFA round, so a server that keeps answering so cannot loop us. */
export function afterEmptyChallenges(context: LifecycleContext, at: number): Patch {
  // Stryker disable next-line StringLiteral: equivalent, counted() only tells 'update' from the rest
  return { observedAt: at, streak: 0, pending: null, attempts: counted(context, 'mfa') }
}

/** A valid credential submission: pending until MX answers it (then it counts as an attempt). */
export function acceptCredentials(context: LifecycleContext, submissionId: string): Patch {
  return {
    submissionId,
    validation: null,
    pending: { kind: 'update', jobGuid: context.member?.jobGuid ?? null },
  }
}

/** Valid MFA answers: pending until MX answers them (then they count as an MFA round). */
export function acceptAnswers(context: LifecycleContext, submissionId: string): Patch {
  return {
    submissionId,
    validation: null,
    pending: {
      kind: 'resume',
      jobGuid: context.member?.jobGuid ?? null,
      challengeGuids: (context.challenges ?? []).map((c) => c.guid),
    },
  }
}

/** MX refused a submission (400 / 405): it was answered, so it counts. */
export function refusedSubmission(context: LifecycleContext, failure: ServiceFailure): Patch {
  return {
    ...recordFailure(failure),
    submissionId: null,
    ...(context.pending ? { attempts: counted(context, context.pending.kind), pending: null } : {}),
  }
}

/** A fresh aggregation after REJECTED/EXPIRED: it counts against the MFA budget once MX answers it. */
export function startAggregation(context: LifecycleContext): Patch {
  return { pending: { kind: 'aggregate', jobGuid: context.member?.jobGuid ?? null }, ...leaveJob() }
}

/** An invalid submission stays in the awaiting state with the reason (no values) in context. */
export function rejectSubmission(validation: ValidationError): Patch {
  return { validation }
}

/** A retryable failure within budget: back off (Retry-After honoured), then re-enter `step`. */
export function scheduleRetry(context: LifecycleContext, failure: ServiceFailure, step: RetryStep): Patch {
  const [random, seed] = nextRandom(context.seed)
  const streak = context.streak + 1
  return {
    seed,
    streak,
    observedAt: failure.at,
    error: failure.error,
    retryStep: step,
    attempts: { ...context.attempts, service: context.attempts.service + 1 },
    wakeAt: failure.at + retryDelay(context.policy, streak, failure.error.retryAfterMs, random),
  }
}

/** A failure that is handled without retrying: keep it as data. */
export function recordFailure(failure: ServiceFailure): Patch {
  return { observedAt: failure.at, error: failure.error }
}

/** A final state was reached. */
export function settle(context: LifecycleContext, outcome: Outcome): Patch {
  return {
    outcome,
    wakeAt: null,
    submissionId: null,
    retryAfter: outcome === 'retryLater' ? context.policy.retryLaterMs : null,
  }
}
