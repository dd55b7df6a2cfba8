/**
 * One timer for many sleeping lifecycles (reconnector.md, Memory): evicted lifecycles register their
 * wake-up time here, and a single host timer fires for the earliest one. Re-registering a key replaces
 * its time; an overdue time fires at once (lifecycle.md, Restore).
 */
export interface TimerQueue {
  /** Wake `key` at `at` (epoch ms, in the queue's clock). Replaces any earlier registration of `key`. */
  schedule(key: string, at: number): void
  /** Forget `key`. */
  cancel(key: string): void
  /** Keys currently scheduled. */
  readonly size: number
  /** The earliest scheduled time, if any. */
  next(): number | undefined
  /** Stop the host timer and forget everything. */
  close(): void
}

/** The clock and the one host timer the queue uses (injected so tests never sleep, house rule 7). */
export interface TimerHost {
  now(): number
  setTimer(callback: () => void, ms: number): unknown
  clearTimer(handle: unknown): void
}

/** The real host: `Date.now` and one unref'd `setTimeout`. */
export const realTimerHost: TimerHost = {
  now: () => Date.now(),
  setTimer: (callback, ms) => {
    const handle = setTimeout(callback, Math.min(Math.max(0, ms), 2_147_483_647))
    handle.unref?.()
    return handle
  },
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

interface Entry {
  readonly key: string
  readonly at: number
  readonly seq: number
}

/** Binary min-heap on (at, seq), with lazy deletion through a key → seq map. */
class Heap {
  private readonly items: Entry[] = []
  push(entry: Entry): void {
    const items = this.items
    items.push(entry)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(items[i]!, items[parent]!)) break
      ;[items[i], items[parent]] = [items[parent]!, items[i]!]
      i = parent
    }
  }
  peek(): Entry | undefined {
    return this.items[0]
  }
  pop(): Entry | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    items[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < items.length && before(items[l]!, items[m]!)) m = l
      if (r < items.length && before(items[r]!, items[m]!)) m = r
      if (m === i) break
      ;[items[i], items[m]] = [items[m]!, items[i]!]
      i = m
    }
    return top
  }
  clear(): void {
    this.items.length = 0
  }
}

const before = (a: Entry, b: Entry): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/**
 * Creates a timer queue that calls `onDue(key)` once per registration when its time comes.
 *
 * @example
 * ```ts
 * const queue = createTimerQueue((memberGuid) => rehydrate(memberGuid))
 * queue.schedule('MBR-1', Date.now() + 15 * 60_000)
 * ```
 */
export function createTimerQueue(onDue: (key: string) => void, host: TimerHost = realTimerHost): TimerQueue {
  const heap = new Heap()
  const live = new Map<string, number>() // key → seq of its live entry
  let seq = 0
  let handle: unknown
  let armedFor: number | undefined
  let closed = false

  const arm = (): void => {
    let top = heap.peek()
    while (top !== undefined && live.get(top.key) !== top.seq) {
      heap.pop()
      top = heap.peek()
    }
    if (top === undefined || closed) {
      if (handle !== undefined) host.clearTimer(handle)
      handle = undefined
      armedFor = undefined
      return
    }
    if (armedFor === top.at && handle !== undefined) return
    if (handle !== undefined) host.clearTimer(handle)
    armedFor = top.at
    handle = host.setTimer(fire, top.at - host.now())
  }

  const fire = (): void => {
    handle = undefined
    armedFor = undefined
    const now = host.now()
    const due: string[] = []
    for (let top = heap.peek(); top !== undefined && top.at <= now; top = heap.peek()) {
      heap.pop()
      if (live.get(top.key) === top.seq) {
        live.delete(top.key)
        due.push(top.key)
      }
    }
    arm()
    for (const key of due) onDue(key)
  }

  return {
    schedule(key, at) {
      if (closed) return
      seq += 1
      live.set(key, seq)
      heap.push({ key, at, seq })
      arm()
    },
    cancel(key) {
      if (live.delete(key)) arm()
    },
    get size() {
      return live.size
    },
    next() {
      arm()
      return armedFor
    },
    close() {
      closed = true
      live.clear()
      heap.clear()
      arm()
    },
  }
}
