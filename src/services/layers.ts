import { Clock, Duration, Effect, Either, Layer } from 'effect'
import type { ConfigError } from '../domain/index.js'
import { NexusConfig, parseConfig } from './config.js'
import type { NexusClientConfig, NexusClock, ResolvedConfig } from './config.js'
import { NexusApi, NexusApiLive } from './nexus-api.js'
import { Sessions, SessionsLive } from './sessions.js'
import { makeTrafficCounters, TrafficStats } from './stats.js'
import type { TrafficCounters } from './stats.js'
import { Transport, TransportLive } from './transport.js'

// All wiring lives here (architecture.md rule 3): config → transport → sessions → Nexus API.

/** Everything the Nexus layer provides. */
export type NexusServices = NexusApi | Sessions | Transport | NexusConfig | TrafficStats

/** Adapts an injected `NexusClock` to Effect's `Clock`, so retry waits and session windows follow it. */
export function toEffectClock(clock: NexusClock): Clock.Clock {
  const fallback = Clock.make()
  const nanos = () => BigInt(Math.round(clock.now() * 1_000_000))
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => clock.now(),
    currentTimeMillis: Effect.sync(() => clock.now()),
    unsafeCurrentTimeNanos: nanos,
    currentTimeNanos: Effect.sync(nanos),
    sleep: (duration) =>
      clock.sleep === undefined
        ? fallback.sleep(duration)
        : Effect.promise(() => clock.sleep!(Duration.toMillis(duration))),
  }
}

/** The layer for an already validated configuration. */
export function layerFromConfig(
  config: ResolvedConfig,
  counters: TrafficCounters = makeTrafficCounters(),
): Layer.Layer<NexusServices> {
  const base = Layer.merge(Layer.succeed(NexusConfig, config), Layer.succeed(TrafficStats, counters))
  const transport = Layer.provideMerge(TransportLive, base)
  const sessions = Layer.provideMerge(SessionsLive, transport)
  const api = Layer.provideMerge(NexusApiLive, sessions)
  return config.clock === undefined ? api : Layer.merge(api, Layer.setClock(toEffectClock(config.clock)))
}

/**
 * The Nexus services as one Effect layer (Transport, Sessions, NexusApi), for Effect users. Fails with
 * `ConfigError` naming the bad field. Build it once and reuse the runtime: the layer owns the
 * connection pool and the session cache.
 *
 * @example
 * ```ts
 * import { Effect } from 'effect'
 * import { makeNexusLayer, NexusApi } from 'mx-reconnect'
 *
 * const program = Effect.flatMap(NexusApi, (api) => api.readMember({ userId: 'u1', memberGuid: 'MBR-1' }))
 * const member = await Effect.runPromise(Effect.provide(program, makeNexusLayer(config)))
 * ```
 */
export function makeNexusLayer(
  config: NexusClientConfig,
  counters?: TrafficCounters,
): Layer.Layer<NexusServices, ConfigError> {
  const resolved = parseConfig(config)
  return Either.isLeft(resolved) ? Layer.fail(resolved.left) : layerFromConfig(resolved.right, counters)
}
