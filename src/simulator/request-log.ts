import type { SimApi } from './protocol.js'

/**
 * One request as the simulator saw it; secrets are `[redacted]` (see `redact.ts`).
 *
 * @example
 * ```ts
 * const writes: RequestLogEntry[] = sim.requests().filter((entry) => entry.method === 'PUT')
 * for (const entry of writes) console.log(entry.seq, entry.path, entry.status, entry.body) // secrets are [redacted]
 * ```
 */
export interface RequestLogEntry {
  /** 1, 2, 3… in arrival order. */
  readonly seq: number
  /** Simulated epoch milliseconds when the request was handled. */
  readonly at: number
  readonly api: SimApi
  readonly method: string
  /** Path without the query string. */
  readonly path: string
  readonly query?: string
  /** HTTP status answered; 0 when a `reset` fault closed the connection without one. */
  readonly status: number
  readonly userGuid?: string
  readonly memberGuid?: string
  readonly jobGuid?: string
  /** Redacted JSON body, or `'[unparseable]'` when the body was not JSON. */
  readonly body?: unknown
  /** Selected headers (MD-* tokens redacted, MX-Skip-Webhook / Accept / Content-Type kept). */
  readonly headers?: Readonly<Record<string, string>>
  /** The fault applied to this request, if any. */
  readonly fault?: string
  /** Real milliseconds the model step took. */
  readonly stepMs?: number
}

/**
 * A bounded ring of log entries (simulator.md: the log must stay cheap under benchmark load). When full,
 * the oldest entries are dropped; `dropped` counts them.
 */
export class RequestLog {
  readonly limit: number
  #entries: (RequestLogEntry | undefined)[] = []
  #start = 0
  #size = 0
  dropped = 0

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError('logLimit must be an integer >= 0')
    this.limit = limit
  }

  push(entry: RequestLogEntry): void {
    if (this.limit === 0) {
      this.dropped += 1
      return
    }
    if (this.#size < this.limit) {
      this.#entries.push(entry)
      this.#size += 1
      return
    }
    this.#entries[this.#start] = entry
    this.#start = (this.#start + 1) % this.limit
    this.dropped += 1
  }

  /** Entries oldest first. */
  toArray(): RequestLogEntry[] {
    const out: RequestLogEntry[] = []
    for (let i = 0; i < this.#size; i++) {
      const entry = this.#entries[(this.#start + i) % this.#size]
      if (entry !== undefined) out.push(entry)
    }
    return out
  }

  clear(): void {
    this.#entries = []
    this.#start = 0
    this.#size = 0
  }

  get size(): number {
    return this.#size
  }
}
