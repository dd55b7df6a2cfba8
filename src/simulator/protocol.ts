import type { SimState, WebhookKind } from './state.js'

/**
 * The three MX APIs the simulator serves on one port, plus the OAuth window a user's browser opens.
 *
 * @example
 * ```ts
 * const api: SimApi = 'nexus'
 * const nexusCalls = sim.requests().filter((entry) => entry.api === api)
 * ```
 */
export type SimApi = 'nexus' | 'sso' | 'mdx' | 'oauth'

/**
 * An HTTP request as the model sees it (already read and, when it had a body, JSON-parsed).
 *
 * @example
 * ```ts
 * const request: SimRequest = { method: 'GET', path: '/members/MBR-1', query: '', headers: {}, body: undefined }
 * const { response } = step(createState({ seed: 1 }), request, Date.now())
 * ```
 */
export interface SimRequest {
  readonly method: string
  /** Path without the query string, e.g. `/members/MBR-1/resume`. */
  readonly path: string
  /** Raw query string without `?` (empty when none). */
  readonly query: string
  /** Lower-case header names, as `node:http` gives them. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>
  /** Parsed JSON body; undefined when the request had no body. */
  readonly body: unknown
  /** True when a body was sent but was not JSON. */
  readonly bodyInvalid?: boolean
}

/**
 * The model's reply. Exactly one of `body` (serialised as JSON) or `raw` is used.
 *
 * @example
 * ```ts
 * const response: SimResponse = step(state, request, now).response
 * if (response.status === 401) console.log(response.body)
 * ```
 */
export interface SimResponse {
  readonly status: number
  readonly body?: unknown
  readonly raw?: string
  readonly contentType: string
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * A webhook the model wants delivered, stamped with the simulated time of the change it reports.
 *
 * @example
 * ```ts
 * const { effects } = step(state, request, now)
 * for (const effect of effects as WebhookEffect[]) console.log(effect.kind, effect.at, effect.payload)
 * ```
 */
export interface WebhookEffect {
  readonly type: 'webhook'
  readonly kind: WebhookKind
  readonly at: number
  readonly payload: Readonly<Record<string, unknown>>
}

/**
 * Side effects a step asks the adapter to perform (the model itself does no I/O).
 *
 * @example
 * ```ts
 * const effects: Effect[] = tick(state, Date.now()) // webhooks due by now (jobs finished, challenges expired)
 * ```
 */
export type Effect = WebhookEffect

/** What the request concerned, for the request log. */
export interface StepMeta {
  api: SimApi
  userGuid?: string
  memberGuid?: string
  jobGuid?: string
}

/**
 * The result of one {@link step}.
 *
 * @example
 * ```ts
 * let state = createState({ seed: 1 })
 * const result: StepResult = step(state, request, Date.now())
 * state = result.state
 * ```
 */
export interface StepResult {
  readonly state: SimState
  readonly response: SimResponse
  readonly effects: readonly Effect[]
  readonly meta: StepMeta
}
