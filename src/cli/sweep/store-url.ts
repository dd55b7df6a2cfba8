import { resolve } from 'node:path'
import { memoryStore, postgresStore, sqliteStore, type LifecycleStore } from '../../stores/index.js'
import { UsageError } from '../args.js'

/**
 * `--store` of `mx-reconnect sweep` (design: reconnector.md "CLI" and "Stores"): `sqlite:PATH` (the embedded
 * default), `memory:` (a one-shot run that keeps nothing), `postgres:URL` (a PostgreSQL database shared by
 * many processes; issue 16). A store that does not open is one clear line (no password), exit 1.
 */

/** An opened store and a description for the report (no credentials: a path or a kind). */
export interface OpenedStore {
  readonly store: LifecycleStore
  readonly description: string
  /** The SQLite file's absolute path; undefined for `memory:` (nothing kept, nothing to resume). */
  readonly path?: string
  /** The PostgreSQL URL of a `postgres:` store: its sweep hands members to the workers (decision 0012). */
  readonly postgresUrl?: string
}

/**
 * The PostgreSQL URL of a `--store` value: `postgres:postgres://…`, or a bare `postgres://…` /
 * `postgresql://…` URL. Throws UsageError when there is none (the message never repeats the value: it may
 * hold a password). Put the password in `PGPASSWORD` rather than the URL: flags show in `ps`.
 *
 * @example
 * ```ts
 * postgresUrlOf('postgres:postgres://mx@db:5432/mx') // 'postgres://mx@db:5432/mx'
 * ```
 */
export function postgresUrlOf(value: string): string {
  const inner = /^postgres(ql)?:(?!\/\/)/i.test(value) ? value.slice(value.indexOf(':') + 1) : value
  if (!/^postgres(ql)?:\/\/[^/]/i.test(inner))
    throw new UsageError('--store postgres: needs a URL (postgres:postgres://USER@HOST:PORT/DB)')
  try {
    new URL(inner)
  } catch {
    throw new UsageError('--store postgres: the URL cannot be parsed')
  }
  return inner
}

/** Opens the store `url` names. Throws UsageError for a malformed URL, Error for one that does not open. */
export async function openStore(url: string): Promise<OpenedStore> {
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
    case 'postgresql': {
      const postgresUrl = postgresUrlOf(url)
      const store = postgresStore(postgresUrl)
      try {
        // Connect and migrate now: a wrong URL is one line before anything runs, not a failed sweep.
        await store.ready()
      } catch (error) {
        await store.close()
        throw error
      }
      return { store, description: `postgres:${store.description} (schema ${store.schema})`, postgresUrl }
    }
    default:
      throw new UsageError('--store must be sqlite:PATH, postgres:URL or memory:')
  }
}
