import type { LifecycleStore } from '../../src/stores/types.js'

// Wraps a store and records the size of every snapshot it is asked to persist (issues 7 and 15: bytes per
// persisted snapshot), by machine state. Sizes are UTF-8 bytes of the JSON of the snapshot handed to
// `create` or `save`. Every other method is forwarded untouched (a Proxy), so the wrapper follows the store
// interface as it changes.

/** Snapshot sizes seen, by state path; `all` keeps every size (for medians). */
export interface SnapshotSizes {
  readonly byState: ReadonlyMap<string, { count: number; total: number; max: number }>
  readonly count: number
  readonly total: number
  readonly max: number
  readonly all: readonly number[]
}

type Recorder = (state: string, snapshot: unknown) => void

function recorder(): { record: Recorder; sizes: () => SnapshotSizes } {
  const byState = new Map<string, { count: number; total: number; max: number }>()
  const all: number[] = []
  let total = 0
  let max = 0
  const record: Recorder = (state, snapshot) => {
    const bytes = Buffer.byteLength(JSON.stringify(snapshot))
    const row = byState.get(state) ?? { count: 0, total: 0, max: 0 }
    row.count += 1
    row.total += bytes
    row.max = Math.max(row.max, bytes)
    byState.set(state, row)
    all.push(bytes)
    total += bytes
    max = Math.max(max, bytes)
  }
  return { record, sizes: () => ({ byState, count: all.length, total, max, all }) }
}

/** A store that measures what goes through `create` and `save`. */
export function measuringStore(inner: LifecycleStore): LifecycleStore & { sizes(): SnapshotSizes } {
  const { record, sizes } = recorder()
  const create: LifecycleStore['create'] = (rec, ...rest) => {
    record(rec.state, rec.snapshot)
    return inner.create(rec, ...rest)
  }
  const save: LifecycleStore['save'] = (guid, update, ...rest) => {
    record(update.state, update.snapshot)
    return inner.save(guid, update, ...rest)
  }
  return new Proxy(inner, {
    get(target, key) {
      if (key === 'create') return create
      if (key === 'save') return save
      if (key === 'sizes') return sizes
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  }) as LifecycleStore & { sizes(): SnapshotSizes }
}

/** Merges several size records (e.g. from several runs). */
export function mergeSizes(runs: readonly SnapshotSizes[]): SnapshotSizes {
  const byState = new Map<string, { count: number; total: number; max: number }>()
  const all: number[] = []
  let total = 0
  let max = 0
  for (const s of runs) {
    total += s.total
    max = Math.max(max, s.max)
    for (const n of s.all) all.push(n)
    for (const [state, row] of s.byState) {
      const into = byState.get(state) ?? { count: 0, total: 0, max: 0 }
      into.count += row.count
      into.total += row.total
      into.max = Math.max(into.max, row.max)
      byState.set(state, into)
    }
  }
  return { byState, count: all.length, total, max, all }
}
