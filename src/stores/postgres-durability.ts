import type pg from 'pg'
import type { StoreError } from './errors.js'
import { prepareAcquire, preparePage } from './prepare.js'
import { prepareInstance, prepareQuarantine, prepareSweep, prepareTakeOver } from './prepare-durability.js'
import type { PgTables } from './postgres-schema.js'
import { durabilitySql } from './postgres-sql.js'
import { checkText, readClock } from './validate.js'
import type { InstanceRecord, LifecycleStore, QuarantineEntry, SweepJournal } from './types.js'

// The PostgreSQL side of the durability tables: lease-holding instances, the sweep journal and
// quarantine, plus the JSON-free guid listing resumeAll pages through. Bound by `postgresStore`, the same
// methods as sqlite-durability.ts with the same meaning.

/** The store methods this file adds. */
export type PgDurabilityMethods = Pick<
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

/** Returns the methods, each run through the store's `run` wrapper (closed check, schema wait, io errors). */
export function bindPgDurability(
  pool: pg.Pool,
  tables: PgTables,
  run: <T>(operation: () => Promise<T>) => Promise<T>,
  clock: () => number,
  notFound: (memberGuid: string) => StoreError,
): PgDurabilityMethods {
  const sql = durabilitySql(tables)

  async function rows<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    return (await pool.query<R>(text, values)).rows
  }

  return {
    unfinishedGuids: (options) =>
      run(async () => {
        const page = preparePage(options)
        const found = await rows<{ memberGuid: string }>(sql.guids, [page.after, page.limit])
        return found.map((row) => row.memberGuid)
      }),

    registerInstance: (instance) =>
      run(async () => {
        const i = prepareInstance(instance)
        await pool.query(sql.upsertInstance, [i.id, i.owner, i.host, i.pid, i.startedAt])
      }),

    instance: (id) =>
      run(async () => {
        const [found] = await rows<InstanceRecord>(sql.instance, [checkText(id, 'id')])
        return found === undefined ? undefined : { ...found }
      }),

    removeInstance: (id) =>
      run(async () => {
        await pool.query(sql.removeInstance, [checkText(id, 'id')])
      }),

    takeOver: (memberGuid, from, to, leaseMs, now) =>
      run(async () => {
        const move = prepareTakeOver(memberGuid, from, to)
        const lease = prepareAcquire(move.memberGuid, move.to, leaseMs, now ?? readClock(clock))
        const result = await pool.query(sql.takeOver, [move.memberGuid, move.from, move.to, lease.until])
        if (result.rowCount === 1) return true
        if ((await rows(sql.exists, [move.memberGuid])).length === 0) throw notFound(move.memberGuid)
        return false
      }),

    openSweep: (sweep) =>
      run(async () => {
        const s = prepareSweep(sweep)
        await pool.query(sql.openSweep, [
          s.id,
          s.holder,
          s.startedAt,
          s.members.map((m) => m.memberGuid),
          s.members.map((m) => m.userId),
        ])
      }),

    openSweeps: () =>
      run(async () => {
        const sweeps = await rows<{ id: string; holder: string; startedAt: number }>(sql.sweeps, [])
        if (sweeps.length === 0) return []
        const members = await rows<{ sweepId: string; memberGuid: string; userId: string }>(
          sql.sweepMembers,
          [sweeps.map((s) => s.id)],
        )
        const bySweep = new Map<string, { userId: string; memberGuid: string }[]>()
        for (const m of members) {
          const list = bySweep.get(m.sweepId) ?? []
          list.push({ userId: m.userId, memberGuid: m.memberGuid })
          bySweep.set(m.sweepId, list)
        }
        return sweeps.map((s): SweepJournal => ({ ...s, members: bySweep.get(s.id) ?? [] }))
      }),

    closeSweep: (id) =>
      run(async () => {
        await pool.query(sql.closeSweep, [checkText(id, 'id')])
      }),

    quarantine: (memberGuid, reason) =>
      run(async () => {
        const entry = prepareQuarantine(memberGuid, reason)
        const result = await pool.query(sql.quarantine, [entry.memberGuid, entry.reason, readClock(clock)])
        if (result.rowCount === 0) throw notFound(entry.memberGuid)
      }),

    quarantined: () => run(async () => rows<QuarantineEntry>(sql.quarantined, [])),
  }
}
