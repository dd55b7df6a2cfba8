import { createRng, nextFloat, type Rng } from './random.js'
import type { WebhookEffect } from './protocol.js'
import type { WebhookKind } from './state.js'

/**
 * Webhook delivery (Nexus reference §8.2): POSTs the model's webhook effects as JSON, one at a time, in
 * order, with seeded misbehaviour on request: duplicate, reorder (swap with the next one) or drop.
 * Failed deliveries are retried a few times with a short real backoff (MX retries over a day; a
 * simulator only needs to show that retries happen).
 */

/** How the simulator misbehaves when delivering (each a probability 0–1, or true for always). */
export interface WebhookBehaviour {
  readonly duplicate?: number | boolean
  readonly reorder?: number | boolean
  readonly drop?: number | boolean
  /** Payload kinds to send; default CONNECTION_STATUS and AGGREGATION. */
  readonly kinds?: readonly WebhookKind[]
  /** Retries after a failed delivery (network error or non-2xx). Default 2. */
  readonly retries?: number
  /** Real ms before the first retry (doubles each time). Default 50. */
  readonly retryDelayMs?: number
}

/** One delivery attempt's record (`sim.webhooks.deliveries()`). */
export interface WebhookDelivery {
  readonly seq: number
  /** Simulated time of the change the payload reports. */
  readonly at: number
  readonly kind: WebhookKind
  readonly payload: Readonly<Record<string, unknown>>
  /** `delivered`, `dropped` (on purpose) or `failed` (receiver unreachable / non-2xx after retries). */
  readonly outcome: 'delivered' | 'dropped' | 'failed'
  /** Receiver's HTTP status (last attempt). */
  readonly status?: number
  readonly attempts: number
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
}

/** A serial delivery queue to one receiver URL. */
export class WebhookDispatcher {
  readonly #url: string
  readonly #behaviour: WebhookBehaviour
  readonly #rng: Rng
  readonly #queue: Queued[] = []
  readonly #log: WebhookDelivery[] = []
  readonly #idle: (() => void)[] = []
  readonly #abort = new AbortController()
  #running = false
  #seq = 0
  #closed = false

  constructor(url: string, behaviour: WebhookBehaviour, seed: number) {
    this.#url = url
    this.#behaviour = behaviour
    this.#rng = createRng(seed ^ 0x2545f491)
  }

  /** Queues the model's webhook effects in order. */
  enqueue(effects: readonly WebhookEffect[]): void {
    if (this.#closed) return
    for (const effect of effects) {
      this.#seq += 1
      this.#queue.push({ effect, seq: this.#seq, reordered: false, duplicate: false })
    }
    if (!this.#running && this.#queue.length > 0) void this.#run()
  }

  deliveries(): WebhookDelivery[] {
    return [...this.#log]
  }

  /** Resolves when the queue is empty and nothing is in flight. */
  flush(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  close(): void {
    this.#closed = true
    this.#queue.length = 0
    this.#abort.abort()
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
        if (chance(this.#rng, this.#behaviour.drop)) {
          this.#record(item, 'dropped', undefined, 0)
          continue
        }
        await this.#deliver(item)
        if (!item.duplicate && chance(this.#rng, this.#behaviour.duplicate)) {
          await this.#deliver({ ...item, duplicate: true })
        }
      }
    } finally {
      this.#running = false
      for (const resolve of this.#idle.splice(0)) resolve()
    }
  }

  async #deliver(item: Queued): Promise<void> {
    const retries = this.#behaviour.retries ?? 2
    let delay = this.#behaviour.retryDelayMs ?? 50
    let status: number | undefined
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      try {
        const response = await fetch(this.#url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(item.effect.payload),
          signal: this.#abort.signal,
        })
        status = response.status
        await response.arrayBuffer()
        if (status >= 200 && status < 300) return this.#record(item, 'delivered', status, attempt)
      } catch {
        status = undefined
        if (this.#closed) return this.#record(item, 'failed', status, attempt)
      }
      if (attempt <= retries) {
        await new Promise((resolve) => setTimeout(resolve, delay).unref())
        delay *= 2
      }
    }
    this.#record(item, 'failed', status, retries + 1)
  }

  #record(
    item: Queued,
    outcome: WebhookDelivery['outcome'],
    status: number | undefined,
    attempts: number,
  ): void {
    this.#log.push({
      seq: item.seq,
      at: item.effect.at,
      kind: item.effect.kind,
      payload: item.effect.payload,
      outcome,
      ...(status === undefined ? {} : { status }),
      attempts,
      duplicate: item.duplicate,
      reordered: item.reordered,
    })
  }
}
