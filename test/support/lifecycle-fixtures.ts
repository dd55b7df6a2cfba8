import { initialTransition, transition, type AnyEventObject as EventObject } from 'xstate'
import {
  initialContext,
  memberLifecycleMachine,
  type LifecycleContext,
  type ServiceFailure,
} from '../../machines/member-lifecycle/index.js'
import type { ErrorClass } from '../../src/domain/errors.js'
import { member as memberSchema, type Member } from '../../src/domain/schemas/member.js'
import { challenge as challengeSchema } from '../../src/domain/schemas/challenges.js'
import { credentialField } from '../../src/domain/schemas/credentials.js'

// Pure helpers for driving the machine with `transition()`: snapshots in any state, actor results as
// events, members as MX sends them.

export const T0 = 1_700_000_000_000
export const INPUT = { userId: 'user-1', memberGuid: 'MBR-1' } as const

export type Snap = ReturnType<typeof memberLifecycleMachine.resolveState>

/** A snapshot in `value` with the initial context plus `patch`. */
export function at(value: string | Record<string, string>, patch: Partial<LifecycleContext> = {}): Snap {
  return memberLifecycleMachine.resolveState({
    value,
    context: { ...initialContext(INPUT), observedAt: T0, ...patch },
  })
}

/** Applies an event with `transition()` (pure: nothing runs). */
export function send(snapshot: Snap, event: EventObject): Snap {
  return transition(memberLifecycleMachine, snapshot, event as never)[0]
}

/** Applies an event and returns the actions XState would execute. */
export function sendWithActions(snapshot: Snap, event: EventObject) {
  return transition(memberLifecycleMachine, snapshot, event as never)
}

export function start(): Snap {
  return initialTransition(memberLifecycleMachine, INPUT)[0]
}

/** A member as the client decodes it. */
export function member(status: string | null, extra: Record<string, unknown> = {}): Member {
  return memberSchema.parse({
    guid: 'MBR-1',
    connection_status: status,
    connection_status_message: status ? `message for ${status}` : null,
    is_being_aggregated: false,
    most_recent_job_guid: 'JOB-1',
    ...extra,
  })
}

export function done(id: string, output: object, atMs = T0 + 100): EventObject {
  return { type: `xstate.done.actor.${id}`, output: { at: atMs, ...output } }
}

export function failed(
  id: string,
  error: Partial<ServiceFailure['error']> & { _tag: string },
  errorClass: ErrorClass,
  atMs = T0 + 100,
): EventObject {
  const failure: ServiceFailure = {
    _tag: 'ServiceFailure',
    at: atMs,
    error: { message: 'm', ...error },
    errorClass,
  }
  return { type: `xstate.error.actor.${id}`, error: failure }
}

export const http = (status: number, retryAfterMs?: number) => ({
  _tag: 'HttpError',
  status,
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
})

export function fields(...specs: { optional?: boolean }[]) {
  return specs.map((spec, i) =>
    credentialField.parse({
      guid: `CRD-${i}`,
      label: `L${i}`,
      field_type_name: 'TEXT',
      optional: spec.optional ?? false,
    }),
  )
}

export function challenges(...types: string[]) {
  return types.map((type, i) =>
    challengeSchema.parse({
      guid: `CH-${i}`,
      type,
      label: `Q${i}`,
      ...(type === 'OPTIONS' ? { options: [{ label: 'a', value: 'a' }] } : {}),
    }),
  )
}

/** The state value as a dotted string (`credentials.awaiting`). */
export function where(snapshot: Snap): string {
  const value = snapshot.value as unknown
  if (typeof value === 'string') return value
  const [[parent, child]] = Object.entries(value as Record<string, string>) as [[string, string]]
  return `${parent}.${child}`
}
