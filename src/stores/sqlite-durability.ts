import type Database from 'better-sqlite3'
import type { StoreError } from './errors.js'
import { preparePage } from './prepare.js'
import { prepareAcquire } from './prepare.js'
import { prepareInstance, prepareQuarantine, prepareSweep, prepareTakeOver } from './prepare-durability.js'
import { checkText, readClock } from './validate.js'
import type { InstanceRecord, LifecycleStore, QuarantineEntry, SweepJournal } from './types.js'

// The SQLite side of the durability tables (schema version 2): lease-holding instances, the sweep journal
// and quarantine, plus the JSON-free guid listing resumeAll pages through. Bound by `sqliteStore`.

/** The store methods this file adds. */
export type DurabilityMethods = Pick<
  LifecycleStore,
  | 'unfinishedGuids'
  | 'registerInstance'
  | 'instance'
  | 'removeInstance'
  | 'takeOver'
  | 'openSweep'
  | 'openSweeps'
  | 'closeSweep'
  | 'quarantine'
  | 'quarantined'
>

/** Prepares the statements and returns the methods, each run through the store's `run` wrapper. */
export function bindDurability(
  db: Database.Database,
  run: <T>(operation: () => T) => Promise<T>,
  clock: () => number,
  notFound: (memberGuid: string) => StoreError,
): DurabilityMethods {
  const stmt = {
    guids: db.prepare<[string, number], { memberGuid: string }>(
      `SELECT member_guid AS memberGuid FROM lifecycles WHERE status <> 'done' AND quarantined = 0
       AND member_guid > ? ORDER BY member_guid LIMIT ?`,
    ),
    upsertInstance: db.prepare<InstanceRecord>(
      `INSERT INTO instances (id, owner, host, pid, started_at) VALUES (@id, @owner, @host, @pid, @startedAt)
       ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid,
         started_at = excluded.started_at`,
    ),
    instance: db.prepare<[string], InstanceRecord>(
      `SELECT id, owner, host, pid, started_at AS startedAt FROM instances WHERE id = ?`,
    ),
    removeInstance: db.prepare<[string]>(`DELETE FROM instances WHERE id = ?`),
    takeOver: db.prepare<{ memberGuid: string; from: string; to: string; until: number }>(
      `UPDATE lifecycles SET owner = @to, lease_until = @until WHERE member_guid = @memberGuid AND owner = @from`,
    ),
    exists: db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM lifecycles WHERE member_guid = ?`),
    insertSweep: db.prepare<[string, string, number]>(
      `INSERT INTO sweeps (id, holder, started_at, seq)
       VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sweeps)) ON CONFLICT (id) DO NOTHING`,
    ),
    insertSweepMember: db.prepare<[string, number, string, string]>(
      `INSERT INTO sweep_members (sweep_id, position, member_guid, user_id) VALUES (?, ?, ?, ?)`,
    ),
    sweeps: db.prepare<[], { id: string; holder: string; startedAt: number }>(
      `SELECT id, holder, started_at AS startedAt FROM sweeps ORDER BY started_at, seq`,
    ),
    sweepMembers: db.prepare<[string], { memberGuid: string; userId: string }>(
      `SELECT member_guid AS memberGuid, user_id AS userId FROM sweep_members WHERE sweep_id = ? ORDER BY position`,
    ),
    deleteSweepMembers: db.prepare<[string]>(`DELETE FROM sweep_members WHERE sweep_id = ?`),
    deleteSweep: db.prepare<[string]>(`DELETE FROM sweeps WHERE id = ?`),
    quarantine: db.prepare<[string]>(
      `UPDATE lifecycles SET quarantined = 1, owner = NULL, lease_until = NULL WHERE member_guid = ?`,
    ),
    upsertQuarantine: db.prepare<[string, string, number]>(
      `INSERT INTO quarantine (member_guid, reason, at) VALUES (?, ?, ?)
       ON CONFLICT (member_guid) DO UPDATE SET reason = excluded.reason, at = excluded.at`,
    ),
    quarantined: db.prepare<[], QuarantineEntry>(
      `SELECT member_guid AS memberGuid, reason, at FROM quarantine ORDER BY member_guid`,
    ),
  }

  const openSweepTx = db.transaction((sweep: SweepJournal) => {
    if (stmt.insertSweep.run(sweep.id, sweep.holder, sweep.startedAt).changes === 0) return
    sweep.members.forEach((m, i) => stmt.insertSweepMember.run(sweep.id, i, m.memberGuid, m.userId))
  })
  const closeSweepTx = db.transaction((id: string) => {
    stmt.deleteSweepMembers.run(id)
    stmt.deleteSweep.run(id)
  })
  const quarantineTx = db.transaction((memberGuid: string, reason: string, at: number) => {
    if (stmt.quarantine.run(memberGuid).changes === 0) throw notFound(memberGuid)
    stmt.upsertQuarantine.run(memberGuid, reason, at)
  })

  return {
    unfinishedGuids: (options) =>
      run(() => {
        const page = preparePage(options)
        return stmt.guids.all(page.after, page.limit).map((row) => row.memberGuid)
      }),
    registerInstance: (instance) => run(() => void stmt.upsertInstance.run(prepareInstance(instance))),
    instance: (id) => run(() => stmt.instance.get(checkText(id, 'id'))),
    removeInstance: (id) => run(() => void stmt.removeInstance.run(checkText(id, 'id'))),
    takeOver: (memberGuid, from, to, leaseMs, now) =>
      run(() => {
        const move = prepareTakeOver(memberGuid, from, to)
        const lease = prepareAcquire(move.memberGuid, move.to, leaseMs, now ?? readClock(clock))
        if (stmt.takeOver.run({ ...move, until: lease.until }).changes === 1) return true
        if (stmt.exists.get(move.memberGuid) === undefined) throw notFound(move.memberGuid)
        return false
      }),
    openSweep: (sweep) => run(() => openSweepTx.immediate(prepareSweep(sweep))),
    openSweeps: () =>
      run(() => stmt.sweeps.all().map((row) => ({ ...row, members: stmt.sweepMembers.all(row.id) }))),
    closeSweep: (id) => run(() => closeSweepTx.immediate(checkText(id, 'id'))),
    quarantine: (memberGuid, reason) =>
      run(() => {
        const entry = prepareQuarantine(memberGuid, reason)
        quarantineTx.immediate(entry.memberGuid, entry.reason, readClock(clock))
      }),
    quarantined: () => run(() => stmt.quarantined.all()),
  }
}
