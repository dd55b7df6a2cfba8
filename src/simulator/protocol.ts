import type { SimState, WebhookKind } from './state.js'

/** The three MX APIs the simulator serves on one port, plus the OAuth window a user's browser opens. */
export type SimApi = 'nexus' | 'sso' | 'mdx' | 'oauth'

/** An HTTP request as the model sees it (already read and, when it had a body, JSON-parsed). */
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

/** The model's reply. Exactly one of `body` (serialised as JSON) or `raw` is used. */
export interface SimResponse {
  readonly status: number
  readonly body?: unknown
  readonly raw?: string
  readonly contentType: string
  readonly headers?: Readonly<Record<string, string>>
}

/** A webhook the model wants delivered, stamped with the simulated time of the change it reports. */
export interface WebhookEffect {
  readonly type: 'webhook'
  readonly kind: WebhookKind
  readonly at: number
  readonly payload: Readonly<Record<string, unknown>>
}

/** Side effects a step asks the adapter to perform (the model itself does no I/O). */
export type Effect = WebhookEffect

/** What the request concerned, for the request log. */
export interface StepMeta {
  api: SimApi
  userGuid?: string
  memberGuid?: string
  jobGuid?: string
}

/** The result of one {@link step}. */
export interface StepResult {
  readonly state: SimState
  readonly response: SimResponse
  readonly effects: readonly Effect[]
  readonly meta: StepMeta
}
