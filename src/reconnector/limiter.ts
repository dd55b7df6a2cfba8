/**
 * A counting semaphore: at most `limit` tasks hold a slot; the rest wait in FIFO order. Used for the
 * reconnector's bounded concurrency (reconnector.md).
 */
export interface Limiter {
  /** Run `task` when a slot is free; the slot is released when it settles. */
  run<T>(task: () => Promise<T>): Promise<T>
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
  const queue: Array<() => void> = []
  const release = (): void => {
    const next = queue.shift()
    if (next) next()
    else active -= 1
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
    get active() {
      return active
    },
    get waiting() {
      return queue.length
    },
  }
}
