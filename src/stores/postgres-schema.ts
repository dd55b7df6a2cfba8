import type pg from 'pg'
import { StoreError } from './errors.js'

// The PostgreSQL schema and its versioned migrations (docs/decisions/0010-postgres-store.md). Every table
// lives in one PostgreSQL schema (default `mx_reconnect`); `schema_version` there lists the migrations
// applied. Migrating runs in one transaction under an advisory lock, so several workers starting at once
// apply each migration exactly once; a schema written by a newer version is refused, never half-read.

/** The schema version this code writes. */
export const PG_SCHEMA_VERSION = 1

/** The `schema_version.app` value that marks a schema as ours. */
export const PG_APP_NAME = 'mx-reconnect'

/** The default PostgreSQL schema (namespace) the tables live in. */
export const DEFAULT_PG_SCHEMA = 'mx_reconnect'

/** A schema name we quote ourselves: lower-case letters, digits and `_`, not starting with a digit. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** The advisory-lock class id of mx-reconnect migrations (the second key is a hash of the schema name). */
const LOCK_CLASS = 0x6d787263 // 'mxrc'

/** Fully qualified table names of one schema: identifiers are checked, then quoted, never taken raw. */
export interface PgTables {
  readonly schema: string
  readonly lifecycles: string
  readonly history: string
  readonly instances: string
  readonly sweeps: string
  readonly sweepMembers: string
  readonly quarantine: string
  readonly schemaVersion: string
}

/** Checks a schema name and returns the qualified table names in it. */
export function pgTables(schema: string): PgTables {
  // `pg_` names are reserved for PostgreSQL's own schemas.
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema) || schema.startsWith('pg_')) {
    throw new StoreError({
      reason: 'invalid',
      field: 'schema',
      message: 'schema: must be 1 to 63 lower-case letters, digits or _, not starting with a digit or pg_',
    })
  }
  const q = (table: string) => `"${schema}"."${table}"`
  return {
    schema,
    lifecycles: q('lifecycles'),
    history: q('history'),
    instances: q('instances'),
    sweeps: q('sweeps'),
    sweepMembers: q('sweep_members'),
    quarantine: q('quarantine'),
    schemaVersion: q('schema_version'),
  }
}

/**
 * Migrations[n] takes a schema from version n to n + 1. Times are epoch ms in `bigint`; JSON is kept as
 * `text` (byte for byte what was saved, read back exactly as the SQLite store does); guids sort in the
 * "C" collation, i.e. code-point order, the order the contract pages in.
 */
function migrations(t: PgTables): readonly string[] {
  return [
    `
    CREATE TABLE ${t.lifecycles} (
      member_guid text COLLATE "C" PRIMARY KEY,
      user_id     text NOT NULL,
      state       text NOT NULL,
      status      text NOT NULL CHECK (status IN ('running', 'waiting', 'done')),
      wake_at     bigint,
      snapshot    text NOT NULL,
      outcome     text,
      owner       text,
      lease_until bigint,
      version     bigint NOT NULL CHECK (version >= 1),
      created_at  bigint NOT NULL,
      updated_at  bigint NOT NULL,
      last_seq    bigint NOT NULL DEFAULT 0,
      quarantined boolean NOT NULL DEFAULT false,
      CHECK ((owner IS NULL) = (lease_until IS NULL))
    );
    -- resumeAll pages through unfinished members; counts() groups by status.
    CREATE INDEX lifecycles_unfinished ON ${t.lifecycles} (member_guid) WHERE status <> 'done' AND NOT quarantined;
    CREATE INDEX lifecycles_status ON ${t.lifecycles} (status);
    -- The timer queue (due / nextWake) walks unfinished wake-up times in order.
    CREATE INDEX lifecycles_due ON ${t.lifecycles} (wake_at, member_guid)
      WHERE status <> 'done' AND wake_at IS NOT NULL AND NOT quarantined;
    CREATE INDEX lifecycles_leased ON ${t.lifecycles} (owner) WHERE owner IS NOT NULL;

    CREATE TABLE ${t.history} (
      member_guid text COLLATE "C" NOT NULL,
      seq         bigint NOT NULL,
      at          bigint NOT NULL,
      type        text NOT NULL,
      data        text NOT NULL,
      PRIMARY KEY (member_guid, seq)
    );
    -- The history is append-only (design/reconnector.md, "Stores"): the database itself refuses anything else.
    CREATE FUNCTION "${t.schema}".history_append_only() RETURNS trigger LANGUAGE plpgsql AS
      $fn$ BEGIN RAISE EXCEPTION 'history is append-only'; END $fn$;
    CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON ${t.history}
      FOR EACH ROW EXECUTE FUNCTION "${t.schema}".history_append_only();

    CREATE TABLE ${t.instances} (
      id         text PRIMARY KEY,
      owner      text NOT NULL,
      host       text NOT NULL,
      pid        bigint NOT NULL,
      started_at bigint NOT NULL
    );

    CREATE TABLE ${t.sweeps} (
      id         text PRIMARY KEY,
      holder     text NOT NULL,
      started_at bigint NOT NULL,
      seq        bigint GENERATED ALWAYS AS IDENTITY
    );
    CREATE TABLE ${t.sweepMembers} (
      sweep_id    text NOT NULL REFERENCES ${t.sweeps} (id) ON DELETE CASCADE,
      position    bigint NOT NULL,
      member_guid text NOT NULL,
      user_id     text NOT NULL,
      PRIMARY KEY (sweep_id, position)
    );

    CREATE TABLE ${t.quarantine} (
      member_guid text COLLATE "C" PRIMARY KEY,
      reason      text NOT NULL,
      at          bigint NOT NULL
    );
    `,
  ]
}

function schemaError(where: string, message: string): StoreError {
  return new StoreError({ reason: 'schema', path: where, message: `${where}: ${message}` })
}

/** The schema's version: 0 when it has none of our tables. Throws for a schema that is not ours. */
export async function readPgSchemaVersion(
  client: pg.ClientBase,
  t: PgTables,
  where: string,
): Promise<number> {
  const found = await client.query<{ versions: string | null; lifecycles: string | null }>(
    `SELECT to_regclass($1) AS versions, to_regclass($2) AS lifecycles`,
    [t.schemaVersion, t.lifecycles],
  )
  const { versions, lifecycles } = found.rows[0]!
  if (versions === null) {
    if (lifecycles !== null)
      throw schemaError(where, `schema ${t.schema} is not an ${PG_APP_NAME} store (no schema_version)`)
    return 0
  }
  let rows: { version: number; app: string }[]
  try {
    rows = (
      await client.query<{ version: number; app: string }>(`SELECT version, app FROM ${t.schemaVersion}`)
    ).rows
  } catch {
    throw schemaError(where, `schema ${t.schema} is not an ${PG_APP_NAME} store (schema_version is not ours)`)
  }
  if (rows.length === 0 || rows.some((row) => row.app !== PG_APP_NAME))
    throw schemaError(where, `schema ${t.schema} is not an ${PG_APP_NAME} store (schema_version is not ours)`)
  return Math.max(...rows.map((row) => Number(row.version)))
}

/** Throws when the schema was written by a newer version of this library. */
export function refuseNewerPg(version: number, where: string): void {
  if (version > PG_SCHEMA_VERSION) {
    throw schemaError(
      where,
      `was written by a newer ${PG_APP_NAME} (schema version ${version}; this version reads up to ${PG_SCHEMA_VERSION}). Upgrade ${PG_APP_NAME} to open it.`,
    )
  }
}

/**
 * Creates or migrates the schema: one transaction holding a transaction-scoped advisory lock on the
 * schema's name, so concurrent starters wait for each other and the later ones find the work done.
 * Returns the version found before migrating.
 */
export async function migratePg(client: pg.ClientBase, t: PgTables, where: string): Promise<number> {
  await client.query('BEGIN')
  try {
    await client.query(`SELECT pg_advisory_xact_lock($1::int4, hashtext($2))`, [LOCK_CLASS, t.schema])
    // Read inside the lock: another process may have migrated while we waited.
    const version = await readPgSchemaVersion(client, t, where)
    refuseNewerPg(version, where)
    if (version < PG_SCHEMA_VERSION) {
      if (version === 0) {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${t.schema}"`)
        await client.query(
          `CREATE TABLE ${t.schemaVersion} (version bigint PRIMARY KEY, app text NOT NULL, applied_at bigint NOT NULL)`,
        )
      }
      const steps = migrations(t)
      for (let v = version; v < PG_SCHEMA_VERSION; v++) {
        await client.query(steps[v]!)
        // applied_at is the server's time: the store's clock is the lifecycles' (it may be a test's).
        await client.query(
          `INSERT INTO ${t.schemaVersion} (version, app, applied_at)
           VALUES ($1, $2, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)`,
          [v + 1, PG_APP_NAME],
        )
      }
    }
    await client.query('COMMIT')
    return version
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
}
