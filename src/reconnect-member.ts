import type { InspectionEvent, Observer } from 'xstate'
import type {
  CredentialsRequiredEvent,
  LifecycleOutput,
  MfaRequiredEvent,
  PolicyInput,
} from '../machines/member-lifecycle/index.js'
import { createMemberLifecycle } from './bridge/lifecycle.js'
import type { LifecycleClock } from './bridge/clock.js'
import type { NexusClientApi, SecretValue } from './client/types.js'
import { checkArguments } from './services/arguments.js'

/**
 * Gives values for a prompt, or `undefined` to leave the lifecycle waiting until its deadline.
 *
 * @example
 * ```ts
 * const mfa: SecretProvider<MfaRequiredEvent> = ({ challenges }) =>
 *   Promise.all(challenges.map(async (c) => ({ guid: c.guid, value: await askUser(c.label ?? 'Code') })))
 * ```
 */
export type SecretProvider<TPrompt> = (
  prompt: TPrompt,
) => Promise<readonly SecretValue[] | undefined> | readonly SecretValue[] | undefined

/**
 * Arguments of {@link reconnectMember}.
 *
 * @example
 * ```ts
 * const options: ReconnectMemberOptions = {
 *   client,
 *   userId: 'partner-user-1',
 *   memberGuid: 'MBR-1',
 *   credentials: async ({ fields }) => fields.map((field) => ({ guid: field.guid, value: form[field.guid] ?? '' })),
 *   signal: AbortSignal.timeout(20 * 60_000),
 * }
 * const output = await reconnectMember(options)
 * ```
 */
export interface ReconnectMemberOptions {
  readonly client: NexusClientApi
  readonly userId: string
  readonly memberGuid: string
  /** Asked when the member needs credentials (DENIED, PREVENTED, IMPAIRED, IMPORTED). */
  readonly credentials?: SecretProvider<CredentialsRequiredEvent>
  /** Asked for each MFA round (CHALLENGED). */
  readonly mfa?: SecretProvider<MfaRequiredEvent>
  readonly policy?: PolicyInput
  /** Time source (default: the system clock). */
  readonly clock?: LifecycleClock
  /** Aborting cancels the lifecycle (outcome `cancelled`). */
  readonly signal?: AbortSignal
  /**
   * XState inspection, an observer or a function as XState's own `inspect` takes, e.g.
   * `createSkyInspector().inspect` (never sees a secret: decisions/0003).
   */
  readonly inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void)
}

async function ask<T>(
  provider: SecretProvider<T> | undefined,
  prompt: T,
): Promise<readonly SecretValue[] | undefined> {
  if (!provider) return undefined
  try {
    return await provider(prompt)
  } catch {
    // A provider that fails gives nothing: the lifecycle waits until its deadline, as with `undefined`.
    return undefined
  }
}

/**
 * Runs one member lifecycle to its outcome: reads the member, asks the providers for exactly what is
 * needed (credentials, MFA answers), and resolves with the machine's output (lifecycle.md, Output).
 * Rejects with `ArgumentError` (naming the field) for a missing or malformed option, before any I/O.
 *
 * @example
 * ```ts
 * import { createNexusClient, reconnectMember } from 'mx-reconnect'
 * const client = createNexusClient({ nexusUrl, ssoUrl, clientId, apiKey })
 * const result = await reconnectMember({
 *   client,
 *   userId: 'partner-user-1',
 *   memberGuid: 'MBR-123',
 *   credentials: async ({ fields }) => fields.map((f) => ({ guid: f.guid, value: askUser(f.label) })),
 *   mfa: async ({ challenges }) => undefined, // nobody here to answer: ends as needsMfa at the deadline
 * })
 * result.outcome // 'connected' | 'needsCredentials' | 'needsMfa' | ...
 * ```
 */
export function reconnectMember(options: ReconnectMemberOptions): Promise<LifecycleOutput> {
  // Arguments first (ArgumentError, before any I/O): never a raw TypeError, never a request for "undefined".
  const bad = checkArguments('reconnectMember', options)
  if (bad !== undefined) return Promise.reject(bad)
  const lifecycle = createMemberLifecycle(options.client, options.clock ? { clock: options.clock } : {})
  const actor = lifecycle.start(
    {
      userId: options.userId,
      memberGuid: options.memberGuid,
      ...(options.policy ? { policy: options.policy } : {}),
    },
    options.inspect ? { inspect: options.inspect } : {},
  )
  const done = new Promise<LifecycleOutput>((resolve, reject) => {
    actor.subscribe({
      complete: () => {
        const output = actor.getSnapshot().output
        if (output) resolve(output)
        else reject(new Error('member lifecycle stopped without an outcome'))
      },
      error: reject,
    })
  })
  actor.on('credentials.required', (prompt) => {
    void ask(options.credentials, prompt).then((values) => {
      if (values) lifecycle.submitCredentials(actor, values)
    })
  })
  actor.on('mfa.required', (prompt) => {
    void ask(options.mfa, prompt).then((values) => {
      if (values) lifecycle.submitMfa(actor, values)
    })
  })
  if (options.signal) {
    const cancel = () => actor.send({ type: 'cancel' })
    if (options.signal.aborted) cancel()
    else options.signal.addEventListener('abort', cancel, { once: true })
    void done.finally(() => options.signal?.removeEventListener('abort', cancel)).catch(() => undefined)
  }
  return done
}
