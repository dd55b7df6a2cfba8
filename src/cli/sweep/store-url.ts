import { resolve } from 'node:path'
import { memoryStore, sqliteStore, type LifecycleStore } from '../../stores/index.js'
import { UsageError } from '../args.js'

/**
 * `--store` of `mx-reconnect sweep` (design: reconnector.md "CLI" and "Stores"): `sqlite:PATH` (the embedded
 * default), `memory:` (a one-shot run that keeps nothing). `postgres:` is named in the design but not part
 * of this version; it gets a clear error rather than a silent fallback.
 */

/** An opened store and a description for the report (no credentials: a path or a kind). */
export interface OpenedStore {
  readonly store: LifecycleStore
  readonly description: string
  /** The SQLite file's absolute path; undefined for `memory:` (nothing kept, nothing to resume). */
  readonly path?: string
}

/** Opens the store `url` names. Throws UsageError for a malformed URL, Error for one that does not open. */
export function openStore(url: string): OpenedStore {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase()
  switch (scheme) {
    case 'sqlite': {
      const path = url.slice('sqlite:'.length).replace(/^\/\//, '')
      if (path.trim() === '') throw new UsageError('--store sqlite: needs a file path (sqlite:PATH)')
      const absolute = resolve(path)
      // sqliteStore throws a StoreError whose message names the path and the reason (one line).
      return { store: sqliteStore(absolute), description: `sqlite:${absolute}`, path: absolute }
    }
    case 'memory':
      return { store: memoryStore(), description: 'memory (nothing is kept after this run)' }
    case 'postgres':
    case 'postgresql':
      throw new Error('--store postgres: is not supported in this version (use sqlite:PATH)')
    default:
      throw new UsageError('--store must be sqlite:PATH or memory:')
  }
}
