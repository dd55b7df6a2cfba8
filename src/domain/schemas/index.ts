import { apiTokenBody, errorBody, sessionBody, userBody } from './auth.js'
import { challengesBody } from './challenges.js'
import { credentialsBody } from './credentials.js'
import { jobBody } from './job.js'
import { aggregateBody, memberBody, membersBody, oauthWindowBody } from './member.js'
import { webhookBody } from './webhook.js'

export * from './auth.js'
export * from './challenges.js'
export * from './credentials.js'
export * from './job.js'
export * from './member.js'
export * from './primitives.js'
export * from './requests.js'
export * from './webhook.js'

/**
 * The public response schemas: each validates a whole MX response body as MX sends it.
 *
 * @example
 * ```ts
 * import { schemas } from 'mx-reconnect'
 * const { member } = schemas.member.parse(await response.json())
 * ```
 */
export const schemas = {
  /** `GET/PUT /members/{guid}`: rooted or non-rooted member, normalised to `{ member }`. */
  member: memberBody,
  /** `GET /members`: `{ members }`, the single-`member` doc variant, or a bare array. */
  members: membersBody,
  /** `GET /members/{guid}/aggregate`: full member or `{ job_guid, status }`. */
  aggregate: aggregateBody,
  /** `GET /members/{guid}/credentials`. */
  credentials: credentialsBody,
  /** `GET /members/{guid}/challenges`: `{ challenges }` or `{ member: [...] }`. */
  challenges: challengesBody,
  /** `GET /jobs/{guid}`. */
  job: jobBody,
  /** `POST /sessions`. */
  session: sessionBody,
  /** SSO `GET …/api_token.json`. */
  apiToken: apiTokenBody,
  /** MDX Real Time create user. */
  user: userBody,
  /** `GET /members/{guid}/oauth_window_uri`. */
  oauthWindow: oauthWindowBody,
  /** Any lifecycle webhook body, tagged with `kind` and `memberGuid`. */
  webhook: webhookBody,
  /** An MX error body (diagnostics only; the envelope is unsettled). */
  error: errorBody,
} as const
