import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReconnector } from '../../src/reconnector/index.js'
import type { ReconnectorOptions } from '../../src/reconnector/index.js'
import { postgresStore } from '../../src/stores/index.js'
import type { LifecycleStore, PostgresLifecycleStore } from '../../src/stores/index.js'
import { TIME_SCALE, seedDenied, simEnv } from '../support/sim-env.js'
import { useTestDatabase, withClient } from '../support/postgres.js'

// The in-process reconnector over postgresStore (issue 16): the same lifecycles as over SQLite, against the
// real simulator over HTTP and the run's real PostgreSQL. Two stores on one schema stand for two processes.

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
const database = useTestDatabase('pg_reconnector')
let schemas = 0

beforeAll(async () => {
  env = await simEnv({ seed: 16 })
})
afterAll(async () => {
  await env.close()
})

const answerGood: NonNullable<ReconnectorOptions['credentials']> = (p) =>
  Promise.resolve(p.fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'good' : 'mxuser' })))

function make(store: LifecycleStore, owner: string) {
  return createReconnector({
    client: env.client,
    store,
    owner,
    policy: { timeScale: TIME_SCALE },
    credentials: answerGood,
  })
}

function seed(prefix: string, n: number) {
  return Array.from({ length: n }, (_, i) => {
    const userId = `${prefix}-${i % 2}`
    return { userId, memberGuid: seedDenied(env.sim, userId) }
  })
}

const puts = (memberGuid: string) =>
  env.sim.requests().filter((q) => q.memberGuid === memberGuid && q.method === 'PUT').length

describe('createReconnector over postgresStore', () => {
  it('two processes on one schema: one drives each member, both see its outcome, one credential update each', async () => {
    const schema = `rec_${++schemas}`
    const [sa, sb] = [postgresStore(database(), { schema }), postgresStore(database(), { schema })]
    const [a, b] = [make(sa, 'proc-a'), make(sb, 'proc-b')]
    const members = seed('pg-two', 4)
    const [reportA, reportB] = await Promise.all([a.sweep({ members }), b.sweep({ members })])
    for (const report of [reportA, reportB]) expect(report.members).toHaveLength(members.length)
    for (const m of members) {
      const [fromA, fromB] = await Promise.all([a.settled(m.memberGuid), b.settled(m.memberGuid)])
      expect(fromA?.outcome?.outcome, m.memberGuid).toBe('connected')
      expect(fromB?.outcome?.outcome, m.memberGuid).toBe('connected')
      expect(puts(m.memberGuid), m.memberGuid).toBe(1)
    }
    expect(await sa.counts()).toEqual({ running: 0, waiting: 0, done: members.length })
    await Promise.all([a.close(), b.close()])
    await Promise.all([sa.close(), sb.close()])
  })

  it('unreadable rows are quarantined and reported by resumeAll, as over SQLite; the others finish', async () => {
    const schema = `rec_${++schemas}`
    const store: PostgresLifecycleStore = postgresStore(database(), { schema })
    const members = seed('pg-corrupt', 4)
    // As a crashed sweep leaves them: queued, running, no lease.
    for (const m of members)
      await store.create({ ...m, state: 'queued', status: 'running', wakeAt: null, snapshot: { queued: m } })
    await withClient(database(), async (client) => {
      const set = `UPDATE ${schema}.lifecycles SET snapshot = $1 WHERE member_guid = $2`
      await client.query(set, ['{"queued": {"userId"', members[0]!.memberGuid])
      await client.query(set, [
        '{"status":"active","value":"loadingMember","context":5}',
        members[1]!.memberGuid,
      ])
    })
    const r = make(store, 'resumer')
    const report = await r.resumeAll()
    const bad = [members[0]!.memberGuid, members[1]!.memberGuid].sort()
    expect(report.quarantined.map((q) => q.memberGuid).sort()).toEqual(bad)
    expect(report.counts).toEqual({ connected: 2 })
    expect((await store.quarantined()).map((q) => q.memberGuid).sort()).toEqual(bad)
    expect((await r.resumeAll()).members).toEqual([])
    await r.close()
    await store.close()
  })
})
