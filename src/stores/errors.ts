import { Data } from 'effect'

// Errors are tagged data (architecture.md, house rule 4). Messages name fields, guids and paths only:
// never a snapshot, an outcome or history data, so a caller's mistake cannot leak into a log (rule 8).

/**
 * Why a store operation failed:
 * - `invalid`: bad input (nothing was written);
 * - `conflict`: `save` with a stale `expectedVersion` (another writer moved on);
 * - `notFound`: no record for the member;
 * - `open`: the database file could not be opened or created;
 * - `schema`: the file's schema is newer than this version, or not ours;
 * - `closed`: the store was closed;
 * - `io`: the database failed underneath (disk full, locked past the busy timeout, I/O error);
 * - `corrupt`: a stored row's JSON cannot be read (the member is named; quarantine it).
 *
 * @example
 * ```ts
 * function retryable(reason: StoreErrorReason): boolean {
 *   return reason === 'conflict' || reason === 'io'
 * }
 * ```
 */
export type StoreErrorReason =
  'invalid' | 'conflict' | 'notFound' | 'open' | 'schema' | 'closed' | 'io' | 'corrupt'

/**
 * A store operation failed; `reason` says why.
 *
 * @example
 * ```ts
 * try {
 *   await store.save(guid, { expectedVersion: 3, state, status, wakeAt, snapshot })
 * } catch (error) {
 *   if (error instanceof StoreError && error.reason === 'conflict') reload(guid)
 *   else throw error
 * }
 * ```
 */
export class StoreError extends Data.TaggedError('StoreError')<{
  readonly reason: StoreErrorReason
  readonly message: string
  readonly memberGuid?: string | undefined
  /** The offending input field, e.g. `update.wakeAt` or `snapshot.context.items[2]`. */
  readonly field?: string | undefined
  /** The database file, for `open`, `schema` and `io`. */
  readonly path?: string | undefined
  /** SQLite's error code (e.g. `SQLITE_CANTOPEN`), when the database raised the error. */
  readonly code?: string | undefined
  readonly expectedVersion?: number | undefined
  readonly actualVersion?: number | undefined
}> {}

/** True for a `StoreError`, optionally of one reason. */
export function isStoreError(error: unknown, reason?: StoreErrorReason): error is StoreError {
  return error instanceof StoreError && (reason === undefined || error.reason === reason)
}
