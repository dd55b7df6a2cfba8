import type { LifecycleStore } from '../../src/stores/types.js'

// Wraps a store and records the size of every snapshot it is asked to persist (issue 7, figure 5: bytes per
// persisted snapshot), by machine state. Sizes are UTF-8 bytes of the JSON the store writes.

/** Snapshot sizes seen, by state path. */
export interface SnapshotSizes {
  readonly byState: ReadonlyMap<string, { count: number; total: number; max: number }>
  readonly count: number
  readonly total: number
  readonly max: number
}

/** A store that measures what goes through `create` and `save`. */
export function measuringStore(inner: LifecycleStore): LifecycleStore & { sizes(): SnapshotSizes } {
  const byState = new Map<string, { count: number; total: number; max: number }>()
  let count = 0
  let total = 0
  let max = 0
  const record = (state: string, snapshot: unknown) => {
    const bytes = Buffer.byteLength(JSON.stringify(snapshot))
    const row = byState.get(state) ?? { count: 0, total: 0, max: 0 }
    row.count += 1
    row.total += bytes
    row.max = Math.max(row.max, bytes)
    byState.set(state, row)
    count += 1
    total += bytes
    max = Math.max(max, bytes)
  }
  return {
    ...inner,
    get: (guid) => inner.get(guid),
    create: (rec, history) => {
      record(rec.state, rec.snapshot)
      return inner.create(rec, history)
    },
    save: (guid, update, history) => {
      record(update.state, update.snapshot)
      return inner.save(guid, update, history)
    },
    append: (guid, history) => inner.append(guid, history),
    history: (guid, options) => inner.history(guid, options),
    unfinished: (options) => inner.unfinished(options),
    due: (at, limit) => inner.due(at, limit),
    nextWake: () => inner.nextWake(),
    acquire: (guid, owner, leaseMs, now) => inner.acquire(guid, owner, leaseMs, now),
    release: (guid, owner) => inner.release(guid, owner),
    counts: () => inner.counts(),
    close: () => inner.close(),
    sizes: () => ({ byState, count, total, max }),
  }
}

/** Merges several size records (e.g. from several runs). */
export function mergeSizes(all: readonly SnapshotSizes[]): SnapshotSizes {
  const byState = new Map<string, { count: number; total: number; max: number }>()
  let count = 0
  let total = 0
  let max = 0
  for (const s of all) {
    count += s.count
    total += s.total
    max = Math.max(max, s.max)
    for (const [state, row] of s.byState) {
      const into = byState.get(state) ?? { count: 0, total: 0, max: 0 }
      into.count += row.count
      into.total += row.total
      into.max = Math.max(into.max, row.max)
      byState.set(state, into)
    }
  }
  return { byState, count, total, max }
}
