import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, inject } from 'vitest'
import { postgresStore } from '../../src/stores/index.js'
import type { LifecycleStore, StoreOptions } from '../../src/stores/index.js'

// A real PostgreSQL for tests (issue 16): MX_RECONNECT_TEST_PG_URL when set (a superuser or CREATEDB role
// on a server you own), else the run's embedded server from test/support/pg-global-setup.ts. Every test
// file gets its own database with a random name, so files running in parallel never see each other's rows.

/** How long a test file waits for the embedded server to start on a loaded machine. */
export const PG_START_TIMEOUT_MS = 180_000

let serverUrl: Promise<string> | undefined

/** The superuser URL of the server tests use (starting the embedded one on first call). */
export function pgServerUrl(): Promise<string> {
  serverUrl ??= (async () => {
    const external = process.env.MX_RECONNECT_TEST_PG_URL
    if (external !== undefined && external !== '') return external
    const control = inject('mxReconnectPgControl')
    if (control === undefined)
      throw new Error('no PostgreSQL: test/support/pg-global-setup.ts is not a globalSetup')
    const response = await fetch(control, { signal: AbortSignal.timeout(PG_START_TIMEOUT_MS) })
    const text = await response.text()
    if (!response.ok) throw new Error(text)
    return text
  })()
  return serverUrl
}

/** The URL of another database on the same server. */
export function databaseUrl(server: string, database: string): string {
  const url = new URL(server)
  url.pathname = `/${database}`
  return url.toString()
}

/** Runs `sql` (no parameters: DDL) on the server's maintenance database. */
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: await pgServerUrl() })
  client.on('error', () => undefined)
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/** A fresh, empty database and how to drop it. */
export interface TestDatabase {
  readonly name: string
  readonly url: string
  drop(): Promise<void>
}

/** Creates a database with a random name (`mxr_<prefix>_<hex>`). */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const name = `mxr_${prefix.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(6).toString('hex')}`
  await admin(`CREATE DATABASE "${name}"`)
  return {
    name,
    url: databaseUrl(await pgServerUrl(), name),
    drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  }
}

/**
 * One database for the calling test file: created before its tests, dropped after them. Returns a getter
 * for its URL (valid inside tests and hooks).
 *
 * @example
 * ```ts
 * const db = useTestDatabase()
 * it('...', async () => { const store = postgresStore(db()) })
 * ```
 */
export function useTestDatabase(prefix?: string): () => string {
  let database: TestDatabase | undefined
  beforeAll(async () => {
    database = await createTestDatabase(prefix)
  }, PG_START_TIMEOUT_MS)
  afterAll(async () => {
    await database?.drop()
  }, 60_000)
  return () => {
    if (database === undefined) throw new Error('useTestDatabase(): the database is made in beforeAll')
    return database.url
  }
}

/** A one-off client on `url`, for a test that writes raw SQL (connect, run, end). */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => undefined)
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** The tables of a store schema, emptied between tests (TRUNCATE is far cheaper than a new schema). */
const STORE_TABLES = ['lifecycles', 'history', 'instances', 'sweeps', 'sweep_members', 'quarantine']

/**
 * Opens postgres stores that each start EMPTY, for suites that open a store per test or per property run:
 * a closed store's schema is emptied and handed to the next `open`, so only the first store of each
 * concurrently open one pays for creating a schema (tens of DDL statements; seconds on a loaded machine).
 * `close()` of a store from here resolves once its schema is empty again.
 */
export function recyclingPgStores(
  url: () => string,
  prefix: string,
): (options?: StoreOptions) => LifecycleStore {
  const free: string[] = []
  let made = 0
  // One connection for all the emptying (a new one costs a backend start and an authentication).
  let admin: pg.Pool | undefined
  afterAll(async () => {
    await admin?.end()
  })
  return (options = {}) => {
    const schema = free.pop() ?? `${prefix}_${++made}`
    const store = postgresStore(url(), { ...options, schema })
    let closing: Promise<void> | undefined
    const recycle = async () => {
      await store.close()
      // A store that never opened (bad URL) or whose schema failed to migrate is not reused.
      admin ??= new pg.Pool({ connectionString: url(), max: 1 }).on('error', () => undefined)
      const tables = STORE_TABLES.map((t) => `"${schema}"."${t}"`).join(', ')
      const emptied = await admin.query(`TRUNCATE ${tables} RESTART IDENTITY`).then(
        () => true,
        () => false,
      )
      if (emptied) free.push(schema)
    }
    return {
      ...store,
      close: () => (closing ??= recycle()),
    }
  }
}
