import type PgBoss from 'pg-boss'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBoss } from '../../src/worker/index.js'
import { ensureWakeQueue, writeWakes } from '../../src/worker/jobs.js'
import { PG_START_TIMEOUT_MS, useTestDatabase } from '../support/postgres.js'
import { queuedJobs } from './support/jobs.js'

// The wake queue on a real PostgreSQL: one queued job per member, moved earlier, never later; a job holds
// the member guid and nothing else.

const db = useTestDatabase('engine')
let boss: PgBoss
const QUEUE = 'wake-test'

beforeAll(async () => {
  boss = createBoss(db())
  boss.on('error', () => undefined)
  await boss.start()
  await ensureWakeQueue(boss, QUEUE)
  await ensureWakeQueue(boss, QUEUE) // a second process finds it there
}, PG_START_TIMEOUT_MS)
afterAll(async () => {
  await boss.stop({ graceful: false, wait: true })
})

describe('wake jobs', () => {
  it('keep one queued job per member, at the earliest time asked', async () => {
    await writeWakes(boss, QUEUE, 'pgboss', [{ memberGuid: 'MBR-A', delayMs: 600_000 }])
    let times = await queuedJobs(db(), QUEUE, 'MBR-A')
    expect(times).toHaveLength(1)
    expect(times[0]).toBeGreaterThan(500)

    // Earlier: the one job moves.
    await writeWakes(boss, QUEUE, 'pgboss', [{ memberGuid: 'MBR-A', delayMs: 60_000 }])
    times = await queuedJobs(db(), QUEUE, 'MBR-A')
    expect(times).toHaveLength(1)
    expect(times[0]).toBeGreaterThan(30)
    expect(times[0]).toBeLessThan(61)

    // Later: it stays.
    await writeWakes(boss, QUEUE, 'pgboss', [{ memberGuid: 'MBR-A', delayMs: 3_600_000 }])
    times = await queuedJobs(db(), QUEUE, 'MBR-A')
    expect(times).toHaveLength(1)
    expect(times[0]).toBeLessThan(61)

    // A batch: several members, one asked twice (the earlier wins).
    await writeWakes(boss, QUEUE, 'pgboss', [
      { memberGuid: 'MBR-B', delayMs: 120_000 },
      { memberGuid: 'MBR-C', delayMs: 0 },
      { memberGuid: 'MBR-B', delayMs: 90_000 },
    ])
    const b = await queuedJobs(db(), QUEUE, 'MBR-B')
    expect(b).toHaveLength(1)
    expect(b[0]).toBeLessThan(91)
    expect(b[0]).toBeGreaterThan(60)
    const jobs = await boss.fetch<{ memberGuid: string }>(QUEUE, { batchSize: 10 })
    expect(jobs.map((j) => j.data)).toEqual([{ memberGuid: 'MBR-C' }])

    // While a member's job runs, a new one may be queued behind it.
    await writeWakes(boss, QUEUE, 'pgboss', [{ memberGuid: 'MBR-C', delayMs: 5_000 }])
    expect(await queuedJobs(db(), QUEUE, 'MBR-C')).toHaveLength(1)
    await boss.complete(QUEUE, jobs[0]!.id)
  })
})
