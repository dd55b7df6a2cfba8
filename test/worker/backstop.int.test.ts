import type PgBoss from 'pg-boss'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOwnership } from '../../src/reconnector/ownership.js'
import { announceLeases, type Scheduler } from '../../src/reconnector/scheduler.js'
import { memoryStore } from '../../src/stores/index.js'
import type { LifecycleStore } from '../../src/stores/types.js'
import { createBoss, pgBossEngine } from '../../src/worker/index.js'
import { PG_START_TIMEOUT_MS, useTestDatabase, withClient } from '../support/postgres.js'
import { queuedJobs } from './support/jobs.js'

// Issue 16, "work of a worker that dies mid-step is retried elsewhere": every lease a worker takes has a
// wake-up job behind it at the lease's end, and that job is stored BEFORE the lease is (docs/scale-out.md,
// "Failure behaviour"). A worker killed between the two writes then leaves either a job and no lease (the
// job brings the member back at once when due) or both; never a lease with no job, which only pg-boss's
// 15-minute job expiry would recover.

const db = useTestDatabase('backstop')
let boss: PgBoss
const LEASE_MS = 60_000

beforeAll(async () => {
  boss = createBoss(db())
  boss.on('error', () => undefined)
  await boss.start()
}, PG_START_TIMEOUT_MS)
afterAll(async () => {
  await boss.stop({ graceful: false, wait: true })
})

/** A memory store that records, at each `acquire`, the member's queued jobs in PostgreSQL. */
function watchingStore(queue: string, seen: number[][]): LifecycleStore {
  const store = memoryStore()
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key !== 'acquire') return Reflect.get(target, key, receiver) as unknown
      return async (...args: Parameters<LifecycleStore['acquire']>) => {
        seen.push(await queuedJobs(db(), queue, args[0]))
        return target.acquire(...args)
      }
    },
  })
}

/** Stores a waiting member nobody holds. */
async function addWaiting(store: LifecycleStore, memberGuid: string): Promise<void> {
  const row = {
    memberGuid,
    userId: 'USR-1',
    state: 'waiting',
    status: 'waiting',
    wakeAt: null,
    snapshot: {},
  } as const
  await store.create(row, [])
}

interface Engine {
  readonly scheduler: Scheduler
  readonly engine: ReturnType<typeof pgBossEngine>
}

/** An engine over `b` with the scheduler it hands `createReconnector`, given a wake-up callback. */
async function engineOver(
  b: PgBoss,
  queue: string,
  onDue: (memberGuid: string) => Promise<void>,
  concurrency = 0,
  errors: unknown[] = [],
): Promise<Engine> {
  const engine = pgBossEngine({ boss: b, queue, concurrency, pollMs: 50, onError: (e) => errors.push(e) })
  const scheduler = engine.scheduler({
    clock: { now: () => Date.now(), sleep: () => Promise.resolve() },
    onDue,
    watchMs: 1_000,
    leaseMs: LEASE_MS,
    watched: () => false,
  })
  await engine.start()
  return { scheduler, engine }
}

describe('a lease and its backstop job', () => {
  it('the job at the lease’s end is stored before the lease is taken', async () => {
    const queue = 'backstop-order'
    const seen: number[][] = []
    const store = watchingStore(queue, seen)
    const { scheduler } = await engineOver(boss, queue, () => Promise.resolve())
    const ownership = announceLeases(
      createOwnership(store, { owner: 'w', leaseMs: LEASE_MS }),
      scheduler,
      LEASE_MS,
    )
    await addWaiting(store, 'MBR-1')

    const got = await ownership.acquire('MBR-1', Date.now())
    expect(got.held).toBe(true)
    // When the store took the lease, the member's job was already there, at the lease's end.
    expect(seen).toHaveLength(1)
    expect(seen[0]).toHaveLength(1)
    expect(seen[0]![0]).toBeGreaterThan(LEASE_MS / 1000 - 30)
    expect(seen[0]![0]).toBeLessThanOrEqual(LEASE_MS / 1000 + 1)
  })

  it('no lease is taken when its job cannot be stored', async () => {
    const queue = 'backstop-failing'
    const errors: unknown[] = []
    // pg-boss refusing the write (its database gone, say): the engine's writes reject.
    const failing = new Proxy(boss, {
      get(target, key, receiver) {
        if (key === 'insert') return () => Promise.reject(new Error('connection terminated'))
        return Reflect.get(target, key, receiver) as unknown
      },
    })
    const seen: number[][] = []
    const store = watchingStore(queue, seen)
    const { scheduler } = await engineOver(failing, queue, () => Promise.resolve(), 0, errors)
    const ownership = announceLeases(
      createOwnership(store, { owner: 'w', leaseMs: LEASE_MS }),
      scheduler,
      LEASE_MS,
    )
    await addWaiting(store, 'MBR-2')

    await expect(ownership.acquire('MBR-2', Date.now())).rejects.toThrow('connection terminated')
    expect(seen).toHaveLength(0)
    expect((await store.get('MBR-2'))?.owner).toBeNull()
    expect(errors.length).toBeGreaterThan(0)

    // The next attempt tries the write again (a failed write is not remembered as a job behind the lease).
    await expect(ownership.acquire('MBR-2', Date.now())).rejects.toThrow('connection terminated')
    expect(seen).toHaveLength(0)
  })

  it('a backstop moved earlier and run here is written again on the next lease', async () => {
    const queue = 'backstop-rerun'
    const store = memoryStore()
    await addWaiting(store, 'MBR-3')
    let ran!: () => void
    const dueRan = new Promise<void>((resolve) => (ran = resolve))
    const ref: { ownership?: ReturnType<typeof announceLeases> } = {}
    const { scheduler, engine } = await engineOver(
      boss,
      queue,
      async (memberGuid) => {
        // The wake-up runs the member again under its lease (a renewal of the lease this process holds).
        await ref.ownership!.acquire(memberGuid, Date.now())
        ran()
      },
      1,
    )
    const ownership = announceLeases(
      createOwnership(store, { owner: 'w', leaseMs: LEASE_MS }),
      scheduler,
      LEASE_MS,
    )
    ref.ownership = ownership
    expect((await ownership.acquire('MBR-3', Date.now())).held).toBe(true)
    expect(await queuedJobs(db(), queue, 'MBR-3')).toHaveLength(1)

    // A poll due now moves the member's one job (the backstop) earlier; it runs here.
    scheduler.at('MBR-3', Date.now())
    await dueRan
    await engine.idle()
    // The lease was renewed while that job ran: a job stands behind it again.
    const times = await queuedJobs(db(), queue, 'MBR-3')
    expect(times).toHaveLength(1)
    expect(times[0]).toBeGreaterThan(LEASE_MS / 1000 - 30)
    await engine.pause()
  })

  it('a job taken by a worker that dies before leasing its member expires after two leases, not 15 minutes', async () => {
    const queue = 'backstop-expiry'
    const { scheduler, engine } = await engineOver(boss, queue, () => Promise.resolve())
    scheduler.at('MBR-4', Date.now())
    await engine.flush()
    const expiry = await withClient(db(), async (client) => {
      const { rows } = await client.query<{ s: number }>(
        `SELECT EXTRACT(EPOCH FROM expire_in)::float8 AS s FROM pgboss.job WHERE name = $1 AND singleton_key = $2`,
        [queue, 'MBR-4'],
      )
      return rows.map((r) => r.s)
    })
    // The job a worker fetched and then died holding is failed by pg-boss's maintenance once this passes, and
    // retried by another worker (docs/scale-out.md, "Failure behaviour").
    expect(expiry).toEqual([(2 * LEASE_MS) / 1000])
  })
})
