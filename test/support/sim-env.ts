import type { KnownStatus } from '../../src/domain/index.js'
import { systemClock, type LifecycleClock } from '../../src/bridge/clock.js'
import { createNexusClient, type NexusClient } from '../../src/client/index.js'
import type { NexusClientConfig } from '../../src/services/config.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js'

/** Challenge life in sim-env simulators: a simulated day (see simEnv). */
export const CHALLENGE_TTL_MS = 24 * 3_600_000

/** The simulator's timeScale and the lifecycle's, on one scaled clock: 1 simulated s = 10 real ms. */
export const TIME_SCALE = 0.01

/**
 * A simulator on 127.0.0.1:0 and a client pointed at it. The simulator runs the `messy` profile unless the
 * caller asks for `profile: 'clean'`: integration tests face what real MX sends (docs/simulator.md, Profiles).
 */
export async function simEnv(options: SimulatorOptions = {}): Promise<{
  sim: Simulator
  client: NexusClient
  config: { nexusUrl: string; ssoUrl: string; clientId: string; apiKey: string }
  close: () => Promise<void>
}> {
  const sim = await startSimulator({
    seed: 7,
    timeScale: TIME_SCALE,
    profile: 'messy',
    // MX's 5-minute challenge life is 3 real seconds at TIME_SCALE: on a loaded machine a lifecycle's
    // read → list → resume can take longer, and the test would measure the machine, not the code. Tests
    // about expiry pass their own.
    challengeTtlMs: CHALLENGE_TTL_MS,
    ...options,
  })
  const config = { nexusUrl: sim.nexusUrl, ssoUrl: sim.ssoUrl, clientId: sim.clientId, apiKey: sim.apiKey }
  const client = createNexusClient(config)
  return {
    sim,
    client,
    config,
    close: async () => {
      await client.close()
      await sim.close()
    },
  }
}

/** A simulator, a client and a lifecycle clock that all run on the simulator's scaled clock. */
export interface ScaledEnv {
  readonly sim: Simulator
  /** A client whose retry sleeps and stamps run on the simulator's clock. */
  readonly client: NexusClient
  /** The lifecycle's clock: the simulator's time, sleeps scaled by TIME_SCALE. */
  readonly clock: LifecycleClock
  /** Another client on the same simulator and clock, e.g. with a shorter request timeout. */
  clientWith(extra: Partial<NexusClientConfig>): NexusClient
  close(): Promise<void>
}

/**
 * Like {@link simEnv}, but the client and the lifecycle share the simulator's clock (1 simulated s = 10 real
 * ms), as the bridge's integration tests need: a poll floor of 3 s is 3 simulated seconds.
 */
export async function scaledEnv(options: SimulatorOptions = {}): Promise<ScaledEnv> {
  const { sim, config, client: plain } = await simEnv(options)
  await plain.close()
  const clients: NexusClient[] = []
  const clientWith = (extra: Partial<NexusClientConfig>): NexusClient => {
    const made = createNexusClient({
      ...config,
      clock: {
        now: () => sim.now(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms * TIME_SCALE)),
      },
      ...extra,
    })
    clients.push(made)
    return made
  }
  return {
    sim,
    client: clientWith({}),
    clock: { now: () => sim.now(), sleep: (ms, signal) => systemClock.sleep(ms * TIME_SCALE, signal) },
    clientWith,
    close: async () => {
      await Promise.all(clients.map((c) => c.close()))
      await sim.close()
    },
  }
}

/** Seeds a user (once) and a DENIED mxbank member whose stored password is `x`. */
export function seedDenied(sim: Simulator, userId: string, status: KnownStatus = 'DENIED'): string {
  return sim.createMember({ userId, institutionCode: 'mxbank', username: 'mxuser', password: 'x', status })
}
