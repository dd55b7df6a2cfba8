import pg from 'pg'
import { StoreError } from './errors.js'

// The connection side of the PostgreSQL store: one pg Pool per store, bigint columns read as numbers
// (every stored number is a validated safe integer), failures turned into `StoreError`s whose messages
// name the server and database but never the password (house rule 8: the URL may hold one).

/** pg's type id for `bigint` (int8). */
const INT8_OID = 20

/** Reads `bigint` as a JS number for this pool only (pg's global parsers stay untouched, e.g. for pg-boss). */
const types = {
  // pg reads results as text; a bigint is a validated safe integer, so Number() is exact.
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
}

/**
 * The URL with its password and query removed, for messages and reports: `postgres://user@host:5432/db`.
 *
 * @example
 * ```ts
 * redactUrl('postgres://app:s3cret@db.internal:5432/mx?sslmode=require') // 'postgres://app@db.internal:5432/mx'
 * ```
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    const user = parsed.username === '' ? '' : `${decodeURIComponent(parsed.username)}@`
    const port = parsed.port === '' ? '' : `:${parsed.port}`
    return `${parsed.protocol}//${user}${parsed.hostname}${port}${parsed.pathname}`
  } catch {
    return 'postgres://(unparsable url)'
  }
}

/** Checks the URL is a `postgres:` / `postgresql:` URL (the password is never echoed back). */
export function checkPgUrl(url: unknown): string {
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//i.test(url)) {
    throw new StoreError({
      reason: 'open',
      path: typeof url === 'string' ? redactUrl(url) : String(url),
      message: 'postgresStore needs a postgres://user:password@host:port/database URL',
    })
  }
  try {
    new URL(url)
  } catch {
    throw new StoreError({
      reason: 'open',
      path: 'postgres://(unparsable url)',
      message: 'postgresStore: the URL cannot be parsed',
    })
  }
  return url
}

export interface PoolSettings {
  readonly url: string
  /** Most connections open at once. */
  readonly max: number
  readonly connectionTimeoutMs: number
  readonly applicationName: string
}

/** A pool for the store; idle-client errors (a server restart) are absorbed, the next query reports them. */
export function createPool(settings: PoolSettings): pg.Pool {
  const pool = new pg.Pool({
    connectionString: settings.url,
    max: settings.max,
    connectionTimeoutMillis: settings.connectionTimeoutMs,
    application_name: settings.applicationName,
    types,
  })
  // Without a listener an idle client's error (the server went away) would crash the process.
  pool.on('error', () => undefined)
  return pool
}

/** The SQLSTATE or Node error code of a pg failure, when there is one. */
export function pgCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined
  const code = error.code
  return typeof code === 'string' ? code : undefined
}

/** A one-line reason, without the URL (pg's messages name hosts and users, never passwords). */
export function pgReason(error: unknown): string {
  // Connecting to a name with two addresses (localhost: ::1 and 127.0.0.1) fails with both: say the first.
  if (error instanceof AggregateError && error.errors.length > 0) return pgReason(error.errors[0])
  const firstLine = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim()
  return firstLine || 'unknown error'
}

/** A failure while connecting or migrating: `open` (or the `StoreError` already raised). */
export function openError(where: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error
  return new StoreError({
    reason: 'open',
    path: where,
    code: pgCode(error),
    message: `cannot open store ${where}: ${pgReason(error)}`,
  })
}

/** A failure of an operation on an open store: `io` (or the `StoreError` already raised). */
export function ioError(where: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error
  return new StoreError({
    reason: 'io',
    path: where,
    code: pgCode(error),
    message: `store ${where} failed: ${pgReason(error)}`,
  })
}
