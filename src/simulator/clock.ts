import { performance } from 'node:perf_hooks'

/** The largest single clock move: ten years of simulated time (more would overflow ISO dates soon). */
export const MAX_ADVANCE_MS = 10 * 365.25 * 24 * 3_600_000

/**
 * The simulator's clock (simulator.md: "a simulated clock with a time scale"). Simulated time runs
 * `1 / timeScale` times faster than real time: with `timeScale: 0.01`, one simulated second lasts 10 real
 * milliseconds. `timeScale: 0` freezes the clock, so it moves only through {@link ScaledClock.advance}.
 */
export class ScaledClock {
  readonly timeScale: number
  readonly #start: number
  readonly #realStart: number
  readonly #realNow: () => number
  #offset = 0

  constructor(options: { timeScale: number; startTime: number; realNow?: () => number }) {
    if (!Number.isFinite(options.timeScale) || options.timeScale < 0) {
      throw new RangeError('timeScale must be a finite number >= 0')
    }
    this.timeScale = options.timeScale
    this.#start = options.startTime
    this.#realNow = options.realNow ?? (() => performance.now())
    this.#realStart = this.#realNow()
  }

  /** The current simulated time, in epoch milliseconds (integer, never decreasing). */
  now(): number {
    const elapsed = this.timeScale === 0 ? 0 : (this.#realNow() - this.#realStart) / this.timeScale
    return Math.floor(this.#start + this.#offset + elapsed)
  }

  /** Moves simulated time forward by `ms` (0 to {@link MAX_ADVANCE_MS}) without waiting. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_ADVANCE_MS) {
      throw new RangeError(`ms must be a finite number between 0 and ${MAX_ADVANCE_MS} (ten years)`)
    }
    this.#offset += ms
  }

  /** Real milliseconds until simulated time `at` (Infinity when the clock is frozen). */
  realDelayUntil(at: number): number {
    if (this.timeScale === 0) return Number.POSITIVE_INFINITY
    return Math.max(0, (at - this.now()) * this.timeScale)
  }
}
