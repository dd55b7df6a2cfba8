import { Cause, Effect, Either, Exit, Layer, ManagedRuntime } from 'effect'
import { TransportError } from '../domain/index.js'
import type { NexusError } from '../domain/index.js'
import { parseConfig } from '../services/config.js'
import type { NexusClientConfig } from '../services/config.js'
import { layerFromConfig } from '../services/layers.js'
import type { NexusServices } from '../services/layers.js'
import { NexusApi } from '../services/nexus-api.js'
import type { NexusApiService } from '../services/nexus-api.js'
import { makeTrafficCounters } from '../services/stats.js'
import type { NexusClientApi } from './types.js'

/**
 * The promise facade plus the Effect handles that share its connections and sessions.
 *
 * @example
 * ```ts
 * const client: NexusClient = createNexusClient(config)
 * const member = await client.readMember({ userId: 'u1', memberGuid: 'MBR-1' })
 * // Effect users reuse the same pool and sessions:
 * const job = await client.runtime.runPromise(Effect.flatMap(NexusApi, (api) => api.readJob({ userId: 'u1', jobGuid: 'JOB-1' })))
 * ```
 */
export interface NexusClient extends NexusClientApi {
  /** A layer whose services are this client's own (same pool, same sessions). */
  readonly layer: Layer.Layer<NexusServices>
  /** The runtime every facade call runs on. */
  readonly runtime: ManagedRuntime.ManagedRuntime<NexusServices, never>
}

/**
 * The error a rejected call throws: the original tagged error (architecture.md: `runPromise` would wrap
 * it in `FiberFailure`, hiding `_tag` from machine guards). Interruption (an aborted `signal`) becomes a
 * `TransportError` with reason `aborted`; a defect is rethrown as is.
 */
function rejection(cause: Cause.Cause<NexusError>, method: string, path: string): Error {
  const failure = Cause.failureOption(cause)
  if (failure._tag === 'Some') return failure.value
  if (Cause.isInterruptedOnly(cause)) {
    return new TransportError({
      api: 'nexus',
      method,
      path,
      reason: 'aborted',
      sent: true,
      message: `${method} ${path} was aborted by the caller`,
    })
  }
  const defect = Cause.squash(cause)
  return defect instanceof Error ? defect : new Error('the Nexus client failed unexpectedly')
}

/**
 * Creates a Nexus client: a promise facade over the Effect services (Transport, Sessions, NexusApi).
 * Throws `ConfigError` (naming the field) when the configuration is invalid. Every method takes one
 * object naming the user and resolves to the decoded resource or rejects with the tagged error
 * (`TransportError`, `HttpError`, `DecodeError`, `SessionExpiredError`).
 *
 * @example
 * ```ts
 * import { createNexusClient, HttpError } from 'mx-reconnect'
 *
 * const client = createNexusClient({ nexusUrl, ssoUrl, clientId, apiKey })
 * try {
 *   const member = await client.readMember({ userId: 'u1', memberGuid: 'MBR-1' })
 *   log(member.connection_status)
 * } catch (error) {
 *   if (error instanceof HttpError && error.status === 404) log('no such member')
 * } finally {
 *   await client.close()
 * }
 * ```
 */
export function createNexusClient(config: NexusClientConfig): NexusClient {
  const resolved = parseConfig(config)
  if (Either.isLeft(resolved)) throw resolved.left
  const counters = makeTrafficCounters()
  const runtime = ManagedRuntime.make(layerFromConfig(resolved.right, counters))
  let closed = false

  const run = <A>(
    signal: AbortSignal | undefined,
    method: string,
    path: string,
    call: (api: NexusApiService) => Effect.Effect<A, NexusError>,
  ): Promise<A> => {
    if (closed) {
      return Promise.reject(
        new TransportError({
          api: 'nexus',
          method,
          path,
          reason: 'aborted',
          sent: false,
          message: `${method} ${path} was not sent: the client is closed`,
        }),
      )
    }
    const effect = Effect.flatMap(NexusApi, call)
    return runtime
      .runPromiseExit(effect, signal === undefined ? undefined : { signal })
      .then((exit) =>
        Exit.isSuccess(exit) ? exit.value : Promise.reject(rejection(exit.cause, method, path)),
      )
  }

  const m = (guid: string) => `/members/${guid}`

  const client: NexusClient = {
    readMember: (args) => run(args.signal, 'GET', m(args.memberGuid), (api) => api.readMember(args)),
    listMembers: (args) => run(args.signal, 'GET', '/members', (api) => api.listMembers(args)),
    listMemberCredentials: (args) =>
      run(args.signal, 'GET', `${m(args.memberGuid)}/credentials`, (api) => api.listMemberCredentials(args)),
    updateMember: (args) => run(args.signal, 'PUT', m(args.memberGuid), (api) => api.updateMember(args)),
    listMemberChallenges: (args) =>
      run(args.signal, 'GET', `${m(args.memberGuid)}/challenges`, (api) => api.listMemberChallenges(args)),
    resumeAggregation: (args) =>
      run(args.signal, 'PUT', `${m(args.memberGuid)}/resume`, (api) => api.resumeAggregation(args)),
    aggregateMember: (args) =>
      run(args.signal, 'GET', `${m(args.memberGuid)}/aggregate`, (api) => api.aggregateMember(args)),
    readJob: (args) => run(args.signal, 'GET', `/jobs/${args.jobGuid}`, (api) => api.readJob(args)),
    oauthWindowUri: (args) =>
      run(args.signal, 'GET', `${m(args.memberGuid)}/oauth_window_uri`, (api) => api.oauthWindowUri(args)),
    stats: () => ({ requests: counters.requests, sessionsOpened: counters.sessionsOpened }),
    close: async () => {
      if (closed) return
      closed = true
      await runtime.dispose()
    },
    layer: Layer.effectContext(Effect.map(runtime.runtimeEffect, (rt) => rt.context)),
    runtime,
  }
  return client
}
