/**
 * The connection-status table (Nexus reference §4): every status MX documents, its numeric id, and the
 * class the rest of the library acts on. Everything that branches on a status reads this table.
 */

/**
 * What the library does about a status, in one word.
 *
 * @example
 * ```ts
 * const kind: StatusClass | 'unknown' = statusClass(toConnectionStatus('CHALLENGED')) // 'needsMfa'
 * ```
 */
export type StatusClass =
  | 'connected'
  | 'transient'
  | 'needsCredentials'
  | 'needsMfa'
  | 'needsOAuth'
  | 'userAtInstitution'
  | 'retryLater'
  | 'unrecoverable'

/**
 * One row of the table.
 *
 * @example
 * ```ts
 * const row: StatusRow | undefined = STATUS_TABLE.find((r) => r.name === 'DENIED')
 * row?.class // 'needsCredentials'
 * ```
 */
export interface StatusRow {
  readonly name: KnownStatus
  readonly id: number
  readonly class: StatusClass
}

/**
 * Status names documented in §4, in id order.
 *
 * @example
 * ```ts
 * KNOWN_STATUSES.indexOf('CONNECTED') // 6, the status id
 * ```
 */
export const KNOWN_STATUSES = [
  'CREATED',
  'PREVENTED',
  'DENIED',
  'CHALLENGED',
  'REJECTED',
  'LOCKED',
  'CONNECTED',
  'IMPEDED',
  'RECONNECTED',
  'DEGRADED',
  'DISCONNECTED',
  'DISCONTINUED',
  'CLOSED',
  'DELAYED',
  'FAILED',
  'UPDATED',
  'DISABLED',
  'IMPORTED',
  'RESUMED',
  'EXPIRED',
  'IMPAIRED',
  'PENDING',
] as const

/**
 * A `connection_status` this version knows.
 *
 * @example
 * ```ts
 * const status: KnownStatus = 'CONNECTED'
 * if (isKnownStatus(raw)) console.log(statusId(raw)) // a KnownStatus has an id
 * ```
 */
export type KnownStatus = (typeof KNOWN_STATUSES)[number]

/**
 * A `connection_status` this version does not know: kept, never dropped (house rule 5).
 *
 * @example
 * ```ts
 * const status = toConnectionStatus('SOME_NEW_STATUS')
 * if (typeof status !== 'string') console.log(status.raw) // UnknownStatus keeps what MX sent
 * ```
 */
export interface UnknownStatus {
  readonly _tag: 'UnknownStatus'
  readonly raw: string
}

/**
 * A decoded `connection_status`: a known name, or the explicit unknown case carrying the raw string.
 *
 * @example
 * ```ts
 * const status: ConnectionStatus | null = member.connection_status
 * const name = status === null ? 'no credentials yet' : statusName(status)
 * ```
 */
export type ConnectionStatus = KnownStatus | UnknownStatus

// Classes follow §4's "What to do" column and lifecycle.md's outcome table. REJECTED and EXPIRED are
// needsMfa: the lifecycle starts a fresh aggregation for them while MFA attempts remain (§8.0). DISABLED
// is retryLater: aggregation is only paused and the member still counts as connected (§4), so it is never
// a reason to give up on the member.
const CLASS_OF: Readonly<Record<KnownStatus, StatusClass>> = {
  CREATED: 'transient',
  PREVENTED: 'needsCredentials',
  DENIED: 'needsCredentials',
  CHALLENGED: 'needsMfa',
  REJECTED: 'needsMfa',
  LOCKED: 'userAtInstitution',
  CONNECTED: 'connected',
  IMPEDED: 'userAtInstitution',
  RECONNECTED: 'transient',
  DEGRADED: 'retryLater',
  DISCONNECTED: 'retryLater',
  DISCONTINUED: 'unrecoverable',
  CLOSED: 'unrecoverable',
  DELAYED: 'transient',
  FAILED: 'retryLater',
  UPDATED: 'transient',
  DISABLED: 'retryLater',
  IMPORTED: 'needsCredentials',
  RESUMED: 'transient',
  EXPIRED: 'needsMfa',
  IMPAIRED: 'needsCredentials',
  PENDING: 'needsOAuth',
}

/**
 * The whole table, in id order (ids are the position in {@link KNOWN_STATUSES}, §4).
 *
 * @example
 * ```ts
 * STATUS_TABLE.find((row) => row.name === 'DENIED') // { name: 'DENIED', id: 2, class: 'needsCredentials' }
 * ```
 */
export const STATUS_TABLE: readonly StatusRow[] = KNOWN_STATUSES.map((name, id) => ({
  name,
  id,
  class: CLASS_OF[name],
}))

const BY_NAME = new Map<string, StatusRow>(STATUS_TABLE.map((row) => [row.name, row]))

/**
 * True when `value` is a status name this version knows.
 *
 * @example
 * ```ts
 * isKnownStatus('CHALLENGED') // true
 * ```
 */
export function isKnownStatus(value: string): value is KnownStatus {
  return BY_NAME.has(value)
}

/**
 * Decodes a raw `connection_status` string: a known name, or `{ _tag: 'UnknownStatus', raw }`.
 *
 * @example
 * ```ts
 * toConnectionStatus('DENIED')       // 'DENIED'
 * toConnectionStatus('NEW_IN_2030')  // { _tag: 'UnknownStatus', raw: 'NEW_IN_2030' }
 * ```
 */
export function toConnectionStatus(raw: string): ConnectionStatus {
  return isKnownStatus(raw) ? raw : { _tag: 'UnknownStatus', raw }
}

/**
 * The class of a decoded status; `'unknown'` for a status this version does not know.
 *
 * @example
 * ```ts
 * statusClass('PREVENTED') // 'needsCredentials'
 * ```
 */
export function statusClass(status: ConnectionStatus): StatusClass | 'unknown' {
  return typeof status === 'string' ? CLASS_OF[status] : 'unknown'
}

/**
 * The numeric id of a known status (§4), or `undefined` for an unknown one.
 *
 * @example
 * ```ts
 * statusId('CONNECTED') // 6
 * ```
 */
export function statusId(status: ConnectionStatus): number | undefined {
  return typeof status === 'string' ? BY_NAME.get(status)?.id : undefined
}

/**
 * The status name as MX spells it, known or not.
 *
 * @example
 * ```ts
 * statusName({ _tag: 'UnknownStatus', raw: 'X' }) // 'X'
 * ```
 */
export function statusName(status: ConnectionStatus): string {
  return typeof status === 'string' ? status : status.raw
}
