import { createReconnector } from '../../../src/reconnector/index.js'
import type { ReconnectorEvent, ReconnectorOptions } from '../../../src/reconnector/index.js'
import type { LifecycleStore } from '../../../src/stores/index.js'
import { TIME_SCALE, seedDenied, type simEnv } from '../../support/sim-env.js'

// What the reconnector's integration tests share: the simulator-backed set-up (a real simulator over
// loopback HTTP, a real store), the credentials the simulator accepts, and a reconnector whose events
// can be awaited. Oracles stay in the tests.

/** A simulator, its client and their close (test/support/sim-env.ts). */
export type SimEnv = Awaited<ReturnType<typeof simEnv>>

/** A user deadline of an hour (36 real s at TIME_SCALE): a parked member stays parked however slow the machine is. */
export const hourPolicy = { timeScale: TIME_SCALE, userResponseMs: 3_600_000 }

/** The simulator's good credentials (docs/simulator.md: username `mxuser`, any password but the special ones). */
export const good = (fields: readonly { guid: string; type: string | null }[]) =>
  fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'good' : 'mxuser' }))

/** Requests the simulator logged for one member, and how many of them were updates (PUT). */
export function requestsOf(env: SimEnv) {
  const requests = (memberGuid: string) => env.sim.requests().filter((q) => q.memberGuid === memberGuid)
  const puts = (memberGuid: string) => requests(memberGuid).filter((q) => q.method === 'PUT').length
  return { requests, puts }
}

/** A DENIED member seeded in the simulator under `userId`. */
export const deniedMember = (env: SimEnv, userId: string) => ({
  userId,
  memberGuid: seedDenied(env.sim, userId),
})

/**
 * A reconnector over `env`'s client and `store` (the hour-long user deadline unless `extra` says
 * otherwise), the events it emitted, and `event(match)`: resolves on the first event, past or future,
 * that matches.
 */
export function makeReconnector(env: SimEnv, store: LifecycleStore, extra: Partial<ReconnectorOptions> = {}) {
  const events: ReconnectorEvent[] = []
  const listeners = new Set<(e: ReconnectorEvent) => void>()
  const onEvent = (e: ReconnectorEvent) => {
    events.push(e)
    for (const listener of listeners) listener(e)
  }
  const r = createReconnector({ client: env.client, store, policy: hourPolicy, onEvent, ...extra })
  const event = (match: (e: ReconnectorEvent) => boolean) =>
    new Promise<ReconnectorEvent>((resolve) => {
      const seen = events.find(match)
      if (seen) return resolve(seen)
      const listener = (e: ReconnectorEvent) => {
        if (!match(e)) return
        listeners.delete(listener)
        resolve(e)
      }
      listeners.add(listener)
    })
  return { r, events, event }
}

/** A promise the test resolves by hand (`open`), and one that says the code reached the held call (`seen`). */
export function hold() {
  let open!: () => void
  let reached!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  const seen = new Promise<void>((resolve) => (reached = resolve))
  return { open, opened, seen, reached }
}

/** Lets `turns` macrotasks run (a bounded count of event-loop turns, not a wall-clock wait). */
export async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
