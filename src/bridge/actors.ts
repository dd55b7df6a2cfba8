import { fromPromise } from 'xstate'
import {
  ServiceFailureError,
  type ChallengesRead,
  type CredentialsRead,
  type MemberRead,
  type MemberRequest,
  type OAuthUri,
  type ReadMemberInput,
  type Stamped,
  type SubmissionRequest,
  type Triggered,
  type WaitInput,
} from '../../machines/member-lifecycle/index.js'
import type { NexusClientApi, SecretValue } from '../client/types.js'
import { telemetry } from '../telemetry/hooks.js'
import { sleepUntil, type LifecycleClock } from './clock.js'
import { isResendable, notSent, toServiceFailure } from './failure.js'
import { rerunAware, type WithRerun } from './rerun.js'
import type { SecretVault } from './vault.js'

// The machine's named actors, bound to a `NexusClientApi` (architecture.md, house rule 2). Each passes the
// actor's `signal` to the client, so leaving a state or stopping the actor aborts the request in flight
// (invariant 8), stamps its result with the clock (decisions/0002), and rejects with a ServiceFailure.

/**
 * What the bridge's actors need.
 *
 * @example
 * ```ts
 * const deps: LifecycleActorDeps = { client, clock: systemClock, vault: createSecretVault({ clock: systemClock }) }
 * const machine = memberLifecycleMachine.provide({ actors: createLifecycleActors(deps) })
 * ```
 */
export interface LifecycleActorDeps {
  readonly client: NexusClientApi
  readonly clock: LifecycleClock
  readonly vault: SecretVault
}

function stamped<TOutput, TInput>(
  clock: LifecycleClock,
  run: (input: WithRerun<TInput>, signal: AbortSignal) => Promise<TOutput>,
) {
  return rerunAware(
    fromPromise<TOutput & Stamped, TInput>(async ({ input, signal, self }) => {
      let value: TOutput
      try {
        const work = () => run(input as WithRerun<TInput>, signal)
        // OpenTelemetry (src/telemetry): the calls run inside the span of the lifecycle's current step.
        value = await (telemetry === undefined ? work() : telemetry.inStep(self, work))
      } catch (error) {
        throw error instanceof ServiceFailureError ? error : toServiceFailure(error, clock.now())
      }
      return { ...value, at: clock.now() }
    }),
  )
}

/**
 * Sends one submission's values with `send`. A re-run after a restore, or a submission no longer held,
 * sends nothing and reports NotSent, which makes the machine re-read the member (lifecycle.md, Restore).
 * Values go back to the vault only when the write provably did not take and will be retried
 * (`isResendable`): never after a reply was lost, which the machine resolves by reading the member
 * (docs/decisions/0007-unknown-outcome-writes.md). The machine's guards decide the same way.
 */
async function withSubmission<T>(
  deps: LifecycleActorDeps,
  input: WithRerun<SubmissionRequest>,
  signal: AbortSignal,
  send: (values: readonly SecretValue[]) => Promise<T>,
): Promise<T> {
  if (input.rerun) {
    deps.vault.discard(input.submissionId)
    throw notSent(deps.clock.now(), 'rerun')
  }
  const values = deps.vault.checkout(input.submissionId)
  if (!values) throw notSent(deps.clock.now(), 'noValues')
  try {
    const result = await send(values)
    deps.vault.discard(input.submissionId)
    return result
  } catch (error) {
    if (!signal.aborted && isResendable(error)) deps.vault.checkin(input.submissionId)
    else deps.vault.discard(input.submissionId)
    throw error
  }
}

/**
 * The actor implementations for `memberLifecycleMachine.provide({ actors })`.
 *
 * @example
 * ```ts
 * const machine = memberLifecycleMachine.provide({ actors: createLifecycleActors({ client, clock, vault }) })
 * ```
 */
export function createLifecycleActors(deps: LifecycleActorDeps) {
  const { client, clock } = deps
  const scope = (input: MemberRequest, signal: AbortSignal) => ({
    userId: input.userId,
    memberGuid: input.memberGuid,
    signal,
  })

  return {
    readMember: stamped<Omit<MemberRead, 'at'>, ReadMemberInput>(clock, async (input, signal) => {
      // A re-run poll may follow a read that reached MX just before the snapshot: keep the floor.
      if (input.rerun && input.notBeforeIfRerun !== undefined)
        await sleepUntil(clock, input.notBeforeIfRerun, signal)
      return { member: await client.readMember(scope(input, signal)) }
    }),
    listCredentials: stamped<Omit<CredentialsRead, 'at'>, MemberRequest>(clock, async (input, signal) => ({
      fields: await client.listMemberCredentials(scope(input, signal)),
    })),
    updateMember: stamped<Omit<Triggered, 'at'>, SubmissionRequest>(clock, async (input, signal) =>
      withSubmission(deps, input, signal, async (credentials) => ({
        member: await client.updateMember({ ...scope(input, signal), credentials }),
      })),
    ),
    listChallenges: stamped<Omit<ChallengesRead, 'at'>, MemberRequest>(clock, async (input, signal) => ({
      challenges: await client.listMemberChallenges(scope(input, signal)),
    })),
    resumeAggregation: stamped<Omit<Triggered, 'at'>, SubmissionRequest>(clock, async (input, signal) =>
      withSubmission(deps, input, signal, async (answers) => ({
        member: await client.resumeAggregation({ ...scope(input, signal), answers }),
      })),
    ),
    aggregateMember: stamped<Omit<Triggered, 'at'>, MemberRequest>(clock, async (input, signal) => {
      // Restored mid-aggregate: the interrupted GET may have started a job; let the machine re-read first.
      if (input.rerun) throw notSent(clock.now(), 'rerun')
      return { member: await client.aggregateMember(scope(input, signal)) }
    }),
    oauthWindowUri: stamped<Omit<OAuthUri, 'at'>, MemberRequest>(clock, async (input, signal) => ({
      uri: await client.oauthWindowUri(scope(input, signal)),
    })),
    wait: rerunAware(
      fromPromise<Stamped, WaitInput>(async ({ input, signal }) => {
        // A restored wait resumes on the same absolute time; an overdue one resolves at once.
        await sleepUntil(clock, input.until, signal)
        return { at: clock.now() }
      }),
    ),
  }
}
