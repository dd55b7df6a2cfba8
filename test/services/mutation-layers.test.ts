import { Clock, Duration, Effect, Exit, Layer } from 'effect'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/domain/index.js'
import { NexusConfig } from '../../src/services/config.js'
import type { NexusClock } from '../../src/services/config.js'
import { makeNexusLayer, toEffectClock } from '../../src/services/layers.js'

// Written against the mutants Stryker left alive or uncovered in src/services/layers.ts (docs/testing.md).
// The oracles: `NexusClock`'s TSDoc (`now` for session windows, `sleep` for retry waits, a real timer when
// `sleep` is not given; house rule 7: time is injected) and `makeNexusLayer`'s (fails with ConfigError
// naming the bad field).

const valid = {
  nexusUrl: 'http://127.0.0.1:9/nexus',
  ssoUrl: 'http://127.0.0.1:9/sso',
  clientId: 'client-1',
  apiKey: 'KEY-1',
}

const withClock = <A>(clock: NexusClock, program: Effect.Effect<A>) =>
  Effect.runPromise(Effect.provide(program, Layer.setClock(toEffectClock(clock))))

describe('toEffectClock: Effect reads the injected time', () => {
  const now = Date.parse('2026-01-01T00:00:00Z') + 0.25

  it('in milliseconds and nanoseconds', async () => {
    const clock: NexusClock = { now: () => now }
    const [millis, nanos] = await withClock(
      clock,
      Effect.all([Clock.currentTimeMillis, Clock.currentTimeNanos]),
    )
    expect(millis).toBe(now)
    expect(nanos).toBe(BigInt(now * 1_000_000))
    const effectClock = toEffectClock(clock)
    expect(effectClock.unsafeCurrentTimeMillis()).toBe(now)
    expect(effectClock.unsafeCurrentTimeNanos()).toBe(BigInt(now * 1_000_000))
  })

  it('waits through the injected sleep, with the wait in milliseconds', async () => {
    const waits: number[] = []
    const clock: NexusClock = { now: () => now, sleep: (ms) => (waits.push(ms), Promise.resolve()) }
    await withClock(clock, Effect.sleep(Duration.seconds(90)))
    expect(waits).toEqual([90_000])
  })

  it('waits on a real timer when the clock has no sleep', async () => {
    const clock: NexusClock = { now: () => now }
    await expect(withClock(clock, Effect.as(Effect.sleep(Duration.zero), 'woke'))).resolves.toBe('woke')
  })
})

describe('makeNexusLayer', () => {
  it('fails with the ConfigError naming the bad field', async () => {
    const exit = await Effect.runPromiseExit(
      Effect.provide(NexusConfig, makeNexusLayer({ ...valid, clientId: '' })),
    )
    if (Exit.isSuccess(exit) || exit.cause._tag !== 'Fail') throw new Error('expected a failure')
    expect(exit.cause.error).toBeInstanceOf(ConfigError)
    expect(exit.cause.error.field).toBe('clientId')
  })

  it('provides the validated configuration for a good one', async () => {
    const clientId = await Effect.runPromise(
      Effect.provide(
        Effect.map(NexusConfig, (c) => c.clientId),
        makeNexusLayer(valid),
      ),
    )
    expect(clientId).toBe('client-1')
  })
})
