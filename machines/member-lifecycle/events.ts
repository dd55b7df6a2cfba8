import type { ErrorClass, ErrorData } from '../../src/domain/errors.js'
import type { Challenge, CredentialField, JobStart, Member, Webhook } from '../../src/domain/schemas/index.js'
import type { ChallengePrompt, CredentialPrompt, LifecycleContext } from './context.js'
import type { LifecycleOutput } from './outcomes.js'

// ---------------------------------------------------------------------------------------------------
// Host → machine events (lifecycle.md, Events). Secrets never travel in a machine event: the host (or
// the bridge's `submit` helpers) deposits values in a vault and sends a submission handle plus, per
// entry, the guid and whether the value is empty, which is all validation needs (decisions/0003).
// ---------------------------------------------------------------------------------------------------

/**
 * One submitted entry, without its value.
 *
 * @example
 * ```ts
 * // What the machine sees of `submitCredentials(actor, [{ guid: 'CRD-1', value: 'mxuser' }])`:
 * const entry: SubmittedEntry = { guid: 'CRD-1', empty: false }
 * ```
 */
export interface SubmittedEntry {
  readonly guid: string
  /** True when the value the user gave is the empty string. */
  readonly empty: boolean
}

/**
 * Credentials the user gave (values held in the vault under `submissionId`).
 *
 * @example
 * ```ts
 * // lifecycle.submitCredentials(actor, values) puts the values in its vault and sends the machine only:
 * const event: CredentialsSubmitEvent = { type: 'credentials.submit', submissionId, credentials: [{ guid: 'CRD-1', empty: false }] }
 * ```
 */
export interface CredentialsSubmitEvent {
  readonly type: 'credentials.submit'
  readonly submissionId: string
  readonly credentials: readonly SubmittedEntry[]
}

/**
 * MFA answers the user gave (values held in the vault under `submissionId`).
 *
 * @example
 * ```ts
 * // lifecycle.submitMfa(actor, answers) puts the answers in its vault and sends the machine only:
 * const event: MfaSubmitEvent = { type: 'mfa.submit', submissionId, answers: [{ guid: 'CHL-1', empty: false }] }
 * ```
 */
export interface MfaSubmitEvent {
  readonly type: 'mfa.submit'
  readonly submissionId: string
  readonly answers: readonly SubmittedEntry[]
}

/**
 * A decoded MX webhook (§8.2, `schemas.webhook`).
 *
 * @example
 * ```ts
 * // lifecycle.webhook(actor, body) decodes MX's body and sends:
 * const event: MemberWebhookEvent = { type: 'member.webhook', payload: schemas.webhook.parse(body) }
 * ```
 */
export interface MemberWebhookEvent {
  readonly type: 'member.webhook'
  readonly payload: Webhook
}

/**
 * The host gives up on this lifecycle.
 *
 * @example
 * ```ts
 * const cancel: CancelEvent = { type: 'cancel' }
 * actor.send(cancel) // the lifecycle ends with outcome 'cancelled'
 * ```
 */
export interface CancelEvent {
  readonly type: 'cancel'
}

/**
 * Every event a host may send.
 *
 * @example
 * ```ts
 * const events: LifecycleEvent[] = [{ type: 'cancel' }]
 * for (const event of events) actor.send(event)
 * ```
 */
export type LifecycleEvent = CredentialsSubmitEvent | MfaSubmitEvent | MemberWebhookEvent | CancelEvent

// ---------------------------------------------------------------------------------------------------
// Machine → host emitted events (XState `emit`). Non-secret data only.
// ---------------------------------------------------------------------------------------------------

/**
 * The user must give credentials for these fields before `deadline`.
 *
 * @example
 * ```ts
 * actor.on('credentials.required', (event: CredentialsRequiredEvent) => {
 *   notifyUser(event.memberGuid, event.fields, new Date(event.deadline))
 * })
 * ```
 */
export interface CredentialsRequiredEvent {
  readonly type: 'credentials.required'
  readonly memberGuid: string
  readonly fields: readonly CredentialPrompt[]
  readonly deadline: number
  /** 1 for the first credential update, 2 for the second... */
  readonly attempt: number
}

/**
 * The user must answer these challenges before `deadline`.
 *
 * @example
 * ```ts
 * actor.on('mfa.required', (event: MfaRequiredEvent) => {
 *   if (event.round > 1) console.log('MX asks again')
 *   notifyUser(event.memberGuid, event.challenges, new Date(event.deadline))
 * })
 * ```
 */
export interface MfaRequiredEvent {
  readonly type: 'mfa.required'
  readonly memberGuid: string
  readonly challenges: readonly ChallengePrompt[]
  readonly deadline: number
  /** 1 for the first MFA round of this lifecycle, 2 for the next... */
  readonly round: number
}

/**
 * The lifecycle ended.
 *
 * @example
 * ```ts
 * actor.on('outcome', ({ output }: OutcomeEvent) => console.log(output.memberGuid, output.outcome))
 * ```
 */
export interface OutcomeEvent {
  readonly type: 'outcome'
  readonly output: LifecycleOutput
}

/**
 * Every event the machine emits.
 *
 * @example
 * ```ts
 * actor.on('*', (event: LifecycleEmitted) => audit.record(event.type))
 * ```
 */
export type LifecycleEmitted = CredentialsRequiredEvent | MfaRequiredEvent | OutcomeEvent

// ---------------------------------------------------------------------------------------------------
// Actor contract. Every actor output carries `at`: the time (epoch ms, the bridge's clock) at which the
// result was observed; it is the machine's only source of time (decisions/0002). Actors reject with a
// `ServiceFailure`, which is plain data.
// ---------------------------------------------------------------------------------------------------

/**
 * Which member, in whose session (§1).
 *
 * @example
 * ```ts
 * const request: MemberRequest = { userId: 'partner-user-1', memberGuid: 'MBR-1' }
 * ```
 */
export interface MemberRequest {
  readonly userId: string
  readonly memberGuid: string
}

/**
 * Input of `readMember`. `notBeforeIfRerun` matters only when the read is re-run after a restore: the
 * interrupted read may have reached MX, so a re-run must not read before this time (invariant 3).
 *
 * @example
 * ```ts
 * const readMember = fromPromise<MemberRead, ReadMemberInput>(async ({ input, signal }) => ({
 *   member: await client.readMember({ ...input, signal }),
 *   at: Date.now(),
 * }))
 * ```
 */
export interface ReadMemberInput extends MemberRequest {
  readonly notBeforeIfRerun?: number
}

/**
 * Input of `updateMember` / `resumeAggregation`: a handle to values held outside the machine.
 *
 * @example
 * ```ts
 * const updateMember = fromPromise<Triggered, SubmissionRequest>(async ({ input, signal }) => {
 *   const credentials = vault.checkout(input.submissionId) ?? []
 *   return { member: await client.updateMember({ ...input, credentials, signal }), at: Date.now() }
 * })
 * ```
 */
export interface SubmissionRequest extends MemberRequest {
  readonly submissionId: string
}

/**
 * Input of `wait`: resolve at (or after) this absolute time.
 *
 * @example
 * ```ts
 * const wait = fromPromise<Stamped, WaitInput>(async ({ input, signal }) => {
 *   await systemClock.sleep(Math.max(0, input.until - Date.now()), signal)
 *   return { at: Date.now() }
 * })
 * ```
 */
export interface WaitInput {
  readonly until: number
}

/**
 * A time stamp: when the result was observed.
 *
 * @example
 * ```ts
 * const observed: Stamped = { at: Date.now() } // every actor result says when it was seen
 * ```
 */
export interface Stamped {
  readonly at: number
}

/**
 * Output of `readMember`: the member as MX returned it.
 *
 * @example
 * ```ts
 * const read: MemberRead = { member: await client.readMember({ userId, memberGuid }), at: Date.now() }
 * ```
 */
export interface MemberRead extends Stamped {
  readonly member: Member
}
/**
 * Output of `listCredentials`: the institution's credential fields.
 *
 * @example
 * ```ts
 * const read: CredentialsRead = { fields: await client.listMemberCredentials({ userId, memberGuid }), at: Date.now() }
 * ```
 */
export interface CredentialsRead extends Stamped {
  readonly fields: readonly CredentialField[]
}
/**
 * Output of `listChallenges`: the member's open MFA challenges.
 *
 * @example
 * ```ts
 * const read: ChallengesRead = { challenges: await client.listMemberChallenges({ userId, memberGuid }), at: Date.now() }
 * ```
 */
export interface ChallengesRead extends Stamped {
  readonly challenges: readonly Challenge[]
}
/**
 * A trigger (update, resume, aggregate) was accepted.
 *
 * @example
 * ```ts
 * const started: Triggered = { member: await client.aggregateMember({ userId, memberGuid }), at: Date.now() }
 * ```
 */
export interface Triggered extends Stamped {
  readonly member?: Member | JobStart | undefined
}
/**
 * Output of `fetchOAuthUri`: the OAuth window URL the user must open.
 *
 * @example
 * ```ts
 * const window: OAuthUri = { uri: await client.oauthWindowUri({ userId, memberGuid }), at: Date.now() }
 * ```
 */
export interface OAuthUri extends Stamped {
  readonly uri: string
}

/**
 * Why an actor failed, as data: the error (`toErrorData`), its class (`classify`), and when.
 *
 * @example
 * ```ts
 * // How a custom actor rejects: plain data the machine stores and retries on.
 * const failure: ServiceFailure = { _tag: 'ServiceFailure', at: Date.now(), error: toErrorData(error), errorClass: 'retry' }
 * throw failure
 * ```
 */
export interface ServiceFailure {
  readonly _tag: 'ServiceFailure'
  readonly at: number
  readonly error: ErrorData
  readonly errorClass: ErrorClass
}

/**
 * A `ServiceFailure` that is also an `Error` (so it can be thrown and rejected like one). Its message is
 * the error's message, which never carries a secret (house rule 8).
 */
export class ServiceFailureError extends Error implements ServiceFailure {
  readonly _tag = 'ServiceFailure' as const

  constructor(
    readonly at: number,
    readonly error: ErrorData,
    readonly errorClass: ErrorClass,
  ) {
    super(error.message)
    this.name = 'ServiceFailure'
  }
}

/**
 * `_tag` of the failure a trigger actor (update, resume, aggregate) reports when it sent nothing: it was
 * re-run after a restore (the interrupted request may have reached MX), or its submitted values are gone.
 * The machine then re-reads the member to learn whether the trigger took effect (lifecycle.md, Restore).
 */
export const NOT_SENT = 'NotSent'

/** True for a `ServiceFailure`-shaped value. */
export function isServiceFailure(value: unknown): value is ServiceFailure {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { _tag?: unknown })._tag === 'ServiceFailure' &&
    typeof (value as { at?: unknown }).at === 'number'
  )
}

/**
 * Any actor rejection as a `ServiceFailure`. Something that is not one (a bug, or a host's own actor
 * breaking the contract) is fatal, stamped with the last time the machine observed.
 */
export function asFailure(value: unknown, fallbackAt: number): ServiceFailure {
  if (isServiceFailure(value)) return value
  const tag =
    typeof value === 'object' && value !== null && typeof (value as { _tag?: unknown })._tag === 'string'
      ? (value as { _tag: string })._tag
      : 'UnknownError'
  return {
    _tag: 'ServiceFailure',
    at: fallbackAt,
    error: { _tag: tag, message: 'actor rejected with a value that is not a ServiceFailure' },
    errorClass: 'fatal',
  }
}

/** The `credentials.required` prompt for the fields in context. */
export function credentialsPrompt(context: LifecycleContext): CredentialsRequiredEvent {
  return {
    type: 'credentials.required',
    memberGuid: context.memberGuid,
    fields: context.fields ?? [],
    deadline: context.userDeadline ?? 0,
    attempt: context.attempts.credentials + 1,
  }
}

/** The `mfa.required` prompt for the challenges in context. */
export function mfaPrompt(context: LifecycleContext): MfaRequiredEvent {
  return {
    type: 'mfa.required',
    memberGuid: context.memberGuid,
    challenges: context.challenges ?? [],
    deadline: context.userDeadline ?? 0,
    round: context.attempts.mfa + 1,
  }
}

/**
 * The prompt a lifecycle is waiting on, rebuilt from a snapshot (for a host that restored an actor in an
 * awaiting state: entry actions, and so the emitted prompt, do not run again on restore).
 *
 * @example
 * ```ts
 * const actor = lifecycle.restore(stored)
 * const prompt = promptOf(actor.getSnapshot()) // { type: 'credentials.required', fields, deadline, … } | undefined
 * ```
 */
export function promptOf(snapshot: {
  readonly value: unknown
  readonly context: LifecycleContext
}): CredentialsRequiredEvent | MfaRequiredEvent | undefined {
  const { value, context } = snapshot
  if (typeof value !== 'object' || value === null) return undefined
  const state = value as Record<string, unknown>
  if (state['credentials'] === 'awaiting') return credentialsPrompt(context)
  if (state['mfa'] === 'awaiting') return mfaPrompt(context)
  return undefined
}
