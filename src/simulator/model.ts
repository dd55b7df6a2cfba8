import type { Ctx } from './context.js'
import type { Effect, SimRequest, StepMeta, StepResult } from './protocol.js'
import { route } from './routes.js'
import type { SimState } from './state.js'

/**
 * The pure model of MX's SSO, MDX and Nexus APIs (simulator.md "Shape"): `step(state, request, now)` returns
 * the reply, the side effects to perform (webhooks) and what the request concerned. It does no I/O, reads no
 * clock (time is `now`, simulated epoch milliseconds) and draws randomness only from the seeded generator
 * in `state`, so a run is a function of its seed, its requests and their times.
 *
 * `state` is updated in place and returned (copying maps per request would make large runs quadratic);
 * handlers validate before writing, so a refused request changes nothing.
 *
 * @example
 * ```ts
 * const state = createState({ seed: 1 })
 * const { response } = step(state, { method: 'POST', path: '/sessions', query: '', headers: {}, body: undefined }, Date.now())
 * response.status // 401: no MD-API-TOKEN
 * ```
 */
export function step(state: SimState, request: SimRequest, now: number): StepResult {
  const effects: Effect[] = []
  const meta: StepMeta = { api: 'nexus' }
  const ctx: Ctx = { state, req: request, now, effects, meta }
  const response = route(ctx)
  return { state, response, effects, meta }
}

export { tick, nextWakeup } from './jobs.js'
export { createState } from './state.js'
