/**
 * A binary min-heap of (time, key) wake-ups. The model pushes one entry per scheduled transition (job phase
 * end, challenge expiry) so the server can hold a single timer for webhooks (simulator.md) instead of one
 * per member; popping is O(log n).
 */
export class WakeupHeap {
  readonly #at: number[] = []
  readonly #key: string[] = []

  get size(): number {
    return this.#at.length
  }

  push(at: number, key: string): void {
    const at_ = this.#at
    const key_ = this.#key
    let i = at_.length
    at_.push(at)
    key_.push(key)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if ((at_[parent] ?? 0) <= at) break
      at_[i] = at_[parent] ?? 0
      key_[i] = key_[parent] ?? ''
      i = parent
    }
    at_[i] = at
    key_[i] = key
  }

  /** The earliest time, or undefined when empty. */
  peek(): number | undefined {
    return this.#at[0]
  }

  /** Removes and returns the earliest key (call only when `size > 0`). */
  pop(): string {
    const at_ = this.#at
    const key_ = this.#key
    const top = key_[0] ?? ''
    const lastAt = at_.pop() ?? 0
    const lastKey = key_.pop() ?? ''
    const n = at_.length
    if (n > 0) {
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        if (left >= n) break
        const right = left + 1
        const child = right < n && (at_[right] ?? 0) < (at_[left] ?? 0) ? right : left
        if ((at_[child] ?? 0) >= lastAt) break
        at_[i] = at_[child] ?? 0
        key_[i] = key_[child] ?? ''
        i = child
      }
      at_[i] = lastAt
      key_[i] = lastKey
    }
    return top
  }

  clear(): void {
    this.#at.length = 0
    this.#key.length = 0
  }
}
