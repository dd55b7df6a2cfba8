import type PgBoss from 'pg-boss'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNexusClient } from '../../src/client/index.js'
import { createReconnectHandler, type ReconnectHandler } from '../../src/http/index.js'
import { createReconnector, type Reconnector } from '../../src/reconnector/index.js'
import { CORRECT_ANSWER } from '../../src/simulator/index.js'
import { postgresStore, type PostgresLifecycleStore } from '../../src/stores/postgres.js'
import { createBoss, pgBossEngine, startWorker, type Worker } from '../../src/worker/index.js'
import { call, listen, resolveUser, until } from '../http/support.js'
import { PG_START_TIMEOUT_MS, useTestDatabase } from '../support/postgres.js'
import { simEnv } from '../support/sim-env.js'

// Issue 16: "the embedding handlers work over it too". The partner's HTTP routes (createReconnectHandler)
// on a host whose reconnector runs on postgresStore with the pg-boss engine (no concurrency), and a worker
// running the lifecycles. Start → credentials → MFA → CONNECTED through the routes; the host applies the
// user's credentials and answer under the member's lease (decision 0013), the worker does the rest; the
// simulator's webhooks reach the host's route and are taken.

const db = useTestDatabase('http_workers')
type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
let store: PostgresLifecycleStore
let boss: PgBoss
let host: Reconnector
let worker: Worker
let handler: ReconnectHandler | undefined
let server: Awaited<ReturnType<typeof listen>>
const errors: unknown[] = []
let webhookUrl = ''

beforeAll(async () => {
  // The simulator posts its webhooks to the handler's route (set once the server listens).
  const hooks = await listen((req, res) => {
    if (handler === undefined) return void res.writeHead(503).end()
    handler(req, res)
  })
  server = hooks
  webhookUrl = `${hooks.url}/webhooks/mx`
  env = await simEnv({ seed: 14, profile: 'clean', webhookUrl })
  store = postgresStore(db())
  boss = createBoss(db())
  boss.on('error', () => undefined)
  const engine = pgBossEngine({ boss })
  host = createReconnector({
    client: createNexusClient({ ...env.config, userAgent: 'mx-reconnect/0.1 (http host)' }),
    store,
    scheduler: engine.scheduler,
    owner: 'http-host',
    evictAfterMs: 0,
    policy: { timeScale: 0.01, userResponseMs: 100 * 3_600_000 },
  })
  await boss.start()
  await engine.start()
  handler = createReconnectHandler({ reconnector: host, resolveUser, onError: (e) => errors.push(e) })
  worker = await startWorker({
    url: db(),
    client: env.config,
    name: 'w-http',
    concurrency: 4,
    evictAfterMs: 50,
  })
}, PG_START_TIMEOUT_MS)

afterAll(async () => {
  await worker?.stop({ graceMs: 0 })
  await handler?.drain()
  await server?.close()
  await host?.close()
  await boss?.stop({ graceful: false, wait: true })
  await store?.close()
  await env?.close()
})

describe('createReconnectHandler on a PostgreSQL host with a worker', () => {
  it('start → credentials → MFA → CONNECTED through the routes; webhooks are taken', async () => {
    const memberGuid = env.sim.createMember({
      userId: 'alice',
      institutionCode: 'mxbank',
      username: 'mxuser',
      password: 'old',
      status: 'DENIED',
    })
    const base = server.url
    const path = `/reconnections/${memberGuid}`
    const started = await call(base, 'POST', '/reconnections', { token: 'tok-alice', body: { memberGuid } })
    expect(started.status, started.text).toBe(200)
    expect(started.json).toMatchObject({ memberGuid, userId: 'alice' })

    // The worker reads the member and parks it on the user; the route shows the stored prompt.
    const asked = await until(
      () => call(base, 'GET', path, { token: 'tok-alice' }),
      (r) => r.json?.prompt?.type === 'credentials.required' && r.json?.status === 'waiting',
      'the credentials prompt',
      60_000,
    )
    expect((await call(base, 'GET', path, { token: 'tok-bob' })).status).toBe(404)
    const credentials = (asked.json?.prompt?.fields ?? []).map((f) => ({
      guid: f.guid,
      value: f.type === 'PASSWORD' ? 'challenge' : 'mxuser',
    }))
    expect(credentials.length).toBeGreaterThan(0)
    const sent = await call(base, 'POST', `${path}/credentials`, {
      token: 'tok-alice',
      body: { credentials },
    })
    expect(sent.status, sent.text).toBe(202)

    const challenged = await until(
      () => call(base, 'GET', path, { token: 'tok-alice' }),
      (r) => r.json?.prompt?.type === 'mfa.required' && r.json?.status === 'waiting',
      'the MFA prompt',
      60_000,
    )
    const answers = (challenged.json?.prompt?.challenges ?? []).map((c) => ({
      guid: c.guid,
      value: CORRECT_ANSWER,
    }))
    expect(answers.length).toBeGreaterThan(0)
    const answered = await call(base, 'POST', `${path}/mfa`, { token: 'tok-alice', body: { answers } })
    expect(answered.status, answered.text).toBe(202)

    const done = await until(
      () => call(base, 'GET', path, { token: 'tok-alice' }),
      (r) => r.json?.status === 'done',
      'the outcome',
      60_000,
    )
    expect(done.json?.outcome?.outcome, JSON.stringify(done.json)).toBe('connected')
    expect(env.sim.member(memberGuid).status).toBe('CONNECTED')

    // The host sent what the user gave (update, resume); the worker everything else.
    const log = env.sim.requests().filter((q) => q.memberGuid === memberGuid && q.api === 'nexus')
    const agent = (q: (typeof log)[number]) => q.headers?.['user-agent'] ?? ''
    const puts = log.filter((q) => q.method === 'PUT')
    expect(puts.map((q) => q.path).sort()).toEqual(
      [`/members/${memberGuid}`, `/members/${memberGuid}/resume`].sort(),
    )
    for (const put of puts) expect(agent(put)).toBe('mx-reconnect/0.1 (http host)')
    expect(log.some((q) => agent(q) === 'mx-reconnect/0.1 (worker w-http)')).toBe(true)

    // The simulator's webhooks for the member reached the route and were taken.
    await env.sim.webhooks.flush()
    await handler!.drain()
    const deliveries = env.sim.webhooks.deliveries().filter((d) => d.payload.member_guid === memberGuid)
    expect(deliveries.length).toBeGreaterThan(0)
    expect(deliveries.every((d) => d.outcome === 'delivered' && d.status === 204)).toBe(true)
    expect(errors).toEqual([])

    // One lifecycle, one outcome, two submissions, in PostgreSQL.
    const history = await store.history(memberGuid)
    expect(history.filter((h) => h.type === 'outcome')).toHaveLength(1)
    expect(history.filter((h) => h.type === 'submitted')).toHaveLength(2)
  }, 180_000)
})
