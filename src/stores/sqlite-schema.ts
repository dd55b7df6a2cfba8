import type Database from 'better-sqlite3'
import { StoreError } from './errors.js'

// The SQLite schema and its migrations (docs/decisions/0004-stores.md). The version lives in a `meta`
// table; a file written by a newer version is refused rather than half-understood.

/** The schema version this code writes. */
export const SCHEMA_VERSION = 2

/** The `meta.app` value that marks a file as ours. */
export const APP_NAME = 'mx-reconnect'

/** Migrations[n] takes a file from version n to n + 1. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

  CREATE TABLE lifecycles (
    member_guid TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    state       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'waiting', 'done')),
    wake_at     INTEGER,
    snapshot    TEXT NOT NULL,
    outcome     TEXT,
    owner       TEXT,
    lease_until INTEGER,
    version     INTEGER NOT NULL CHECK (version >= 1),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    last_seq    INTEGER NOT NULL DEFAULT 0,
    CHECK ((owner IS NULL) = (lease_until IS NULL))
  );
  -- resumeAll pages through unfinished members; counts() groups by status.
  CREATE INDEX lifecycles_unfinished ON lifecycles (member_guid) WHERE status <> 'done';
  CREATE INDEX lifecycles_status ON lifecycles (status);
  -- The timer queue (due / nextWake) walks unfinished wake-up times in order.
  CREATE INDEX lifecycles_due ON lifecycles (wake_at, member_guid) WHERE status <> 'done' AND wake_at IS NOT NULL;
  CREATE INDEX lifecycles_leased ON lifecycles (owner) WHERE owner IS NOT NULL;

  CREATE TABLE history (
    member_guid TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    type        TEXT NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (member_guid, seq)
  ) WITHOUT ROWID;
  -- The history is append-only (design/reconnector.md, "Stores"): the file itself refuses anything else.
  CREATE TRIGGER history_no_update BEFORE UPDATE ON history BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
  CREATE TRIGGER history_no_delete BEFORE DELETE ON history BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
  `,
  // 2: durability (docs/decisions/0008-ownership-and-sweep-journal.md): lease-holding instances, the sweep
  // journal, and quarantined rows (skipped by resumeAll and the timer queue).
  `
  ALTER TABLE lifecycles ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;
  DROP INDEX lifecycles_unfinished;
  DROP INDEX lifecycles_due;
  CREATE INDEX lifecycles_unfinished ON lifecycles (member_guid) WHERE status <> 'done' AND quarantined = 0;
  CREATE INDEX lifecycles_due ON lifecycles (wake_at, member_guid)
    WHERE status <> 'done' AND wake_at IS NOT NULL AND quarantined = 0;

  CREATE TABLE instances (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    started_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE sweeps (
    id         TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    seq        INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE sweep_members (
    sweep_id    TEXT NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    member_guid TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (sweep_id, position)
  ) WITHOUT ROWID;

  CREATE TABLE quarantine (
    member_guid TEXT PRIMARY KEY,
    reason      TEXT NOT NULL,
    at          INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
]

function schemaError(path: string, message: string): StoreError {
  return new StoreError({ reason: 'schema', path, message: `${path}: ${message}` })
}

/** The file's schema version: 0 for a file without our `meta` table. Throws for a file that is not ours. */
export function readSchemaVersion(db: Database.Database, path: string): number {
  const hasMeta = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get()
  if (hasMeta === undefined) return 0
  const rows = db.prepare(`SELECT key, value FROM meta WHERE key IN ('app', 'schema_version')`).all() as {
    key: string
    value: string
  }[]
  const meta = new Map(rows.map((row) => [row.key, row.value]))
  if (meta.get('app') !== APP_NAME)
    throw schemaError(path, `is not an ${APP_NAME} store (meta.app is missing or different)`)
  const version = Number(meta.get('schema_version'))
  if (!Number.isSafeInteger(version) || version < 1)
    throw schemaError(path, 'has no valid schema_version in meta')
  return version
}

/** Throws when the file was written by a newer version of this library. */
export function refuseNewer(version: number, path: string): void {
  if (version > SCHEMA_VERSION) {
    throw schemaError(
      path,
      `was written by a newer ${APP_NAME} (schema version ${version}; this version reads up to ${SCHEMA_VERSION}). Upgrade ${APP_NAME} to open it.`,
    )
  }
}

/** Creates or migrates the schema in one write transaction; refuses a newer file. */
export function migrate(db: Database.Database, path: string): void {
  const run = db.transaction(() => {
    // Re-read inside the write lock: another process may have migrated since we looked.
    const version = readSchemaVersion(db, path)
    refuseNewer(version, path)
    if (version === SCHEMA_VERSION) return
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!)
    const set = db.prepare(
      `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    )
    set.run('app', APP_NAME)
    set.run('schema_version', String(SCHEMA_VERSION))
  })
  run.immediate()
}
