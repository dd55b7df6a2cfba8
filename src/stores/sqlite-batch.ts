import type Database from 'better-sqlite3'

// Group commit for the SQLite store (issue 15, docs/decisions/0011-store-write-path.md): every operation
// asked for during one event-loop turn runs in ONE write transaction, after the turn (setImmediate); each
// promise settles only once that transaction has committed, so "stored before the side effect" still
// holds for every caller. Operations run in the order they were asked for, reads included: a read asked
// while writes wait joins the batch behind them, so it sees them; with nothing waiting it runs at once.

/** One operation waiting for the batch. */
interface Pending {
  readonly operation: () => unknown
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
}

/** What the store gives the batcher. */
export interface BatchDeps {
  readonly db: Database.Database
  /** Turns a thrown SQLite error into the store's error (`StoreError` `io`); store errors pass through. */
  readonly fail: (error: unknown) => Error
}

/**
 * The batcher: `write` queues an operation for the next group commit; `read` runs one at once unless
 * writes wait (then it queues behind them); `flush` commits what waits now (used by `close`).
 *
 * @example
 * ```ts
 * const batch = createBatch({ db, fail })
 * const version = await batch.write(() => stmt.save.get(params)!.version)
 * ```
 */
export interface Batch {
  write<T>(operation: () => T): Promise<T>
  read<T>(operation: () => T): Promise<T>
  /** Runs everything queued now, synchronously. */
  flush(): void
}

/** Creates the batcher over an open database. */
export function createBatch(deps: BatchDeps): Batch {
  const { db, fail } = deps
  const begin = db.prepare('BEGIN IMMEDIATE')
  const commit = db.prepare('COMMIT')
  const rollback = db.prepare('ROLLBACK')
  let queue: Pending[] = []
  let scheduled: NodeJS.Immediate | undefined

  /** Runs `batch[from…]` in one transaction; returns where the next transaction must start. */
  function runTransaction(batch: readonly Pending[], from: number): number {
    const results: unknown[] = []
    const errors = new Map<number, unknown>()
    let i = from
    try {
      begin.run()
      for (; i < batch.length; i++) {
        try {
          results.push(batch[i]!.operation())
        } catch (error) {
          // An error that ended the transaction (disk full, I/O) took every earlier write of it along.
          if (!db.inTransaction) throw error
          results.push(undefined)
          errors.set(i, error)
        }
      }
      commit.run()
    } catch (error) {
      if (db.inTransaction) rollback.run()
      // Nothing of from…i is stored: each of them fails (the op that failed, or all when BEGIN/COMMIT did).
      const end = i < batch.length ? i + 1 : batch.length
      const failure = fail(error)
      for (let j = from; j < end; j++) batch[j]!.reject(failure)
      return end
    }
    for (let j = from; j < batch.length; j++) {
      const error = errors.get(j)
      if (errors.has(j)) batch[j]!.reject(fail(error))
      else batch[j]!.resolve(results[j - from])
    }
    return batch.length
  }

  function flush(): void {
    if (scheduled !== undefined) clearImmediate(scheduled)
    scheduled = undefined
    while (queue.length > 0) {
      const batch = queue
      queue = []
      for (let from = 0; from < batch.length;) from = runTransaction(batch, from)
    }
  }

  function enqueue<T>(operation: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ operation, resolve: resolve as (value: unknown) => void, reject })
      scheduled ??= setImmediate(flush)
    })
  }

  return {
    write: enqueue,
    read<T>(operation: () => T): Promise<T> {
      if (queue.length > 0) return enqueue(operation)
      return new Promise<T>((resolve) => resolve(operation())).catch((error: unknown) => {
        throw fail(error)
      })
    },
    flush,
  }
}
