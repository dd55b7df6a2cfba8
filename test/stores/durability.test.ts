import Database from 'better-sqlite3'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sqliteStore, StoreError } from '../../src/stores/index.js'
import type { LifecycleStore } from '../../src/stores/index.js'
import { change, newRecord, rejection, storeKinds, testClock, useTempDir } from './harness.js'

// The durability part of the LifecycleStore contract (instances, sweep journal, quarantine, guid paging),
// run against every store like contract.test.ts.

const dir = useTempDir()

describe.each(storeKinds(dir))('$name store: durability contract', (kind) => {
  function setup(): { store: LifecycleStore; clock: ReturnType<typeof testClock> } {
    const clock = testClock()
    return { store: kind.open({ clock: clock.read }), clock }
  }

  it('registers, reads, refreshes and removes instances', async () => {
    const { store } = setup()
    const instance = { id: 'nightly/1', owner: 'nightly', host: 'h1', pid: 42, startedAt: 5 }
    expect(await store.instance('nightly/1')).toBeUndefined()
    await store.registerInstance(instance)
    expect(await store.instance('nightly/1')).toEqual(instance)
    await store.registerInstance({ ...instance, pid: 43 })
    expect((await store.instance('nightly/1'))?.pid).toBe(43)
    await store.removeInstance('nightly/1')
    expect(await store.instance('nightly/1')).toBeUndefined()
    await store.removeInstance('nightly/1')
    const bad = await rejection(store.registerInstance({ ...instance, pid: -1 }))
    expect(bad).toMatchObject({ _tag: 'StoreError', reason: 'invalid', field: 'instance.pid' })
  })

  it('takeOver moves a live lease only from the named holder', async () => {
    const { store, clock } = setup()
    await store.create(newRecord('MBR-1'))
    expect(await store.acquire('MBR-1', 'a/1', 60_000)).toBe(true)
    expect(await store.acquire('MBR-1', 'a/2', 60_000)).toBe(false)
    expect(await store.takeOver('MBR-1', 'someone-else', 'a/2', 60_000)).toBe(false)
    expect(await store.takeOver('MBR-1', 'a/1', 'a/2', 1_000)).toBe(true)
    const record = await store.get('MBR-1')
    expect(record).toMatchObject({ owner: 'a/2', leaseUntil: clock.now + 1_000, version: 1 })
    expect(await store.acquire('MBR-1', 'a/1', 60_000)).toBe(false)
    expect(await rejection(store.takeOver('MBR-none', 'a/1', 'a/2', 10))).toMatchObject({
      reason: 'notFound',
    })
  })

  it('save with expectedOwner writes only for the current lease holder', async () => {
    const { store } = setup()
    const { record } = await store.create(newRecord('MBR-1'))
    // No lease: nobody is the holder.
    const refused = await rejection(store.save('MBR-1', change(record, { expectedOwner: 'a/1', state: 'x' })))
    expect(refused).toMatchObject({ reason: 'conflict', field: 'owner', memberGuid: 'MBR-1' })
    await store.acquire('MBR-1', 'a/1', 60_000)
    expect(await store.save('MBR-1', change(record, { expectedOwner: 'a/1', state: 'x' }))).toEqual({
      version: 2,
    })
    const saved = (await store.get('MBR-1'))!
    expect(saved).toMatchObject({ version: 2, state: 'x', owner: 'a/1' })
    await store.takeOver('MBR-1', 'a/1', 'b/1', 60_000)
    const stale = await rejection(store.save('MBR-1', change(saved, { expectedOwner: 'a/1', state: 'y' })))
    expect(stale).toMatchObject({ reason: 'conflict', field: 'owner' })
    // A stale version is a version conflict, whoever holds the lease.
    const old = await rejection(store.save('MBR-1', change(record, { expectedOwner: 'b/1' })))
    expect(old).toMatchObject({ reason: 'conflict', expectedVersion: 1, actualVersion: 2 })
    expect((await store.get('MBR-1'))?.state).toBe('x')
    expect(await rejection(store.save('MBR-1', change(saved, { expectedOwner: '' })))).toMatchObject({
      reason: 'invalid',
      field: 'update.expectedOwner',
    })
  })

  it('journals sweeps with their members in order, lists open ones oldest first, and closes them', async () => {
    const { store } = setup()
    const members = [
      { userId: 'u-2', memberGuid: 'MBR-b' },
      { userId: 'u-1', memberGuid: 'MBR-a' },
    ]
    await store.openSweep({ id: 's-2', holder: 'h/1', startedAt: 20, members })
    await store.openSweep({ id: 's-1', holder: 'h/1', startedAt: 10, members: [members[1]!] })
    // Idempotent on the id: the first journal stays.
    await store.openSweep({ id: 's-1', holder: 'h/9', startedAt: 99, members: [] })
    expect(await store.openSweeps()).toEqual([
      { id: 's-1', holder: 'h/1', startedAt: 10, members: [members[1]] },
      { id: 's-2', holder: 'h/1', startedAt: 20, members },
    ])
    await store.closeSweep('s-1')
    await store.closeSweep('s-unknown')
    expect((await store.openSweeps()).map((s) => s.id)).toEqual(['s-2'])
    const twice = await rejection(
      store.openSweep({ id: 's-3', holder: 'h', startedAt: 1, members: [members[0]!, members[0]!] }),
    )
    expect(twice).toMatchObject({ reason: 'invalid', field: 'sweep.members[1].memberGuid' })
    expect((await store.openSweeps()).map((s) => s.id)).toEqual(['s-2'])
  })

  it('quarantine sets a row aside: skipped by unfinished, unfinishedGuids, due and nextWake', async () => {
    const { store, clock } = setup()
    for (const guid of ['MBR-1', 'MBR-2', 'MBR-3'])
      await store.create(newRecord(guid, { status: 'waiting', wakeAt: 10 }))
    expect(await store.unfinishedGuids()).toEqual(['MBR-1', 'MBR-2', 'MBR-3'])
    await store.acquire('MBR-2', 'x/1', 50)
    await store.quarantine('MBR-2', 'snapshot\u0000 is not an object')
    expect(await store.quarantined()).toEqual([
      { memberGuid: 'MBR-2', reason: 'snapshot  is not an object', at: clock.now },
    ])
    expect(await store.unfinishedGuids()).toEqual(['MBR-1', 'MBR-3'])
    expect(await store.unfinishedGuids({ after: 'MBR-1', limit: 1 })).toEqual(['MBR-3'])
    expect((await store.unfinished()).map((r) => r.memberGuid)).toEqual(['MBR-1', 'MBR-3'])
    expect((await store.due(clock.now, 10)).map((r) => r.memberGuid)).toEqual(['MBR-1', 'MBR-3'])
    // The lease went with the quarantine.
    expect(await store.get('MBR-2')).toMatchObject({ owner: null, leaseUntil: null })
    await store.save('MBR-1', change((await store.get('MBR-1'))!, { status: 'done', wakeAt: null }))
    await store.save('MBR-3', change((await store.get('MBR-3'))!, { status: 'done', wakeAt: null }))
    expect(await store.nextWake()).toBeNull()
    expect(await rejection(store.quarantine('MBR-none', 'x'))).toMatchObject({ reason: 'notFound' })
    expect(await rejection(store.quarantine('MBR-1', ''))).toMatchObject({ reason: 'invalid' })
  })

  it('refuses every new method after close', async () => {
    const { store } = setup()
    await store.close()
    for (const op of [
      store.unfinishedGuids(),
      store.instance('x'),
      store.openSweeps(),
      store.quarantined(),
      store.closeSweep('x'),
    ])
      expect(await rejection(op)).toMatchObject({ _tag: 'StoreError', reason: 'closed' })
  })
})

describe('sqlite: unreadable rows', () => {
  it('a row with invalid JSON is a corrupt error naming its member, not a raw SyntaxError', async () => {
    const path = join(dir, 'corrupt.db')
    const store = sqliteStore(path)
    await store.create(newRecord('MBR-ok'))
    await store.create(newRecord('MBR-bad'))
    const db = new Database(path)
    db.prepare(`UPDATE lifecycles SET snapshot = '{"broken' WHERE member_guid = 'MBR-bad'`).run()
    db.close()
    const error = await rejection(store.get('MBR-bad'))
    expect(error).toBeInstanceOf(StoreError)
    expect(error).toMatchObject({ reason: 'corrupt', memberGuid: 'MBR-bad', field: 'snapshot' })
    expect(await store.unfinishedGuids()).toEqual(['MBR-bad', 'MBR-ok'])
    await store.quarantine('MBR-bad', 'unreadable')
    expect(await store.unfinishedGuids()).toEqual(['MBR-ok'])
    expect((await store.unfinished()).map((r) => r.memberGuid)).toEqual(['MBR-ok'])
    await store.close()
  })

  it('migrates a version 1 file to version 2, keeping its rows', async () => {
    const path = join(dir, 'v1.db')
    const db = new Database(path)
    db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE lifecycles (member_guid TEXT PRIMARY KEY, user_id TEXT NOT NULL, state TEXT NOT NULL,
        status TEXT NOT NULL, wake_at INTEGER, snapshot TEXT NOT NULL, outcome TEXT, owner TEXT,
        lease_until INTEGER, version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX lifecycles_unfinished ON lifecycles (member_guid) WHERE status <> 'done';
      CREATE INDEX lifecycles_due ON lifecycles (wake_at, member_guid) WHERE status <> 'done' AND wake_at IS NOT NULL;
      CREATE TABLE history (member_guid TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, type TEXT NOT NULL,
        data TEXT NOT NULL, PRIMARY KEY (member_guid, seq)) WITHOUT ROWID;
      INSERT INTO meta VALUES ('app', 'mx-reconnect'), ('schema_version', '1');
      INSERT INTO lifecycles VALUES ('MBR-1', 'u-1', 'queued', 'running', NULL, '{}', NULL, NULL, NULL, 1, 1, 1, 0);`)
    db.close()
    const store = sqliteStore(path)
    expect(store.schemaVersion).toBe(2)
    expect(await store.unfinishedGuids()).toEqual(['MBR-1'])
    expect((await store.get('MBR-1'))?.userId).toBe('u-1')
    await store.close()
  })
})
