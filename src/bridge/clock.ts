// Time for the lifecycle comes from one injected clock (architecture.md, house rule 7; decisions/0002):
// the bridge stamps every actor result with `clock.now()` and sleeps through `clock.sleep`. Tests pass a
// simulated clock; the demo may pass a scaled one.

/**
 * The clock the lifecycle's actors read and sleep on.
 *
 * @example
 * ```ts
 * // A clock for tests: time moves only when the test says so.
 * let now = 0
 * const clock: LifecycleClock = { now: () => now, sleep: async (ms) => void (now += ms) }
 * const lifecycle = createMemberLifecycle(client, { clock })
 * ```
 */
export interface LifecycleClock {
  /** Epoch ms. */
  now(): number
  /** Resolves after about `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>
}

function abortError(): Error {
  const error = new Error('aborted')
  error.name = 'AbortError'
  return error
}

/**
 * The real clock: `Date.now()` and `setTimeout`.
 *
 * @example
 * ```ts
 * // A clock running 100× faster, for a simulator started with `timeScale: 0.01`:
 * const fast = { now: () => sim.now(), sleep: (ms, signal) => systemClock.sleep(ms / 100, signal) }
 * ```
 */
export const systemClock: LifecycleClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(abortError())
      const timer = setTimeout(
        () => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        },
        Math.max(0, ms),
      )
      const onAbort = () => {
        clearTimeout(timer)
        reject(abortError())
      }
      signal.addEventListener('abort', onAbort, { once: true })
    }),
}

/** Sleeps until `clock.now() >= until` (timers may fire a little early; this never returns early). */
export async function sleepUntil(clock: LifecycleClock, until: number, signal: AbortSignal): Promise<void> {
  for (let now = clock.now(); now < until; now = clock.now()) {
    await clock.sleep(until - now, signal)
  }
}
