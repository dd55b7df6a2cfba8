import { createRng, nextFloat, type Rng } from './random.js'
import type { WebhookEffect } from './protocol.js'
import type { WebhookKind } from './state.js'

/**
 * Webhook delivery (Nexus reference §8.2): POSTs the model's webhook effects as JSON, one at a time, in
 * order, with seeded misbehaviour on request: duplicate, reorder (swap with the next one) or drop. A
 * failed delivery is retried as MX does, "over roughly a day, at most 12 retries", on the simulated clock:
 * each retry waits twice as long as the one before (20 s, 40 s, … about 22.8 simulated hours in all), so a
 * frozen clock retries only when moved. Waiting retries do not hold up later deliveries.
 */

/** What the dispatcher needs of the simulator's clock. */
export interface WebhookClock {
  now(): number
  /** Real ms until simulated time `at` (Infinity when frozen). */
  realDelayUntil(at: number): number
}

/**
 * How the simulator misbehaves when delivering (each a probability 0–1, or true for always).
 *
 * @example
 * ```ts
 * const webhooks: WebhookBehaviour = { duplicate: 0.1, reorder: true, drop: 0.05, retries: 3 }
 * const sim = await startSimulator({ webhookUrl, webhooks })
 * ```
 */
export interface WebhookBehaviour {
  readonly duplicate?: number | boolean
  readonly reorder?: number | boolean
  readonly drop?: number | boolean
  /** Payload kinds to send; default CONNECTION_STATUS and AGGREGATION. */
  readonly kinds?: readonly WebhookKind[]
  /** Retries after a failed delivery (network error or non-2xx), 0–12. Default 12 (§8.2). */
  readonly retries?: number
  /** Simulated ms before the first retry (doubles each time). Default 20000. */
  readonly retryDelayMs?: number
}

/** Most retries MX makes (§8.2). */
export const MAX_WEBHOOK_RETRIES = 12
/** Default first retry delay, simulated ms: 12 doubling retries then span about 22.8 hours. */
export const DEFAULT_RETRY_DELAY_MS = 20_000

/**
 * One delivery's record (`sim.webhooks.deliveries()`), written once it is delivered, dropped or failed.
 *
 * @example
 * ```ts
 * await sim.webhooks.flush()
 * const failed: WebhookDelivery[] = sim.webhooks.deliveries().filter((d) => d.outcome === 'failed')
 * ```
 */
export interface WebhookDelivery {
  readonly seq: number
  /** Simulated time of the change the payload reports. */
  readonly at: number
  readonly kind: WebhookKind
  readonly payload: Readonly<Record<string, unknown>>
  /** `delivered`, `dropped` (on purpose) or `failed` (receiver unreachable / non-2xx after every retry). */
  readonly outcome: 'delivered' | 'dropped' | 'failed'
  /** Receiver's HTTP status (last attempt). */
  readonly status?: number
  readonly attempts: number
  /** Simulated time of each attempt. */
  readonly attemptTimes: readonly number[]
  readonly duplicate: boolean
  readonly reordered: boolean
}

const chance = (rng: Rng, p: number | boolean | undefined): boolean => {
  if (p === undefined || p === false) return false
  if (p === true) return true
  return nextFloat(rng) < p
}

interface Queued {
  readonly effect: WebhookEffect
  readonly seq: number
  readonly reordered: boolean
  readonly duplicate: boolean
  /** Simulated times of the attempts made so far. */
  readonly attemptTimes: readonly number[]
}

interface Waiting {
  readonly item: Queued
  readonly dueAt: number
}

/** A delivery queue to one receiver URL. */
export class WebhookDispatcher {
  readonly #url: string
  readonly #behaviour: WebhookBehaviour
  readonly #clock: WebhookClock
  readonly #rng: Rng
  readonly #retries: number
  readonly #firstDelay: number
  readonly #queue: Queued[] = []
  readonly #waiting: Waiting[] = []
  readonly #log: WebhookDelivery[] = []
  readonly #idle: (() => void)[] = []
  readonly #abort = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #running = false
  #seq = 0
  #closed = false

  constructor(url: string, behaviour: WebhookBehaviour, seed: number, clock: WebhookClock) {
    const retries = behaviour.retries ?? MAX_WEBHOOK_RETRIES
    if (!Number.isInteger(retries) || retries < 0 || retries > MAX_WEBHOOK_RETRIES) {
      throw new RangeError(`webhooks.retries must be an integer between 0 and ${MAX_WEBHOOK_RETRIES}`)
    }
    const delay = behaviour.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS
    if (!Number.isFinite(delay) || delay < 0 || delay > 24 * 3_600_000) {
      throw new RangeError('webhooks.retryDelayMs must be a finite number between 0 and 86400000')
    }
    this.#url = url
    this.#behaviour = behaviour
    this.#clock = clock
    this.#retries = retries
    this.#firstDelay = delay
    this.#rng = createRng(seed ^ 0x2545f491)
  }

  /** Queues the model's webhook effects in order. */
  enqueue(effects: readonly WebhookEffect[]): void {
    if (this.#closed) return
    for (const effect of effects) {
      this.#seq += 1
      this.#queue.push({ effect, seq: this.#seq, reordered: false, duplicate: false, attemptTimes: [] })
    }
    this.#start()
  }

  /** Sends the retries that came due (the simulator calls this when its clock is moved). */
  poke(): void {
    if (this.#closed) return
    const now = this.#clock.now()
    const due = this.#waiting.filter((w) => w.dueAt <= now)
    if (due.length > 0) {
      for (const w of due) this.#waiting.splice(this.#waiting.indexOf(w), 1)
      for (const w of due.sort((a, b) => a.dueAt - b.dueAt)) this.#queue.push(w.item)
      this.#start()
    }
    this.#arm()
  }

  deliveries(): WebhookDelivery[] {
    return [...this.#log]
  }

  /** Deliveries waiting for a retry at a later simulated time. */
  waiting(): number {
    return this.#waiting.length
  }

  /** Resolves when nothing is queued or in flight (retries due at a later simulated time do not count). */
  flush(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  close(): void {
    this.#closed = true
    this.#queue.length = 0
    this.#waiting.length = 0
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#abort.abort()
  }

  #start(): void {
    if (!this.#running && this.#queue.length > 0) void this.#run()
  }

  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#closed || this.#waiting.length === 0) return
    const next = Math.min(...this.#waiting.map((w) => w.dueAt))
    const delay = this.#clock.realDelayUntil(next)
    if (!Number.isFinite(delay)) return
    this.#timer = setTimeout(() => this.poke(), Math.min(Math.ceil(delay) + 1, 2_147_483_647))
    this.#timer.unref()
  }

  async #run(): Promise<void> {
    this.#running = true
    try {
      for (let item = this.#queue.shift(); item !== undefined && !this.#closed; item = this.#queue.shift()) {
        // Reorder: let the next delivery overtake this one.
        const next = this.#queue[0]
        if (next !== undefined && !item.reordered && chance(this.#rng, this.#behaviour.reorder)) {
          this.#queue[0] = { ...item, reordered: true }
          item = next
        }
        if (item.attemptTimes.length === 0 && chance(this.#rng, this.#behaviour.drop)) {
          this.#record(item, 'dropped', undefined)
          continue
        }
        const delivered = await this.#attempt(item)
        if (delivered && !item.duplicate && chance(this.#rng, this.#behaviour.duplicate)) {
          await this.#attempt({ ...item, duplicate: true, attemptTimes: [] })
        }
      }
    } finally {
      this.#running = false
      for (const resolve of this.#idle.splice(0)) resolve()
    }
  }

  /** One attempt: records the delivery, or schedules its retry, or records it failed. */
  async #attempt(item: Queued): Promise<boolean> {
    const tried: Queued = { ...item, attemptTimes: [...item.attemptTimes, this.#clock.now()] }
    let status: number | undefined
    try {
      const response = await fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(item.effect.payload),
        signal: this.#abort.signal,
      })
      status = response.status
      await response.arrayBuffer()
      if (status >= 200 && status < 300) {
        this.#record(tried, 'delivered', status)
        return true
      }
    } catch {
      status = undefined
    }
    const made = tried.attemptTimes.length
    if (this.#closed || made > this.#retries) {
      this.#record(tried, 'failed', status)
      return false
    }
    const dueAt = this.#clock.now() + this.#firstDelay * 2 ** (made - 1)
    this.#waiting.push({ item: tried, dueAt })
    this.#arm()
    return false
  }

  #record(item: Queued, outcome: WebhookDelivery['outcome'], status: number | undefined): void {
    this.#log.push({
      seq: item.seq,
      at: item.effect.at,
      kind: item.effect.kind,
      payload: item.effect.payload,
      outcome,
      ...(status === undefined ? {} : { status }),
      attempts: item.attemptTimes.length,
      attemptTimes: item.attemptTimes,
      duplicate: item.duplicate,
      reordered: item.reordered,
    })
  }
}
