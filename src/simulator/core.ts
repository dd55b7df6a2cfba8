import { performance } from 'node:perf_hooks'
import { ScaledClock } from './clock.js'
import { FaultSet } from './faults.js'
import { nextWakeup, tick } from './jobs.js'
import { step } from './model.js'
import type { Effect, SimRequest, SimResponse, StepMeta } from './protocol.js'
import { RequestLog, type RequestLogEntry } from './request-log.js'
import { purgeExpired } from './seed.js'
import { createState, type SimState, type StateOptions } from './state.js'
import { WebhookDispatcher, type WebhookBehaviour } from './webhooks.js'

/**
 * The simulator minus HTTP: the model state, the scaled clock, fault rules, the request log, webhook
 * delivery, step-time statistics and the one timer that makes webhooks go out on time. The `node:http`
 * adapter and the control routes both drive it.
 */

/**
 * Counters reported by `sim.stats()`.
 *
 * @example
 * ```ts
 * const stats: SimulatorStats = sim.stats()
 * console.log(stats.requests, stats.sessionsOpened, stats.byStatus['429'] ?? 0)
 * ```
 */
export interface SimulatorStats {
  /** MX requests handled (control routes excluded), faulted ones included. */
  readonly requests: number
  readonly byStatus: Readonly<Record<string, number>>
  readonly faultsApplied: number
  readonly sessionsOpened: number
  readonly sessionsExpired: number
  readonly apiTokensIssued: number
  readonly usersCreated: number
  readonly membersCreated: number
  readonly jobsStarted: number
  readonly liveSessions: number
  readonly members: number
  readonly webhooksDelivered: number
  readonly webhooksDropped: number
  readonly webhooksFailed: number
  /** Model steps run and their real duration (ms): mean, median, 99th percentile (last 16,384), max. */
  readonly modelSteps: number
  readonly modelStepMsMean: number
  readonly modelStepMsP50: number
  readonly modelStepMsP99: number
  readonly modelStepMsMax: number
  readonly internalErrors: number
  readonly logDropped: number
}

/** Options for {@link SimulatorCore}. */
export interface CoreOptions extends StateOptions {
  readonly timeScale: number
  readonly startTime: number
  readonly logLimit: number
  readonly webhookUrl?: string
  readonly webhooks?: WebhookBehaviour
}

const SAMPLES = 16_384
const PURGE_EVERY = 5_000

export class SimulatorCore {
  readonly state: SimState
  readonly clock: ScaledClock
  readonly faults: FaultSet
  readonly log: RequestLog
  readonly webhooks: WebhookDispatcher | undefined
  readonly #samples = new Float64Array(SAMPLES)
  #steps = 0
  #stepTotal = 0
  #stepMax = 0
  #requests = 0
  #faultsApplied = 0
  #internalErrors = 0
  #seq = 0
  readonly #byStatus = new Map<number, number>()
  #timer: NodeJS.Timeout | undefined
  #timerAt: number | undefined
  #closed = false

  constructor(options: CoreOptions) {
    const emit = options.webhookUrl !== undefined
    this.state = createState({
      ...options,
      emitWebhooks: emit,
      ...(options.webhooks?.kinds === undefined ? {} : { webhookKinds: options.webhooks.kinds }),
    })
    this.clock = new ScaledClock({ timeScale: options.timeScale, startTime: options.startTime })
    this.faults = new FaultSet(this.state.options.seed)
    this.log = new RequestLog(options.logLimit)
    this.webhooks =
      options.webhookUrl === undefined
        ? undefined
        : new WebhookDispatcher(
            options.webhookUrl,
            options.webhooks ?? {},
            this.state.options.seed,
            this.clock,
          )
  }

  now(): number {
    return this.clock.now()
  }

  /** Runs one request through the model (timing it) and performs its effects. */
  handle(request: SimRequest): { response: SimResponse; meta: StepMeta; now: number; stepMs: number } {
    const now = this.clock.now()
    const started = performance.now()
    let response: SimResponse
    let meta: StepMeta
    let effects: readonly Effect[] = []
    try {
      const result = step(this.state, request, now)
      response = result.response
      meta = result.meta
      effects = result.effects
    } catch {
      // The model must never throw (property-tested); if it does, answer 500 rather than crash the server.
      this.#internalErrors += 1
      response = {
        status: 500,
        body: { error: { code: 5000, message: 'Simulator error' } },
        contentType: 'application/json',
      }
      meta = { api: 'nexus' }
    }
    const stepMs = performance.now() - started
    this.#sample(stepMs)
    this.#requests += 1
    if (this.#requests % PURGE_EVERY === 0) purgeExpired(this.state, now)
    this.afterChange(effects)
    return { response, meta, now, stepMs }
  }

  /** Counts a request that a fault answered without running the model. */
  countFaulted(): void {
    this.#requests += 1
  }

  countFault(): void {
    this.#faultsApplied += 1
  }

  countStatus(status: number): void {
    this.#byStatus.set(status, (this.#byStatus.get(status) ?? 0) + 1)
  }

  nextSeq(): number {
    this.#seq += 1
    return this.#seq
  }

  record(entry: RequestLogEntry): void {
    this.log.push(entry)
  }

  /** Delivers webhook effects and re-arms the wake-up timer. */
  afterChange(effects: readonly Effect[]): void {
    if (this.webhooks !== undefined && effects.length > 0) this.webhooks.enqueue(effects)
    this.#arm()
  }

  /** Moves simulated time forward and processes whatever came due. */
  advanceTime(ms: number): number {
    this.clock.advance(ms)
    this.#wake()
    this.webhooks?.poke()
    return this.clock.now()
  }

  #wake(): void {
    this.#timer = undefined
    this.#timerAt = undefined
    if (this.#closed) return
    this.afterChange(tick(this.state, this.clock.now()))
  }

  #arm(): void {
    if (this.#closed || !this.state.options.emitWebhooks) return
    const next = nextWakeup(this.state)
    if (next === undefined) return
    if (this.#timerAt !== undefined && this.#timerAt <= next) return
    const delay = this.clock.realDelayUntil(next)
    if (!Number.isFinite(delay)) return
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timerAt = next
    // setTimeout fires at once for delays over 2^31-1 ms; a capped timer just wakes early and re-arms.
    this.#timer = setTimeout(() => this.#wake(), Math.min(Math.ceil(delay) + 1, 2_147_483_647))
    this.#timer.unref()
  }

  #sample(ms: number): void {
    this.#samples[this.#steps % SAMPLES] = ms
    this.#steps += 1
    this.#stepTotal += ms
    if (ms > this.#stepMax) this.#stepMax = ms
  }

  stats(): SimulatorStats {
    const n = Math.min(this.#steps, SAMPLES)
    const sorted = Array.from(this.#samples.subarray(0, n)).sort((a, b) => a - b)
    const pct = (p: number): number => (n === 0 ? 0 : (sorted[Math.min(n - 1, Math.floor(p * n))] ?? 0))
    const deliveries = this.webhooks?.deliveries() ?? []
    const c = this.state.counters
    return {
      requests: this.#requests,
      byStatus: Object.fromEntries([...this.#byStatus].map(([k, v]) => [String(k), v])),
      faultsApplied: this.#faultsApplied,
      sessionsOpened: c.sessionsOpened,
      sessionsExpired: c.sessionsExpired,
      apiTokensIssued: c.apiTokensIssued,
      usersCreated: c.usersCreated,
      membersCreated: c.membersCreated,
      jobsStarted: c.jobsStarted,
      liveSessions: this.state.sessions.size,
      members: this.state.members.size,
      webhooksDelivered: deliveries.filter((d) => d.outcome === 'delivered').length,
      webhooksDropped: deliveries.filter((d) => d.outcome === 'dropped').length,
      webhooksFailed: deliveries.filter((d) => d.outcome === 'failed').length,
      modelSteps: this.#steps,
      modelStepMsMean: this.#steps === 0 ? 0 : this.#stepTotal / this.#steps,
      modelStepMsP50: pct(0.5),
      modelStepMsP99: pct(0.99),
      modelStepMsMax: this.#stepMax,
      internalErrors: this.#internalErrors,
      logDropped: this.log.dropped,
    }
  }

  close(): void {
    this.#closed = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.webhooks?.close()
  }
}
