import { createActor, type Actor, type ActorOptions, type Snapshot } from 'xstate'
import {
  memberLifecycleMachine,
  validateAnswers,
  validateCredentials,
  type LifecycleInput,
  type MemberLifecycleMachine,
  type SubmittedEntry,
  type ValidationError,
} from '../../machines/member-lifecycle/index.js'
import type { NexusClientApi, SecretValue } from '../client/types.js'
import { schemas } from '../domain/schemas/index.js'
import { telemetry } from '../telemetry/hooks.js'
import { createLifecycleActors } from './actors.js'
import { systemClock, type LifecycleClock } from './clock.js'
import { createSecretVault, type SecretVault } from './vault.js'

/**
 * A running member lifecycle.
 *
 * @example
 * ```ts
 * const actor: MemberLifecycleActor = lifecycle.start({ userId: 'u-1', memberGuid: 'MBR-1' })
 * const saved = actor.getPersistedSnapshot() // JSON: store it, then lifecycle.restore(saved) elsewhere
 * ```
 */
export type MemberLifecycleActor = Actor<MemberLifecycleMachine>

/**
 * What happened to a submission.
 *
 * @example
 * ```ts
 * const result: SubmitResult = lifecycle.submitMfa(actor, [{ guid: 'CHL-1', value: '123456' }])
 * if (!result.accepted) console.log(result.validation?.reason ?? 'the lifecycle was not waiting for answers')
 * ```
 */
export interface SubmitResult {
  /** True when the machine took it and is sending it (update member / resume aggregation). */
  readonly accepted: boolean
  /** Why it was refused, when the machine was waiting for it but it was invalid. */
  readonly validation?: ValidationError
}

/**
 * Host events as lifecycle.md writes them, values included. `MemberLifecycle.send` turns them into the
 * machine's secret-free events (docs/decisions/0003).
 *
 * @example
 * ```ts
 * const event: HostEvent = { type: 'credentials.submit', credentials: [{ guid: 'CRD-1', value: 'mxuser' }] }
 * lifecycle.send(actor, event) // the values go to the vault; the machine gets a handle
 * ```
 */
export type HostEvent =
  | { readonly type: 'credentials.submit'; readonly credentials: readonly SecretValue[] }
  | { readonly type: 'mfa.submit'; readonly answers: readonly SecretValue[] }
  | { readonly type: 'member.webhook'; readonly payload: unknown }
  | { readonly type: 'cancel' }

/**
 * Options of {@link createMemberLifecycle}.
 *
 * @example
 * ```ts
 * const options: MemberLifecycleOptions = { clock: systemClock, vault: createSecretVault({ clock: systemClock, ttlMs: 60_000 }) }
 * const lifecycle = createMemberLifecycle(client, options)
 * ```
 */
export interface MemberLifecycleOptions {
  /** Time source for stamps and waits (default: the system clock). */
  readonly clock?: LifecycleClock
  /** Where submitted values wait to be sent (default: a new in-memory vault on `clock`). */
  readonly vault?: SecretVault
}

/**
 * The machine bound to a client, plus the host-side helpers that keep secrets out of events.
 *
 * @example
 * ```ts
 * const lifecycle: MemberLifecycle = createMemberLifecycle(client)
 * const actor = lifecycle.start({ userId: 'u-1', memberGuid: 'MBR-1' })
 * actor.on('credentials.required', () => lifecycle.submitCredentials(actor, [{ guid: 'CRD-1', value: 'mxuser' }]))
 * ```
 */
export interface MemberLifecycle {
  /** `memberLifecycleMachine` with its actors provided. Restore with `createActor(machine, { snapshot })`. */
  readonly machine: MemberLifecycleMachine
  readonly vault: SecretVault
  readonly clock: LifecycleClock
  /** Creates and starts a lifecycle. */
  start(
    input: LifecycleInput,
    options?: Omit<ActorOptions<MemberLifecycleMachine>, 'input' | 'snapshot'>,
  ): MemberLifecycleActor
  /** Restores a lifecycle from `actor.getPersistedSnapshot()` and starts it. */
  restore(
    snapshot: Snapshot<unknown>,
    options?: Omit<ActorOptions<MemberLifecycleMachine>, 'input' | 'snapshot'>,
  ): MemberLifecycleActor
  /** Gives the user's credentials (or, while CHALLENGED, MFA answers) to a waiting lifecycle. */
  submitCredentials(actor: MemberLifecycleActor, credentials: readonly SecretValue[]): SubmitResult
  /** Gives the user's MFA answers to a waiting lifecycle. */
  submitMfa(actor: MemberLifecycleActor, answers: readonly SecretValue[]): SubmitResult
  /** Decodes an MX webhook body (§8.2) and passes it on; false when it is not a webhook for this member. */
  webhook(actor: MemberLifecycleActor, body: unknown): boolean
  /** Any host event in lifecycle.md's shape. */
  send(actor: MemberLifecycleActor, event: HostEvent): SubmitResult
}

function entries(values: readonly SecretValue[]): SubmittedEntry[] {
  return values.map((v) => ({
    guid: String(v.guid),
    empty: typeof v.value !== 'string' || v.value.length === 0,
  }))
}

/**
 * Binds `memberLifecycleMachine` to a Nexus client: provides its actors and the helpers a host uses to
 * submit secrets without putting them in a machine event.
 *
 * @example
 * ```ts
 * import { createMemberLifecycle } from 'mx-reconnect/machines'
 * const lifecycle = createMemberLifecycle(client)
 * const actor = lifecycle.start({ userId: 'u-1', memberGuid: 'MBR-1' })
 * actor.on('credentials.required', ({ fields }) => showForm(fields))
 * // later, from the form:
 * lifecycle.submitCredentials(actor, [{ guid: 'CRD-1', value: 'user' }, { guid: 'CRD-2', value: 'pass' }])
 * actor.subscribe({ complete: () => report(actor.getSnapshot().output) })
 * ```
 */
export function createMemberLifecycle(
  client: NexusClientApi,
  options: MemberLifecycleOptions = {},
): MemberLifecycle {
  const clock = options.clock ?? systemClock
  const vault = options.vault ?? createSecretVault({ clock })
  const machine = memberLifecycleMachine.provide({ actors: createLifecycleActors({ client, clock, vault }) })
  const watched = new WeakSet<MemberLifecycleActor>()

  // Whatever an actor deposited goes when it ends or is stopped (invariant 7: secrets never rest).
  const watch = (actor: MemberLifecycleActor) => {
    if (watched.has(actor)) return
    watched.add(actor)
    const forget = () => vault.discardOwner(actor.sessionId)
    actor.subscribe({ complete: forget, error: forget })
  }

  const submit = (
    actor: MemberLifecycleActor,
    type: 'credentials.submit' | 'mfa.submit',
    values: readonly SecretValue[],
  ): SubmitResult => {
    watch(actor)
    const before = actor.getSnapshot()
    if (before.status !== 'active') return { accepted: false }
    const list = entries(values)
    // Decide with the machine's own guards first, so values are deposited only when they will be sent
    // (and an invalid submission still reaches the machine, which keeps the reason in context).
    const asMfa = before.matches({ mfa: 'awaiting' })
    if (!asMfa && !(type === 'credentials.submit' && before.matches({ credentials: 'awaiting' }))) {
      return { accepted: false }
    }
    const probe = `sub-check`
    const validation = asMfa
      ? validateAnswers(before.context.challenges ?? [], probe, list)
      : validateCredentials(before.context.fields ?? [], probe, list)
    const submissionId =
      validation === null ? vault.deposit(values, actor.sessionId) : `sub-refused-${Date.now()}`
    actor.send(
      type === 'credentials.submit'
        ? { type, submissionId, credentials: list }
        : { type, submissionId, answers: list },
    )
    if (validation !== null) return { accepted: false, validation }
    const after = actor.getSnapshot()
    if (after.context.submissionId === submissionId) return { accepted: true }
    if (after === before) {
      // Sent from inside the actor's own step (e.g. an `emit` handler answering a prompt at once): XState
      // queued the event and handles it right after the current one. Settle the vault entry then.
      queueMicrotask(() => {
        if (actor.getSnapshot().context.submissionId !== submissionId) vault.discard(submissionId)
      })
      return { accepted: true }
    }
    vault.discard(submissionId)
    return { accepted: false }
  }

  const lifecycle: MemberLifecycle = {
    machine,
    vault,
    clock,
    start(input, actorOptions) {
      const actor = createActor(machine, { ...actorOptions, input })
      telemetry?.lifecycle(actor, 'start')
      watch(actor)
      return actor.start()
    },
    restore(snapshot, actorOptions) {
      // The options type requires `input`, which XState ignores when a snapshot is given (context comes from it).
      const actor = createActor(machine, { ...actorOptions, snapshot } as never)
      telemetry?.lifecycle(actor, 'restore')
      watch(actor)
      return actor.start()
    },
    submitCredentials: (actor, credentials) => submit(actor, 'credentials.submit', credentials),
    submitMfa: (actor, answers) => submit(actor, 'mfa.submit', answers),
    webhook(actor, body) {
      if (actor.getSnapshot().status !== 'active') return false
      const decoded = schemas.webhook.safeParse(body)
      if (!decoded.success || decoded.data.memberGuid !== actor.getSnapshot().context.memberGuid) return false
      actor.send({ type: 'member.webhook', payload: decoded.data })
      return true
    },
    send(actor, event) {
      switch (event.type) {
        case 'credentials.submit':
          return lifecycle.submitCredentials(actor, event.credentials)
        case 'mfa.submit':
          return lifecycle.submitMfa(actor, event.answers)
        case 'member.webhook':
          return { accepted: lifecycle.webhook(actor, event.payload) }
        case 'cancel': {
          const active = actor.getSnapshot().status === 'active'
          if (active) actor.send({ type: 'cancel' })
          return { accepted: active }
        }
      }
    },
  }
  return lifecycle
}
