import { statusName } from '../../src/domain/connection-status.js'
import type { ErrorData } from '../../src/domain/errors.js'
import type { Challenge, CredentialField, Member, Option } from '../../src/domain/schemas/index.js'
import { FIELD_TYPES } from '../../src/domain/schemas/credentials.js'
import type { Outcome } from './outcomes.js'
import { resolvePolicy, seedFrom, type LifecyclePolicy, type PolicyInput } from './policy.js'

// Context holds only non-secret data (lifecycle.md, "Input, context, output"; house rule 8): the last
// member read, the prompt being asked (labels, types, options — never values), counters, absolute
// deadlines and the last error as plain data. It is what a host persists, so it is kept small.

/**
 * Input of one lifecycle: the partner's user id (it keys the session, §1) and the member.
 *
 * @example
 * ```ts
 * const actor = createMemberLifecycle(client).start({
 *   userId: 'partner-user-1',
 *   memberGuid: 'MBR-1',
 *   policy: { userResponseMs: 5 * 60_000 },
 * } satisfies LifecycleInput)
 * ```
 */
export interface LifecycleInput {
  readonly userId: string
  readonly memberGuid: string
  readonly policy?: PolicyInput
  /** Seed of the jitter sequence; defaults to a hash of the member guid. */
  readonly seed?: number
}

/**
 * The fields of the last member read the lifecycle decides on (§3.1).
 *
 * @example
 * ```ts
 * const member: MemberView | null = actor.getSnapshot().context.member
 * if (member?.status === 'CHALLENGED' && !member.aggregating) console.log(member.message)
 * ```
 */
export interface MemberView {
  /** `connection_status` as MX spells it (unknown statuses kept verbatim), or null for a member without credentials. */
  readonly status: string | null
  readonly message: string | null
  readonly aggregating: boolean
  readonly jobGuid: string | null
  readonly isOauth: boolean
}

/**
 * An option of an OPTIONS / IMAGE_OPTIONS field or challenge (§6).
 *
 * @example
 * ```ts
 * actor.on('mfa.required', ({ challenges }) => {
 *   const options: readonly OptionPrompt[] = challenges[0]?.options ?? []
 *   for (const option of options) console.log(option.label, option.value)
 * })
 * ```
 */
export interface OptionPrompt {
  readonly label: string | null
  readonly value: string | null
  readonly guid?: string
  readonly dataUri?: string
}

/**
 * A credential field to ask the user for (§3.5). Never carries a value.
 *
 * @example
 * ```ts
 * actor.on('credentials.required', ({ fields }) => {
 *   const form = fields.map((field: CredentialPrompt) => ({
 *     guid: field.guid,
 *     label: field.label ?? field.fieldName ?? 'value',
 *     secret: field.type === 'PASSWORD',
 *   }))
 *   showForm(form)
 * })
 * ```
 */
export interface CredentialPrompt {
  readonly guid: string
  readonly label: string | null
  readonly fieldName: string | null
  /** `field_type_name`, or the name of the numeric `field_type` (§3.5). */
  readonly type: string | null
  readonly optional: boolean
  readonly displayOrder?: number
  readonly options?: readonly OptionPrompt[]
}

/**
 * An MFA challenge to ask the user (§3.7, §6).
 *
 * @example
 * ```ts
 * actor.on('mfa.required', ({ challenges }) => {
 *   for (const challenge of challenges as readonly ChallengePrompt[]) {
 *     if (challenge.type === 'TEXT' || challenge.type === 'TOKEN') askText(challenge.guid, challenge.label)
 *     else askChoice(challenge.guid, challenge.options ?? challenge.imageOptions ?? [])
 *   }
 * })
 * ```
 */
export interface ChallengePrompt {
  readonly guid: string
  /** TEXT, TOKEN, OPTIONS, IMAGE_DATA, IMAGE_OPTIONS, or the raw type this version does not know. */
  readonly type: string
  readonly label: string | null
  readonly fieldName: string | null
  readonly options?: readonly OptionPrompt[]
  readonly imageData?: string
  readonly imageOptions?: readonly OptionPrompt[]
  /** Why MX's challenge looked odd (e.g. OPTIONS without options); shown anyway, never dropped (issue 10). */
  readonly issues?: readonly string[]
}

/**
 * Attempts made so far (lifecycle.md, Output).
 *
 * @example
 * ```ts
 * const attempts: Attempts = actor.getSnapshot().context.attempts
 * console.log(`${attempts.credentials} credential updates, ${attempts.mfa} MFA rounds`)
 * ```
 */
export interface Attempts {
  /** Credential updates MX answered, whose reply was lost (decisions/0007), or that a re-read shows took effect. */
  readonly credentials: number
  /**
   * MFA rounds: answers MX answered (or whose reply was lost), fresh aggregations (after REJECTED/EXPIRED,
   * or for a member with no job running; a 409 counts too), empty challenge lists.
   */
  readonly mfa: number
  /** Retries after retryable service failures. */
  readonly service: number
}

/**
 * Why a submission was refused without being sent (lifecycle.md, credentials.awaiting).
 *
 * @example
 * ```ts
 * const result = lifecycle.submitCredentials(actor, [{ guid: 'CRD-1', value: '' }])
 * const refused: ValidationError | undefined = result.validation
 * if (refused?.reason === 'emptyValue') askAgain(refused.guids)
 * ```
 */
export interface ValidationError {
  readonly reason: 'noSubmission' | 'duplicateGuid' | 'unknownGuid' | 'emptyValue' | 'missingField'
  readonly guids: readonly string[]
}

/**
 * A trigger (update, resume, fresh aggregation) sent or being sent whose effect is not confirmed yet. It
 * counts as an attempt when MX answers it, or, after a restore lost the answer, when a re-read shows it
 * took effect (lifecycle.md, Restore: "was the job started?"), so a restore neither loses nor double-counts
 * an attempt.
 *
 * @example
 * ```ts
 * const pending: PendingTrigger | null = actor.getSnapshot().context.pending
 * if (pending?.kind === 'resume') console.log('MFA answers sent, waiting for MX to confirm')
 * ```
 */
export interface PendingTrigger {
  readonly kind: 'update' | 'resume' | 'aggregate'
  /** `most_recent_job_guid` of the read the trigger answered. */
  readonly jobGuid: string | null
  /** Resume: the challenge guids of the round answered (they change between rounds, §6). */
  readonly challengeGuids?: readonly string[]
}

/**
 * The step a retry re-enters after `backingOff`.
 *
 * @example
 * ```ts
 * const step: RetryStep | null = actor.getSnapshot().context.retryStep
 * if (actor.getSnapshot().matches('backingOff')) console.log(`retrying ${step} soon`)
 * ```
 */
export type RetryStep =
  | 'loadingMember'
  | 'listingCredentials'
  | 'updating'
  | 'listingChallenges'
  | 'resuming'
  | 'aggregating'
  | 'polling'

/**
 * The machine's context. Every field is JSON data; times are epoch ms of the machine's clock.
 *
 * @example
 * ```ts
 * const context: LifecycleContext = actor.getSnapshot().context
 * if (context.wakeAt !== null) console.log(`next step at ${new Date(context.wakeAt).toISOString()}`)
 * ```
 */
export interface LifecycleContext {
  readonly userId: string
  readonly memberGuid: string
  readonly policy: LifecyclePolicy
  /** State of the jitter PRNG. */
  readonly seed: number
  /** Time of the latest actor result: the machine's notion of "now" (docs/decisions/0002). */
  readonly observedAt: number | null
  readonly member: MemberView | null
  readonly fields: readonly CredentialPrompt[] | null
  readonly challenges: readonly ChallengePrompt[] | null
  readonly attempts: Attempts
  /** Consecutive retryable failures (the service budget applies to this). */
  readonly streak: number
  /** Handle of the submission being sent (its values live only in the bridge's vault, decisions/0003). */
  readonly submissionId: string | null
  readonly pending: PendingTrigger | null
  readonly userDeadline: number | null
  readonly jobDeadline: number | null
  /** Reads since the last trigger (drives the poll backoff). */
  readonly polls: number
  /** Consecutive reads showing a transient status with no job running (guards.ts, `IDLE_READS`). */
  readonly idleReads: number
  /** When the machine next wakes up on its own, while it waits on a timer or on the user; else null. */
  readonly wakeAt: number | null
  readonly retryStep: RetryStep | null
  readonly error: ErrorData | null
  readonly validation: ValidationError | null
  readonly outcome: Outcome | null
  readonly retryAfter: number | null
  readonly oauthWindowUri: string | null
}

/** The context a lifecycle starts with. */
export function initialContext(input: LifecycleInput): LifecycleContext {
  return {
    userId: input.userId,
    memberGuid: input.memberGuid,
    policy: resolvePolicy(input.policy),
    seed: (input.seed ?? seedFrom(`${input.userId}/${input.memberGuid}`)) >>> 0,
    observedAt: null,
    member: null,
    fields: null,
    challenges: null,
    attempts: { credentials: 0, mfa: 0, service: 0 },
    streak: 0,
    submissionId: null,
    pending: null,
    userDeadline: null,
    jobDeadline: null,
    polls: 0,
    idleReads: 0,
    wakeAt: null,
    retryStep: null,
    error: null,
    validation: null,
    outcome: null,
    retryAfter: null,
    oauthWindowUri: null,
  }
}

/** The part of a member read the lifecycle keeps. */
export function toMemberView(member: Member): MemberView {
  return {
    status: member.connection_status === null ? null : statusName(member.connection_status),
    message: member.connection_status_message ?? null,
    aggregating: member.is_being_aggregated === true,
    jobGuid: member.most_recent_job_guid ?? null,
    isOauth: member.is_oauth === true,
  }
}

function toOption(option: Option): OptionPrompt {
  return {
    label: option.label ?? null,
    value: option.value ?? null,
    ...(option.guid ? { guid: option.guid } : {}),
    ...(option.data_uri ? { dataUri: option.data_uri } : {}),
  }
}

function fieldType(field: CredentialField): string | null {
  if (field.field_type_name) return field.field_type_name
  if (typeof field.field_type === 'number') return FIELD_TYPES[field.field_type] ?? String(field.field_type)
  return field.field_type ?? null
}

/** Credential fields as the user is asked for them, in display order. */
export function toCredentialPrompts(fields: readonly CredentialField[]): CredentialPrompt[] {
  return [...fields]
    .sort((a, b) => (a.display_order ?? 0) - (b.display_order ?? 0))
    .map((field) => ({
      guid: field.guid,
      label: field.label ?? null,
      fieldName: field.field_name ?? null,
      type: fieldType(field),
      optional: field.optional === true,
      ...(typeof field.display_order === 'number' ? { displayOrder: field.display_order } : {}),
      ...(field.options ? { options: field.options.map(toOption) } : {}),
    }))
}

/** Challenges as the user is asked them (§6); an odd one keeps its label and raw type, with `issues`. */
export function toChallengePrompts(challenges: readonly Challenge[]): ChallengePrompt[] {
  return challenges.map((challenge) => ({
    guid: challenge.guid,
    type: typeof challenge.type === 'string' ? challenge.type : challenge.type.raw,
    label: challenge.label ?? null,
    fieldName: challenge.field_name ?? null,
    ...(challenge.options ? { options: challenge.options.map(toOption) } : {}),
    ...(challenge.image_data ? { imageData: challenge.image_data } : {}),
    ...(challenge.image_options ? { imageOptions: challenge.image_options.map(toOption) } : {}),
    ...(challenge.issues && challenge.issues.length > 0 ? { issues: challenge.issues } : {}),
  }))
}
