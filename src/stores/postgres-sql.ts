import type { PgTables } from './postgres-schema.js'

// The PostgreSQL store's statements, built once per store from its checked table names. Every value is a
// bind parameter ($n); only the quoted table names are spliced in. Each state change is ONE statement
// (data-modifying CTEs), so the row update and its history rows commit together in one round trip.

/** The lifecycle columns under the names `Row` (row.ts) uses. */
const COLUMNS = `member_guid AS "memberGuid", user_id AS "userId", state, status, wake_at AS "wakeAt", snapshot,
  outcome, owner, lease_until AS "leaseUntil", version, created_at AS "createdAt", updated_at AS "updatedAt",
  last_seq AS "lastSeq"`

/** Inserts the history entries given as three arrays ($at, $type, $data) after `first - 1` for the row in `source`. */
function historyInsert(t: PgTables, source: string, seqBase: string, at: number): string {
  return `INSERT INTO ${t.history} (member_guid, seq, at, type, data)
    SELECT ${source}.member_guid, ${seqBase} + e.ord, e.at, e.type, e.data
    FROM ${source}, unnest($${at}::bigint[], $${at + 1}::text[], $${at + 2}::text[]) WITH ORDINALITY AS e(at, type, data, ord)`
}

/** Every statement of the core store (postgres.ts). */
export function coreSql(t: PgTables) {
  return {
    get: `SELECT ${COLUMNS} FROM ${t.lifecycles} WHERE member_guid = $1`,
    // $1 guid, $2 user, $3 state, $4 status, $5 wakeAt, $6 snapshot, $7 outcome, $8 now, $9 history count,
    // $10-$12 history arrays, $13 owner, $14 leaseUntil (both null: no lease).
    create: `WITH ins AS (
        INSERT INTO ${t.lifecycles} (member_guid, user_id, state, status, wake_at, snapshot, outcome, version,
          created_at, updated_at, last_seq, owner, lease_until)
        VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8, $9, $13, $14)
        ON CONFLICT (member_guid) DO NOTHING
        RETURNING *
      ), h AS (${historyInsert(t, 'ins', '0', 10)})
      SELECT ${COLUMNS} FROM ins`,
    // $1 guid, $2 expectedVersion, $3 expectedOwner (null: any), $4 state, $5 status, $6 wakeAt,
    // $7 snapshot, $8 keep outcome, $9 outcome, $10 now, $11 history count, $12-$14 history arrays.
    save: `WITH upd AS (
        UPDATE ${t.lifecycles} SET state = $4, status = $5::text, wake_at = $6, snapshot = $7,
          outcome = CASE WHEN $8::boolean THEN outcome ELSE $9::text END,
          version = version + 1, updated_at = $10, last_seq = last_seq + $11,
          owner = CASE WHEN $5::text = 'done' THEN NULL ELSE owner END,
          lease_until = CASE WHEN $5::text = 'done' THEN NULL ELSE lease_until END
        WHERE member_guid = $1 AND version = $2 AND ($3::text IS NULL OR owner = $3::text)
        RETURNING member_guid, version, last_seq
      ), h AS (${historyInsert(t, 'upd', 'upd.last_seq - $11', 12)})
      SELECT version FROM upd`,
    version: `SELECT version FROM ${t.lifecycles} WHERE member_guid = $1`,
    // $1 guid, $2 count, $3-$5 history arrays. The row update serialises seq numbers per member.
    append: `WITH b AS (
        UPDATE ${t.lifecycles} SET last_seq = last_seq + $2 WHERE member_guid = $1 RETURNING member_guid, last_seq
      ), h AS (${historyInsert(t, 'b', 'b.last_seq - $2', 3)})
      SELECT last_seq AS "lastSeq" FROM b`,
    exists: `SELECT 1 AS one FROM ${t.lifecycles} WHERE member_guid = $1`,
    // LIMIT NULL: no limit.
    history: `SELECT member_guid AS "memberGuid", seq, at, type, data FROM ${t.history}
      WHERE member_guid = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    unfinished: `SELECT ${COLUMNS} FROM ${t.lifecycles}
      WHERE status <> 'done' AND NOT quarantined AND member_guid > $1 ORDER BY member_guid LIMIT $2`,
    due: `SELECT ${COLUMNS} FROM ${t.lifecycles}
      WHERE status <> 'done' AND NOT quarantined AND wake_at IS NOT NULL AND wake_at <= $1
        AND (lease_until IS NULL OR lease_until <= $1)
      ORDER BY wake_at, member_guid LIMIT $2`,
    // Unleased wake-ups come in index order (first row wins); leased rows are few (the live lifecycles) and
    // wake when both their time and their lease are up. LEAST ignores NULLs.
    nextWake: `SELECT LEAST(
        (SELECT wake_at FROM ${t.lifecycles}
          WHERE status <> 'done' AND NOT quarantined AND wake_at IS NOT NULL AND owner IS NULL
          ORDER BY wake_at LIMIT 1),
        (SELECT MIN(GREATEST(wake_at, lease_until)) FROM ${t.lifecycles}
          WHERE owner IS NOT NULL AND status <> 'done' AND NOT quarantined AND wake_at IS NOT NULL)
      ) AS t`,
    // $1 guid, $2 owner, $3 now, $4 until.
    acquire: `UPDATE ${t.lifecycles} SET owner = $2, lease_until = $4
      WHERE member_guid = $1 AND (owner IS NULL OR owner = $2 OR lease_until <= $3)`,
    release: `UPDATE ${t.lifecycles} SET owner = NULL, lease_until = NULL WHERE member_guid = $1 AND owner = $2`,
    counts: `SELECT status, COUNT(*) AS n FROM ${t.lifecycles} GROUP BY status`,
  }
}

/** Every statement of the durability tables (postgres-durability.ts). */
export function durabilitySql(t: PgTables) {
  return {
    guids: `SELECT member_guid AS "memberGuid" FROM ${t.lifecycles}
      WHERE status <> 'done' AND NOT quarantined AND member_guid > $1 ORDER BY member_guid LIMIT $2`,
    upsertInstance: `INSERT INTO ${t.instances} (id, owner, host, pid, started_at) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid,
        started_at = excluded.started_at`,
    instance: `SELECT id, owner, host, pid, started_at AS "startedAt" FROM ${t.instances} WHERE id = $1`,
    removeInstance: `DELETE FROM ${t.instances} WHERE id = $1`,
    // $1 guid, $2 from, $3 to, $4 until.
    takeOver: `UPDATE ${t.lifecycles} SET owner = $3, lease_until = $4 WHERE member_guid = $1 AND owner = $2`,
    exists: `SELECT 1 AS one FROM ${t.lifecycles} WHERE member_guid = $1`,
    // $1 id, $2 holder, $3 startedAt, $4 guids, $5 user ids: the journal and its members in one statement.
    openSweep: `WITH s AS (
        INSERT INTO ${t.sweeps} (id, holder, started_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id
      )
      INSERT INTO ${t.sweepMembers} (sweep_id, position, member_guid, user_id)
      SELECT s.id, m.ord - 1, m.guid, m.user_id
      FROM s, unnest($4::text[], $5::text[]) WITH ORDINALITY AS m(guid, user_id, ord)`,
    sweeps: `SELECT id, holder, started_at AS "startedAt" FROM ${t.sweeps} ORDER BY started_at, seq`,
    sweepMembers: `SELECT sweep_id AS "sweepId", member_guid AS "memberGuid", user_id AS "userId"
      FROM ${t.sweepMembers} WHERE sweep_id = ANY($1::text[]) ORDER BY sweep_id, position`,
    closeSweep: `DELETE FROM ${t.sweeps} WHERE id = $1`,
    // $1 guid, $2 reason, $3 at: mark the row and record why, in one statement.
    quarantine: `WITH q AS (
        UPDATE ${t.lifecycles} SET quarantined = true, owner = NULL, lease_until = NULL
        WHERE member_guid = $1 RETURNING member_guid
      )
      INSERT INTO ${t.quarantine} (member_guid, reason, at) SELECT member_guid, $2, $3 FROM q
      ON CONFLICT (member_guid) DO UPDATE SET reason = excluded.reason, at = excluded.at
      RETURNING member_guid`,
    quarantined: `SELECT member_guid AS "memberGuid", reason, at FROM ${t.quarantine} ORDER BY member_guid`,
  }
}
