import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, inject } from 'vitest'

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
