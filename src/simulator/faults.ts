import { createRng, nextFloat, type Rng } from './random.js'
import type { SimApi } from './protocol.js'

/**
 * Faults are data (simulator.md "Faults"): each rule names what it matches and what goes wrong. The server
 * consults them before the model, so by default a faulted request never reaches the model and cannot change
 * its state; `applied: true` models "the request was processed, only the reply was lost or broken".
 */

/**
 * What goes wrong.
 *
 * @example
 * ```ts
 * const kind: FaultKind = 'reset' // close the connection without an answer
 * sim.faults.inject({ kind, method: 'PUT', path: /\/members\/[^/]+$/, times: 1 })
 * ```
 */
export type FaultKind = 'status' | 'reset' | 'malformed' | 'truncated' | 'latency'

/**
 * A fault rule as callers declare it.
 *
 * @example
 * ```ts
 * // The update reaches the model, only its reply is lost: the client must not send it twice.
 * const lostReply: FaultSpec = { method: 'PUT', path: '/members/', kind: 'reset', applied: true, times: 1 }
 * sim.faults.inject(lostReply)
 * ```
 */
export interface FaultSpec {
  /** HTTP method to match (any when omitted). */
  readonly method?: string
  /** Path to match: a RegExp, or a string compiled as a RegExp (so `'/members/'` matches any path containing it). */
  readonly path?: RegExp | string
  /** API to match: `nexus`, `sso`, `mdx` or `oauth` (any when omitted). */
  readonly api?: SimApi
  /** Default: `status` when `status` is given, else `latency` when `latencyMs` is given. */
  readonly kind?: FaultKind
  /** For `status` faults: 429, 500, 502, 503 … (any 400–599). */
  readonly status?: number
  /** `Retry-After` seconds; 429 answers carry 1 when omitted. */
  readonly retryAfterSeconds?: number
  /** Real milliseconds to wait before answering (any kind; the whole fault for `latency`). */
  readonly latencyMs?: number
  /** Apply to the next N matching requests, then retire. Unlimited when omitted. */
  readonly times?: number
  /** Apply to each matching request with this probability (seeded: reproducible for a seed). */
  readonly probability?: number
  /** Run the model anyway, then break the reply (the request was processed; its answer was lost). */
  readonly applied?: boolean
}

/** A live rule. */
export interface FaultRule {
  readonly id: number
  readonly kind: FaultKind
  readonly method: string | undefined
  readonly path: RegExp | undefined
  readonly api: SimApi | undefined
  readonly status: number
  readonly retryAfterSeconds: number | undefined
  readonly latencyMs: number
  readonly probability: number | undefined
  readonly applied: boolean
  remaining: number
  hits: number
}

/**
 * A rule's public view (`sim.faults.list()`).
 *
 * @example
 * ```ts
 * const rules: FaultInfo[] = sim.faults.list()
 * for (const rule of rules) console.log(rule.id, rule.kind, rule.path, `${rule.hits} hits`)
 * ```
 */
export interface FaultInfo {
  readonly id: number
  readonly kind: FaultKind
  readonly method?: string
  readonly path?: string
  readonly api?: SimApi
  readonly status?: number
  readonly remaining: number | null
  readonly hits: number
}

/** The longest latency a fault may add: ten real minutes (longer is a hang, not a fault). */
export const MAX_LATENCY_MS = 600_000
/** The longest `Retry-After` a fault may announce: one day. */
export const MAX_RETRY_AFTER_SECONDS = 86_400

const KINDS: readonly FaultKind[] = ['status', 'reset', 'malformed', 'truncated', 'latency']

/** Validates and normalises a spec; throws `TypeError` with a one-line reason. */
export function compileFault(spec: FaultSpec, id: number): FaultRule {
  const kind =
    spec.kind ?? (spec.status !== undefined ? 'status' : spec.latencyMs !== undefined ? 'latency' : undefined)
  if (kind === undefined || !KINDS.includes(kind)) {
    throw new TypeError(`fault kind must be one of ${KINDS.join(', ')} (or give status / latencyMs)`)
  }
  const status = spec.status ?? (kind === 'status' ? 0 : 200)
  if (kind === 'status' && (!Number.isInteger(status) || status < 400 || status > 599)) {
    throw new TypeError('a status fault needs status between 400 and 599')
  }
  if (spec.times !== undefined && (!Number.isInteger(spec.times) || spec.times < 1)) {
    throw new TypeError('times must be an integer >= 1')
  }
  if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) {
    throw new TypeError('probability must be between 0 and 1')
  }
  if (spec.latencyMs !== undefined && !(spec.latencyMs >= 0 && spec.latencyMs <= MAX_LATENCY_MS)) {
    throw new TypeError(`latencyMs must be a finite number between 0 and ${MAX_LATENCY_MS}`)
  }
  if (
    spec.retryAfterSeconds !== undefined &&
    !(spec.retryAfterSeconds >= 0 && spec.retryAfterSeconds <= MAX_RETRY_AFTER_SECONDS)
  ) {
    throw new TypeError(`retryAfterSeconds must be a finite number between 0 and ${MAX_RETRY_AFTER_SECONDS}`)
  }
  let path: RegExp | undefined
  if (spec.path instanceof RegExp) path = new RegExp(spec.path.source, spec.path.flags.replace(/[gy]/g, ''))
  else if (typeof spec.path === 'string') {
    try {
      path = new RegExp(spec.path)
    } catch {
      throw new TypeError(`path is not a valid regular expression: ${spec.path}`)
    }
  }
  return {
    id,
    kind,
    method: spec.method?.toUpperCase(),
    path,
    api: spec.api,
    status,
    retryAfterSeconds: spec.retryAfterSeconds ?? (status === 429 ? 1 : undefined),
    latencyMs: spec.latencyMs ?? 0,
    probability: spec.probability,
    applied: spec.applied ?? false,
    remaining: spec.times ?? Number.POSITIVE_INFINITY,
    hits: 0,
  }
}

/** The rule set, consulted once per request (O(number of rules)). */
export class FaultSet {
  #rules: FaultRule[] = []
  #nextId = 1
  readonly #rng: Rng

  constructor(seed: number) {
    // A stream of its own, so faults never shift the model's guids and outcomes.
    this.#rng = createRng(seed ^ 0x5f3759df)
  }

  add(spec: FaultSpec): FaultRule {
    const rule = compileFault(spec, this.#nextId)
    this.#nextId += 1
    this.#rules.push(rule)
    return rule
  }

  remove(id: number): boolean {
    const before = this.#rules.length
    this.#rules = this.#rules.filter((r) => r.id !== id)
    return this.#rules.length !== before
  }

  clear(): void {
    this.#rules = []
  }

  get size(): number {
    return this.#rules.length
  }

  list(): FaultInfo[] {
    return this.#rules.map((r) => ({
      id: r.id,
      kind: r.kind,
      ...(r.method === undefined ? {} : { method: r.method }),
      ...(r.path === undefined ? {} : { path: r.path.source }),
      ...(r.api === undefined ? {} : { api: r.api }),
      ...(r.kind === 'status' ? { status: r.status } : {}),
      remaining: Number.isFinite(r.remaining) ? r.remaining : null,
      hits: r.hits,
    }))
  }

  /** The first rule that matches and fires for this request (consuming one of its `times`). */
  take(method: string, path: string, api: SimApi): FaultRule | undefined {
    if (this.#rules.length === 0) return undefined
    for (const rule of this.#rules) {
      if (rule.remaining <= 0) continue
      if (rule.method !== undefined && rule.method !== method) continue
      if (rule.api !== undefined && rule.api !== api) continue
      if (rule.path !== undefined && !rule.path.test(path)) continue
      if (rule.probability !== undefined && nextFloat(this.#rng) >= rule.probability) continue
      rule.remaining -= 1
      rule.hits += 1
      if (rule.remaining <= 0) this.#rules = this.#rules.filter((r) => r !== rule)
      return rule
    }
    return undefined
  }
}

/** The JSON root key a route answers with (used to shape synthetic broken bodies). */
export function rootKeyFor(path: string): string {
  if (path.includes('api_token')) return 'api_token'
  if (path.startsWith('/sessions')) return 'session'
  if (path.includes('/users')) return 'user'
  if (path.endsWith('/challenges')) return 'challenges'
  if (path.endsWith('/credentials') || path.endsWith('/mfa_credentials')) return 'credentials'
  if (path.startsWith('/jobs/')) return 'job'
  if (/^\/members(\.json)?$/.test(path)) return 'members'
  return 'member'
}

/** A body that is not JSON: `{"member": {"guid": MBR-…}}` style, unquoted (malformed). */
export function malformedBody(path: string, real?: string): string {
  if (real !== undefined && real.length > 1) return `${real.slice(0, -1)},}`
  return `{"${rootKeyFor(path)}": {guid: MBR-malformed, "connection_status": CONNECTED}}`
}

/** The first half of a JSON body (truncated). */
export function truncatedBody(path: string, real?: string): string {
  if (real !== undefined && real.length > 1) return real.slice(0, Math.max(1, Math.floor(real.length / 2)))
  return `{"${rootKeyFor(path)}": {"guid": "MBR-`
}
