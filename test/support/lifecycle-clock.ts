import type { LifecycleClock } from '../../src/bridge/clock.js'

// A simulated clock for lifecycle tests: time moves only when the test advances it (architecture.md,
// house rule 7: unit tests never sleep on real time). Timers due at the same instant run in order.

interface Timer {
  readonly at: number
  readonly seq: number
  readonly run: () => void
  cancelled: boolean
}

/** A manual clock implementing the bridge's `LifecycleClock`. */
export class SimClock implements LifecycleClock {
  private t: number
  private seq = 0
  private timers: Timer[] = []

  constructor(start = 1_700_000_000_000) {
    this.t = start
  }

  now(): number {
    return this.t
  }

  /** Runs `run` at absolute time `at` (or now, if in the past); returns a cancel function. */
  at(at: number, run: () => void): () => void {
    const timer: Timer = { at: Math.max(at, this.t), seq: this.seq++, run, cancelled: false }
    this.timers.push(timer)
    return () => {
      timer.cancelled = true
    }
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(new Error('aborted'))
      const cancel = this.at(this.t + Math.max(0, ms), () => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      })
      const onAbort = () => {
        cancel()
        reject(new Error('aborted'))
      }
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Pending timers (not cancelled). */
  pending(): number {
    this.timers = this.timers.filter((t) => !t.cancelled)
    return this.timers.length
  }

  /** Time of the next pending timer. */
  next(): number | undefined {
    this.pending()
    return this.timers.reduce<number | undefined>(
      (min, t) => (min === undefined || t.at < min ? t.at : min),
      undefined,
    )
  }

  /** Moves to the next timer's time and runs every timer due then; false when nothing is pending. */
  advance(): boolean {
    const next = this.next()
    if (next === undefined) return false
    this.t = next
    const due = this.timers.filter((t) => t.at <= next).sort((a, b) => a.seq - b.seq)
    this.timers = this.timers.filter((t) => t.at > next)
    for (const timer of due) if (!timer.cancelled) timer.run()
    return true
  }
}

/** Lets every pending promise continuation run (the bridge and XState settle on microtasks). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
