/**
 * A counting semaphore: at most `limit` tasks hold a slot; the rest wait in FIFO order. Used for the
 * reconnector's bounded concurrency (reconnector.md).
 */
export interface Limiter {
  /** Run `task` when a slot is free; the slot is released when it settles. */
  run<T>(task: () => Promise<T>): Promise<T>
  /**
   * Takes a free slot now, when one is free and nobody waits: returns its release (idempotent), else
   * undefined. For work that holds its slot past a promise (a live lifecycle until it leaves memory).
   */
  tryAcquire(): (() => void) | undefined
  /** Resolves once a slot is free and nobody waits for one (at once when that holds now). */
  whenFree(): Promise<void>
  /** Tasks holding a slot now. */
  readonly active: number
  /** Tasks waiting for a slot. */
  readonly waiting: number
}

/**
 * Creates a limiter with `limit` slots.
 *
 * @example
 * ```ts
 * const limiter = createLimiter(32)
 * await Promise.all(members.map((m) => limiter.run(() => reconnect(m))))
 * ```
 */
export function createLimiter(limit: number): Limiter {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('concurrency must be a positive integer')
  let active = 0
  // A FIFO on an array with a moving head (O(1) per task; `shift()` is O(n) on a long queue, issue 15).
  let queue: Array<() => void> = []
  let head = 0
  /** Callers of `whenFree` waiting for a slot to come free. */
  let free: Array<() => void> = []
  const release = (): void => {
    const next = queue[head]
    if (next === undefined) {
      active -= 1
      const ready = free
      free = []
      for (const resolve of ready) resolve()
      return
    }
    queue[head++] = undefined as never
    if (head === queue.length) {
      queue = []
      head = 0
      // Stryker disable next-line all: when to compact is cost only; FIFO order and counts are the same either way
    } else if (head >= 1024 && head * 2 >= queue.length) {
      queue = queue.slice(head)
      head = 0
    }
    next()
  }
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active < limit) active += 1
      else await new Promise<void>((resolve) => queue.push(resolve))
      try {
        return await task()
      } finally {
        release()
      }
    },
    tryAcquire() {
      if (active >= limit || head < queue.length) return undefined
      active += 1
      let released = false
      return () => {
        if (released) return
        released = true
        release()
      }
    },
    whenFree() {
      if (active < limit && head === queue.length) return Promise.resolve()
      return new Promise<void>((resolve) => free.push(resolve))
    },
    get active() {
      return active
    },
    get waiting() {
      return queue.length - head
    },
  }
}
