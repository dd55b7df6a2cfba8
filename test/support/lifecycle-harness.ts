import type { InspectionEvent } from 'xstate'
import type { LifecycleOutput, PolicyInput } from '../../machines/member-lifecycle/index.js'
import type { SecretValue } from '../../src/client/types.js'
import { createMemberLifecycle, type MemberLifecycleActor } from '../../src/bridge/lifecycle.js'
import { SimClock, settle } from './lifecycle-clock.js'
import type { HostPlan, PromptPlan } from './lifecycle-arbitraries.js'
import { MEMBER_GUID, ScriptedServer, type ServerScript } from './scripted-client.js'

// Drives one lifecycle against the scripted server on a simulated clock, with a scripted user, and
// records everything the invariants look at: requests, submissions, emitted and inspection events, and
// every persisted snapshot.

export const START = 1_700_000_000_000

/** A submission the user made. */
export interface HostSubmission {
  readonly at: number
  /** Requests the server had received when it was made (orders it among requests at the same instant). */
  readonly afterRequests: number
  /** The prompt it answers. */
  readonly kind: 'credentials' | 'mfa'
  readonly event: 'credentials.submit' | 'mfa.submit'
  readonly values: readonly SecretValue[]
  readonly accepted: boolean
}

export interface RunOptions {
  readonly script: ServerScript
  readonly host: HostPlan
  readonly policy?: PolicyInput
  /** Rest points (clock advances) after which the actor is persisted, stopped and restored. */
  readonly restoreAt?: readonly number[]
  /** Rest point after which the actor is stopped (not restored). */
  readonly stopAt?: number
  readonly maxSteps?: number
  /** What a restore starts from, given the persisted snapshot (default: the snapshot as is). */
  readonly stored?: (persisted: unknown) => unknown
}

export interface RunResult {
  /** The output, or undefined when the run was stopped. */
  readonly output: LifecycleOutput | undefined
  readonly server: ScriptedServer
  readonly submissions: readonly HostSubmission[]
  readonly emitted: readonly string[]
  readonly inspection: readonly string[]
  readonly snapshots: readonly string[]
  readonly steps: number
  readonly endedAt: number
  /** Requests in flight right after the end (invariant 8). */
  readonly inflightAtEnd: number
  /** Requests sent after the end, while the clock kept running (invariant 8). */
  readonly requestsAfterEnd: number
  /** Values still held by the vault after the end (secrets never rest). */
  readonly vaultSizeAtEnd: number
  readonly restores: number
  /** The state value of each snapshot a restore started from. */
  readonly restoredFrom: readonly string[]
  /** The state value at each rest point (index = step), to aim restores and stops at chosen states. */
  readonly states: readonly string[]
}

const STRUCTURAL = new Set([
  'machine',
  '_transitions',
  'system',
  'logic',
  '_parent',
  'parent',
  '_actorScope',
  'options',
])

/** JSON of an inspection event, with actor refs replaced by their id and current snapshot. */
export function inspectionJson(event: InspectionEvent): string {
  const seen = new WeakSet<object>()
  return JSON.stringify(event, function (this: unknown, key, value: unknown) {
    if (STRUCTURAL.has(key)) return undefined
    if (typeof value === 'function') return undefined
    if (typeof value === 'object' && value !== null) {
      const ref = value as { sessionId?: unknown; send?: unknown; getSnapshot?: () => unknown; id?: unknown }
      if (
        typeof ref.sessionId === 'string' &&
        typeof ref.send === 'function' &&
        typeof ref.getSnapshot === 'function'
      ) {
        if (seen.has(value)) return { actorRef: ref.sessionId }
        seen.add(value)
        return { actorRef: ref.sessionId, id: ref.id, snapshot: ref.getSnapshot() }
      }
      if (seen.has(value)) return '[seen]'
      seen.add(value)
    }
    return value
  })
}

function fieldsOf(prompt: {
  fields: readonly { guid: string; optional: boolean }[]
}): readonly { guid: string; optional: boolean }[] {
  return prompt.fields
}

/** Values the user gives for a prompt: one per guid, from the plan's secrets. */
function valuesFor(guids: readonly string[], plan: PromptPlan): SecretValue[] {
  return guids.map((guid, i) => ({
    guid,
    value: `${plan.secrets[i % plan.secrets.length] ?? 'x'.repeat(12)}`,
  }))
}

/** An invalid submission: drop a required entry, or blank one, or add an unknown guid. */
function invalidFor(fields: readonly { guid: string; optional: boolean }[], plan: PromptPlan): SecretValue[] {
  const valid = valuesFor(
    fields.map((f) => f.guid),
    plan,
  )
  const required = fields.findIndex((f) => !f.optional)
  if (required >= 0) return valid.filter((_, i) => i !== required)
  if (valid.length > 0) return valid.map((v, i) => (i === 0 ? { guid: v.guid, value: '' } : v))
  return [{ guid: 'CRD-unknown', value: plan.secrets[0] ?? 'x'.repeat(12) }]
}

/** Runs a lifecycle to its end (or to `stopAt`) and returns what happened. */
export async function runLifecycle(options: RunOptions): Promise<RunResult> {
  const clock = new SimClock(START)
  let current: MemberLifecycleActor | undefined
  let inWebhook = false
  const server = new ScriptedServer(options.script, clock, () => ({
    state: current ? JSON.stringify(current.getSnapshot().value) : 'none',
    webhook: inWebhook,
  }))
  const lifecycle = createMemberLifecycle(server, { clock })
  const submissions: HostSubmission[] = []
  const emitted: string[] = []
  const inspection: string[] = []
  const snapshots: string[] = []
  const input = {
    userId: 'user-1',
    memberGuid: MEMBER_GUID,
    ...(options.policy ? { policy: options.policy } : {}),
  }
  const inspect = (event: InspectionEvent) => inspection.push(inspectionJson(event))

  const submit = (kind: 'credentials' | 'mfa', viaCredentials: boolean, values: SecretValue[]) => {
    const actor = current
    if (!actor) return
    const useCredentials = kind === 'credentials' || viaCredentials
    const afterRequests = server.log.length
    const result = useCredentials
      ? lifecycle.submitCredentials(actor, values)
      : lifecycle.submitMfa(actor, values)
    submissions.push({
      at: clock.now(),
      afterRequests,
      kind,
      event: useCredentials ? 'credentials.submit' : 'mfa.submit',
      values,
      accepted: result.accepted,
    })
  }

  // The user's plan for a question is chosen by the question (see ScriptedServer.promptKey), in order of
  // first appearance: asked the same question again (after a restore), the user answers the same way.
  const seenKeys: Record<'credentials' | 'mfa', string[]> = { credentials: [], mfa: [] }
  const planFor = (kind: 'credentials' | 'mfa'): PromptPlan | undefined => {
    const key = server.promptKey(kind)
    const keys = seenKeys[kind]
    if (!keys.includes(key)) keys.push(key)
    const plans = kind === 'credentials' ? options.host.credentials : options.host.mfa
    return plans[Math.min(keys.indexOf(key), plans.length - 1)]
  }

  const attach = (actor: MemberLifecycleActor) => {
    current = actor
    actor.subscribe(() => snapshots.push(JSON.stringify(actor.getPersistedSnapshot())))
    actor.on('*', (event) => emitted.push(JSON.stringify(event)))
    actor.on('credentials.required', (prompt) => {
      const plan = planFor('credentials')
      if (!plan || plan.delayMs === null) return
      const fields = fieldsOf(prompt)
      clock.at(clock.now() + plan.delayMs, () => {
        if (plan.invalidFirst) submit('credentials', false, invalidFor(fields, plan))
        submit(
          'credentials',
          false,
          valuesFor(
            fields.map((f) => f.guid),
            plan,
          ),
        )
      })
    })
    actor.on('mfa.required', (prompt) => {
      const plan = planFor('mfa')
      if (!plan || plan.delayMs === null) return
      const challenges = prompt.challenges.map((c) => ({ guid: c.guid, optional: false }))
      clock.at(clock.now() + plan.delayMs, () => {
        if (plan.invalidFirst) submit('mfa', plan.viaCredentials, invalidFor(challenges, plan))
        submit(
          'mfa',
          plan.viaCredentials,
          valuesFor(
            challenges.map((c) => c.guid),
            plan,
          ),
        )
      })
    })
  }

  for (const offset of options.host.webhooksAt) {
    clock.at(START + offset, () => {
      if (!current) return
      inWebhook = true
      lifecycle.webhook(current, {
        type: 'CONNECTION_STATUS',
        action: 'CHANGED',
        member_guid: MEMBER_GUID,
        user_guid: 'USR-scripted',
        connection_status: 'UPDATED',
      })
      inWebhook = false
    })
  }
  if (options.host.cancelAt !== null) {
    clock.at(START + options.host.cancelAt, () => current && lifecycle.send(current, { type: 'cancel' }))
  }

  attach(lifecycle.start(input, { inspect }))
  const maxSteps = options.maxSteps ?? 5_000
  const restoreAt = new Set(options.restoreAt ?? [])
  let steps = 0
  let restores = 0
  const restoredFrom: string[] = []
  const states: string[] = []
  let stopped = false
  for (; steps < maxSteps; steps++) {
    await settle()
    const actor = current!
    if (actor.getSnapshot().status !== 'active') break
    states.push(JSON.stringify(actor.getSnapshot().value))
    if (options.stopAt === steps) {
      actor.stop()
      stopped = true
      break
    }
    if (restoreAt.has(steps)) {
      const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as Parameters<
        typeof lifecycle.restore
      >[0]
      restoredFrom.push(JSON.stringify((persisted as { value?: unknown }).value))
      actor.stop()
      restores++
      const restoreFrom = options.stored ? (options.stored(persisted) as typeof persisted) : persisted
      attach(lifecycle.restore(restoreFrom, { inspect }))
      await settle()
      if (current!.getSnapshot().status !== 'active') break
    }
    if (!clock.advance())
      throw new Error(`stuck in ${JSON.stringify(actor.getSnapshot().value)}: nothing pending`)
  }
  if (steps >= maxSteps) throw new Error(`no final state after ${maxSteps} steps`)
  await settle()
  const endedAt = clock.now()
  const inflightAtEnd = server.inflightCount()
  const vaultSizeAtEnd = lifecycle.vault.size()
  const before = server.requests()
  // Keep time running for a while: nothing may be sent after the end (invariant 8).
  for (let i = 0; i < 200 && clock.advance(); i++) await settle()
  const snapshot = current!.getSnapshot()
  return {
    output: stopped ? undefined : snapshot.output,
    server,
    submissions,
    emitted,
    inspection,
    snapshots,
    steps,
    endedAt,
    inflightAtEnd,
    requestsAfterEnd: server.requests() - before,
    vaultSizeAtEnd,
    restores,
    restoredFrom,
    states,
  }
}
