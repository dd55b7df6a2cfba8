import type PgBoss from 'pg-boss'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNexusClient } from '../../src/client/index.js'
import { createReconnector, type Reconnector } from '../../src/reconnector/index.js'
import { postgresStore, type PostgresLifecycleStore } from '../../src/stores/postgres.js'
import { createBoss, pgBossEngine, startWorker, type Worker } from '../../src/worker/index.js'
import { PG_START_TIMEOUT_MS, useTestDatabase, withClient } from '../support/postgres.js'
import { seedDenied, simEnv } from '../support/sim-env.js'

// A host (the partner's application: pg-boss engine with no concurrency) and one worker in this process.
// The host starts members and answers prompts under the member's lease; the worker runs everything else.
// The user's password and MFA answer never reach PostgreSQL: not in a lifecycle row, its history, or any
// pg-boss job (queued, done or archived).

const db = useTestDatabase('host')
type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
let store: PostgresLifecycleStore
let boss: PgBoss
let host: Reconnector
let worker: Worker
const policy = { timeScale: 0.01, userResponseMs: 100 * 3_600_000 }

beforeAll(async () => {
  env = await simEnv({ seed: 5 })
  store = postgresStore(db())
  boss = createBoss(db())
  boss.on('error', () => undefined)
  const engine = pgBossEngine({ boss })
  host = createReconnector({
    client: createNexusClient(env.config),
    store,
    scheduler: engine.scheduler,
    owner: 'host',
    evictAfterMs: 0,
  })
  await boss.start()
  await engine.start()
  worker = await startWorker({
    url: db(),
    client: env.config,
    name: 'w-host-test',
    concurrency: 4,
    evictAfterMs: 50,
  })
}, PG_START_TIMEOUT_MS)
afterAll(async () => {
  await worker?.stop({ graceMs: 0 })
  await host?.close()
  await boss?.stop({ graceful: false, wait: true })
  await store?.close()
  await env?.close()
})

/** Every text PostgreSQL holds for this test: lifecycle rows, history, pg-boss jobs and archive. */
async function everything(): Promise<string> {
  return withClient(db(), async (client) => {
    const tables = ['mx_reconnect.lifecycles', 'mx_reconnect.history', 'pgboss.job', 'pgboss.archive']
    const parts: string[] = []
    for (const table of tables) {
      const { rows } = await client.query(`SELECT row_to_json(t)::text AS j FROM ${table} t`)
      parts.push(...rows.map((r: { j: string }) => r.j))
    }
    return parts.join('\n')
  })
}

describe('a host and a worker on PostgreSQL', () => {
  it('the worker parks the member on its user; the host answers; the worker finishes it; no secret stored', async () => {
    const userId = 'host-user'
    const memberGuid = seedDenied(env.sim, userId)
    await host.start({ userId, memberGuid, policy })
    const parked = await host.settled(memberGuid)
    expect(parked?.prompt?.type).toBe('credentials.required')
    // Parked: in no process's memory, one job (its deadline) queued.
    expect(worker.engine.running()).toEqual([])

    const fields = parked!.prompt!.type === 'credentials.required' ? parked!.prompt!.fields : []
    const given = await host.submitCredentials(
      { userId, memberGuid },
      fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'challenge' : 'mxuser' })),
    )
    expect(given.accepted).toBe(true)
    const mfa = await host.settled(memberGuid)
    expect(mfa?.prompt?.type).toBe('mfa.required')
    const challenges = mfa!.prompt!.type === 'mfa.required' ? mfa!.prompt!.challenges : []
    const answer = 'correct'
    expect(
      (
        await host.submitMfa(
          { userId, memberGuid },
          challenges.map((c) => ({ guid: c.guid, value: answer })),
        )
      ).accepted,
    ).toBe(true)
    const done = await host.settled(memberGuid)
    expect(done?.outcome?.outcome).toBe('connected')

    // Who sent what: the host sent the update and the resume; the worker everything else.
    const log = env.sim.requests().filter((q) => q.memberGuid === memberGuid && q.api === 'nexus')
    const agentOf = (q: (typeof log)[number]) => q.headers?.['user-agent'] ?? ''
    const puts = log.filter((q) => q.method === 'PUT')
    expect(puts.length).toBe(2)
    for (const put of puts) expect(agentOf(put)).not.toContain('worker')
    expect(log.some((q) => agentOf(q).includes('(worker w-host-test)'))).toBe(true)

    // Nothing PostgreSQL holds carries a credential or an answer value; jobs name the member only.
    const stored = await everything()
    expect(stored).toContain(memberGuid)
    expect(stored).not.toMatch(/"value"\s*:\s*"(challenge|correct|mxuser)"/)
    const keys = await withClient(db(), async (client) => {
      const { rows } = await client.query<{ k: string }>(
        `SELECT DISTINCT jsonb_object_keys(data) AS k FROM pgboss.job WHERE name = 'mx-reconnect-wake'
         UNION SELECT DISTINCT jsonb_object_keys(data) FROM pgboss.archive WHERE name = 'mx-reconnect-wake'`,
      )
      return rows.map((r) => r.k)
    })
    expect(keys).toEqual(['memberGuid'])
  })
})
