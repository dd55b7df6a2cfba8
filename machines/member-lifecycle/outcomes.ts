import type { ErrorData } from '../../src/domain/errors.js'
import type { Attempts, LifecycleContext } from './context.js'

/**
 * How a lifecycle ended (lifecycle.md, outcome table).
 *
 * @example
 * ```ts
 * function nextStep(outcome: Outcome): string {
 *   return outcome === 'connected' ? 'nothing' : outcome.startsWith('needs') ? 'ask the user' : 'retry later'
 * }
 * ```
 */
export type Outcome =
  | 'connected'
  | 'needsCredentials'
  | 'needsMfa'
  | 'needsOAuth'
  | 'needsUserAtInstitution'
  | 'retryLater'
  | 'unrecoverable'
  | 'unknownStatus'
  | 'cancelled'
  | 'failed'

/**
 * Every outcome, in the order of the spec's table.
 *
 * @example
 * ```ts
 * OUTCOMES.includes(output.outcome) // true for every LifecycleOutput
 * ```
 */
export const OUTCOMES: readonly Outcome[] = [
  'connected',
  'needsCredentials',
  'needsMfa',
  'needsOAuth',
  'needsUserAtInstitution',
  'retryLater',
  'unrecoverable',
  'unknownStatus',
  'cancelled',
  'failed',
]

/**
 * The machine's final output (lifecycle.md, Output).
 *
 * @example
 * ```ts
 * actor.subscribe({
 *   complete: () => {
 *     const output: LifecycleOutput = actor.getSnapshot().output!
 *     if (output.outcome === 'retryLater') schedule(output.memberGuid, output.retryAfter ?? 3_600_000)
 *   },
 * })
 * ```
 */
export interface LifecycleOutput {
  readonly outcome: Outcome
  readonly memberGuid: string
  /** The last `connection_status` read, as MX spells it (an unknown one kept verbatim); null if none. */
  readonly connectionStatus: string | null
  /** The last `connection_status_message`, for the user (§4 notes). */
  readonly message: string | null
  readonly attempts: Attempts
  /** The error that ended the lifecycle (`failed`, `unrecoverable` after a fatal error). */
  readonly error?: ErrorData
  /** `retryLater` only: how long to wait before trying again, in ms. */
  readonly retryAfter?: number
  /** `needsOAuth` only, when one could be had: a fresh one-time OAuth window URI (§3.8). */
  readonly oauthWindowUri?: string
}

/** The output for a context whose `outcome` is set (the root `output` of the machine). */
export function toOutput(context: LifecycleContext): LifecycleOutput {
  const outcome = context.outcome ?? 'failed'
  return {
    outcome,
    memberGuid: context.memberGuid,
    connectionStatus: context.member?.status ?? null,
    message: context.member?.message ?? null,
    attempts: context.attempts,
    ...(context.error && (outcome === 'failed' || outcome === 'unrecoverable' || outcome === 'needsOAuth')
      ? { error: context.error }
      : {}),
    ...(outcome === 'retryLater' && context.retryAfter !== null ? { retryAfter: context.retryAfter } : {}),
    ...(outcome === 'needsOAuth' && context.oauthWindowUri ? { oauthWindowUri: context.oauthWindowUri } : {}),
  }
}
