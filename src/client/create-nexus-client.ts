import { Cause, Context, Effect, Either, Exit, Layer, ManagedRuntime, Runtime } from 'effect'
import { TransportError } from '../domain/index.js'
import type { NexusError } from '../domain/index.js'
import { checkArguments, type CheckedCall } from '../services/arguments.js'
import { parseConfig } from '../services/config.js'
import type { NexusClientConfig, NexusClock } from '../services/config.js'
import { hotRuntime } from '../services/hot-runtime.js'
import { layerFromConfig, toEffectClock } from '../services/layers.js'
import type { NexusServices } from '../services/layers.js'
import { fastPathOf, NexusApi } from '../services/nexus-api.js'
import type { FastPath, NexusApiService } from '../services/nexus-api.js'
import { makeTrafficCounters } from '../services/stats.js'
import { telemetry } from '../telemetry/hooks.js'
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
function rejection(cause: Cause.Cause<NexusError>, method: string, pathOf: () => string): Error {
  const failure = Cause.failureOption(cause)
  if (failure._tag === 'Some') return failure.value
  if (Cause.isInterruptedOnly(cause)) {
    const path = pathOf()
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

/** What every facade call may carry. */
interface Signalled {
  readonly signal?: AbortSignal | undefined
}

/** The built runtime (fiber metrics off), the resolved `NexusApi` and its fiber-less path, once the layer is up. */
interface Hot {
  readonly runtime: Runtime.Runtime<NexusServices>
  readonly api: NexusApiService
  readonly fast: FastPath | undefined
}

// Paths name the call in a rejection; built only when one is needed (module-level: no per-call closure).
type MemberRef = { readonly memberGuid: string }
const memberPath = (a: MemberRef) => `/members/${encodeURIComponent(a.memberGuid)}`
const membersPath = () => '/members'
const credentialsPath = (a: MemberRef) => `${memberPath(a)}/credentials`
const challengesPath = (a: MemberRef) => `${memberPath(a)}/challenges`
const resumePath = (a: MemberRef) => `${memberPath(a)}/resume`
const aggregatePath = (a: MemberRef) => `${memberPath(a)}/aggregate`
const jobPath = (a: { readonly jobGuid: string }) => `/jobs/${encodeURIComponent(a.jobGuid)}`
const oauthWindowPath = (a: MemberRef) => `${memberPath(a)}/oauth_window_uri`

type Api = NexusApiService
const readMember = (api: Api, a: Parameters<Api['readMember']>[0]) => api.readMember(a)
const listMembers = (api: Api, a: Parameters<Api['listMembers']>[0]) => api.listMembers(a)
const listMemberCredentials = (api: Api, a: Parameters<Api['listMemberCredentials']>[0]) =>
  api.listMemberCredentials(a)
const updateMember = (api: Api, a: Parameters<Api['updateMember']>[0]) => api.updateMember(a)
const listMemberChallenges = (api: Api, a: Parameters<Api['listMemberChallenges']>[0]) =>
  api.listMemberChallenges(a)
const resumeAggregation = (api: Api, a: Parameters<Api['resumeAggregation']>[0]) => api.resumeAggregation(a)
const aggregateMember = (api: Api, a: Parameters<Api['aggregateMember']>[0]) => api.aggregateMember(a)
const readJob = (api: Api, a: Parameters<Api['readJob']>[0]) => api.readJob(a)
const oauthWindowUri = (api: Api, a: Parameters<Api['oauthWindowUri']>[0]) => api.oauthWindowUri(a)

/**
 * The client's services as a layer for Effect users. The runtime's context carries the services but not its
 * FiberRefs: an injected clock (a FiberRef, `Layer.setClock`) is set again, so session windows and retry waits
 * follow the same clock as the facade's.
 */
function clientLayer(
  runtime: ManagedRuntime.ManagedRuntime<NexusServices, never>,
  clock: NexusClock | undefined,
): Layer.Layer<NexusServices> {
  const services = Layer.effectContext(Effect.map(runtime.runtimeEffect, (rt) => rt.context))
  return clock === undefined ? services : Layer.merge(services, Layer.setClock(toEffectClock(clock)))
}

/**
 * Creates a Nexus client: a promise facade over the Effect services (Transport, Sessions, NexusApi).
 * Throws `ConfigError` (naming the field) when the configuration is invalid. Every method takes one
 * object naming the user and resolves to the decoded resource or rejects with the tagged error
 * (`TransportError`, `HttpError`, `DecodeError`, `SessionExpiredError`), or with `ArgumentError` (naming
 * the field) for bad arguments, before any I/O.
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

  // The hot path (docs/benchmarks.md, figure 1): once the layer is built, calls fork their fiber
  // on the built runtime (tuned by `hotRuntime`: no fiber metrics, a shared scheduler) with the `NexusApi`
  // service resolved once, settle one promise from the fiber's observer, and allocate no per-call closure.
  let hot: Hot | undefined
  const warm = (): Promise<Hot> =>
    runtime.runtime().then((rt) => {
      if (hot !== undefined) return hot
      const api = Context.get(rt.context, NexusApi)
      return (hot = { runtime: hotRuntime(rt), api, fast: fastPathOf(api) })
    })

  /** Runs `effect` on a fiber of the hot runtime and settles the call's promise from its exit. */
  const fork = <P extends Signalled, A>(
    h: Hot,
    effect: Effect.Effect<A, NexusError, NexusServices>,
    args: P,
    method: string,
    path: (args: P) => string,
    resolve: (value: A) => void,
    reject: (error: Error) => void,
  ): void => {
    // The caller's OpenTelemetry context rides along with the fiber (src/telemetry/context-ref.ts).
    const fiber = Runtime.runFork(h.runtime, telemetry === undefined ? effect : telemetry.fork(effect))
    fiber.addObserver((exit) => {
      if (Exit.isSuccess(exit)) resolve(exit.value)
      // The path only when it is needed (an abort): a failed call may carry arguments it cannot render.
      else reject(rejection(exit.cause, method, () => path(args)))
    })
    // As `runPromiseExit` does with a signal: an abort interrupts the fiber (rejected as `aborted`).
    const signal = args.signal
    if (signal === undefined) return
    if (signal.aborted) return fiber.unsafeInterruptAsFork(fiber.id())
    const onAbort = () => fiber.unsafeInterruptAsFork(fiber.id())
    signal.addEventListener('abort', onAbort, { once: true })
    fiber.addObserver(() => signal.removeEventListener('abort', onAbort))
  }

  const start = <P extends Signalled, A>(
    h: Hot,
    name: CheckedCall,
    args: P,
    method: string,
    path: (args: P) => string,
    call: (api: NexusApiService, args: P) => Effect.Effect<A, NexusError>,
  ): Promise<A> =>
    new Promise<A>((resolve, reject) => {
      // The fiber-less path (docs/decisions/0006): a call with a fresh session settles from undici's
      // callback; only what needs the Effect program (a retry, a session renewal) gets a fiber.
      const fast = h.fast
      if (
        fast !== undefined &&
        fast.start(name, args, args.signal, (result) => {
          if (!Either.isEither(result))
            fork(h, result as Effect.Effect<A, NexusError>, args, method, path, resolve, reject)
          else if (Either.isRight(result)) resolve(result.right as A)
          else {
            // What the Effect program fails with (a NexusError): rejected as is, like a fiber's failure.
            const error = result.left as NexusError
            reject(error)
          }
        })
      )
        return
      fork(h, call(h.api, args), args, method, path, resolve, reject)
    })

  const run = <P extends Signalled, A>(
    name: CheckedCall,
    args: P,
    method: string,
    path: (args: P) => string,
    call: (api: NexusApiService, args: P) => Effect.Effect<A, NexusError>,
  ): Promise<A> => {
    // Arguments first: a bad one is refused before any I/O (never a raw TypeError, never a request). Here
    // only what this facade touches itself (the object, its signal); every field is checked once, by the
    // NexusApi method the call runs (services/arguments.ts), whose ArgumentError is the rejection.
    const signal: unknown = typeof args === 'object' && args !== null ? args.signal : undefined
    if (
      typeof args !== 'object' ||
      args === null ||
      Array.isArray(args) ||
      (signal !== undefined && !(signal instanceof AbortSignal))
    ) {
      const bad = checkArguments(name, args)
      if (bad !== undefined) return Promise.reject(bad)
    }
    if (closed) {
      // Cold path: check every field here (the path is rendered from them).
      const bad = checkArguments(name, args)
      if (bad !== undefined) return Promise.reject(bad)
      const p = path(args)
      return Promise.reject(
        new TransportError({
          api: 'nexus',
          method,
          path: p,
          reason: 'aborted',
          sent: false,
          message: `${method} ${p} was not sent: the client is closed`,
        }),
      )
    }
    const h = hot
    return h === undefined
      ? warm().then((built) => start(built, name, args, method, path, call))
      : start(h, name, args, method, path, call)
  }

  const client: NexusClient = {
    readMember: (args) => run('readMember', args, 'GET', memberPath, readMember),
    listMembers: (args) => run('listMembers', args, 'GET', membersPath, listMembers),
    listMemberCredentials: (args) =>
      run('listMemberCredentials', args, 'GET', credentialsPath, listMemberCredentials),
    updateMember: (args) => run('updateMember', args, 'PUT', memberPath, updateMember),
    listMemberChallenges: (args) =>
      run('listMemberChallenges', args, 'GET', challengesPath, listMemberChallenges),
    resumeAggregation: (args) => run('resumeAggregation', args, 'PUT', resumePath, resumeAggregation),
    aggregateMember: (args) => run('aggregateMember', args, 'GET', aggregatePath, aggregateMember),
    readJob: (args) => run('readJob', args, 'GET', jobPath, readJob),
    oauthWindowUri: (args) => run('oauthWindowUri', args, 'GET', oauthWindowPath, oauthWindowUri),
    stats: () => ({ requests: counters.requests, sessionsOpened: counters.sessionsOpened }),
    close: async () => {
      if (closed) return
      closed = true
      await runtime.dispose()
    },
    layer: clientLayer(runtime, resolved.right.clock),
    runtime,
  }
  return client
}
