import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReconnectHandler, type ReconnectHandler } from '../../src/http/index.js'
import { createReconnector, type Reconnector } from '../../src/reconnector/index.js'
import { CORRECT_ANSWER } from '../../src/simulator/index.js'
import { sqliteStore, type LifecycleStore } from '../../src/stores/index.js'
import { CHALLENGE_TTL_MS, scaledEnv, type ScaledEnv } from '../support/sim-env.js'
import { call, listen, resolveUser, until } from './support.js'

// Issue 14, done when: two instances of the handlers (two reconnectors, as two processes would be) over
// ONE SQLite file behind a load balancer; the start lands on A, the credentials on B, the MFA answer on A
// again, the member ends CONNECTED, and the simulator's webhooks reach either instance.

const SECRET = 'hook-secret-7f3a'

interface Instance {
  readonly name: string
  readonly store: LifecycleStore
  readonly reconnector: Reconnector
  readonly handler: ReconnectHandler
  readonly url: string
  readonly close: () => Promise<void>
  readonly hooks: number[]
  readonly errors: unknown[]
}

let dir: string
let env: ScaledEnv
let balancer: Awaited<ReturnType<typeof listen>>
const instances: Instance[] = []

async function instance(name: string, file: string): Promise<Instance> {
  const store = sqliteStore(file)
  const reconnector = createReconnector({
    client: env.clientWith({}),
    store,
    clock: env.clock,
    owner: name,
    // The clock is the simulator's scaled clock already: the policy stays in simulated time (no timeScale).
    policy: { userResponseMs: CHALLENGE_TTL_MS },
  })
  const errors: unknown[] = []
  const hooks: number[] = []
  const handler = createReconnectHandler({
    reconnector,
    resolveUser,
    webhook: { secret: SECRET },
    onError: (error) => errors.push(error),
  })
  const server = await listen((req, res) => {
    if (req.url === '/webhooks/mx') hooks.push(Date.now())
    handler(req, res)
  })
  return {
    name,
    store,
    reconnector,
    handler,
    url: server.url,
    hooks,
    errors,
    close: async () => {
      await handler.drain()
      await server.close()
      await reconnector.close()
      await store.close()
    },
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mx-http-two-'))
  // The load balancer MX's webhooks go to: round robin over the instances, adding the shared secret as a
  // gateway would (the simulator posts plain JSON).
  let turn = 0
  balancer = await listen((req, res) => {
    const target = instances[turn++ % instances.length]!
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      fetch(target.url + (req.url ?? '/'), {
        method: req.method ?? 'POST',
        headers: { 'content-type': 'application/json', 'x-mx-webhook-secret': SECRET },
        body: Buffer.concat(chunks),
      }).then(
        async (answer) => {
          res.writeHead(answer.status)
          res.end(await answer.text())
        },
        () => {
          res.writeHead(502)
          res.end()
        },
      )
    })
  })
  env = await scaledEnv({
    profile: 'clean',
    webhookUrl: `${balancer.url}/webhooks/mx`,
    // MX delivers some webhooks twice and some out of order: both must be harmless.
    webhooks: { duplicate: 0.5, reorder: 0.5 },
  })
  const file = join(dir, 'shared.db')
  instances.push(await instance('A', file), await instance('B', file))
})

afterAll(async () => {
  for (const i of instances) await i.close()
  await balancer?.close()
  await env?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('two instances over one SQLite store', () => {
  it('start on A, credentials on B, MFA on A: the member ends CONNECTED; webhooks reach both', async () => {
    const [a, b] = instances as [Instance, Instance]
    const memberGuid = env.sim.createMember({
      userId: 'alice',
      institutionCode: 'mxbank',
      username: 'mxuser',
      password: 'old',
      status: 'DENIED',
    })
    const path = `/reconnections/${memberGuid}`
    const started = await call(a.url, 'POST', '/reconnections', { token: 'tok-alice', body: { memberGuid } })
    expect(started.status).toBe(200)
    expect(started.json).toMatchObject({ memberGuid, userId: 'alice' })

    // B sees what A stored: the credentials prompt.
    const asked = await until(
      () => call(b.url, 'GET', path, { token: 'tok-alice' }),
      (r) => r.json?.prompt?.type === 'credentials.required' && r.json?.status === 'waiting',
      'the credentials prompt on B',
    )
    const fields = asked.json?.prompt?.fields ?? []
    expect(fields.length).toBeGreaterThan(0)
    // Bob is signed in and knows the guid: the member does not exist for him.
    expect((await call(b.url, 'GET', path, { token: 'tok-bob' })).status).toBe(404)

    const credentials = fields.map((f) => ({
      guid: f.guid,
      value: f.type === 'PASSWORD' ? 'challenge' : 'mxuser',
    }))
    const sent = await call(b.url, 'POST', `${path}/credentials`, {
      token: 'tok-alice',
      body: { credentials },
    })
    expect(sent.status).toBe(202)

    const challenged = await until(
      () => call(a.url, 'GET', path, { token: 'tok-alice' }),
      (r) => r.json?.prompt?.type === 'mfa.required' && r.json?.status === 'waiting',
      'the MFA prompt on A',
    )
    const challenges = challenged.json?.prompt?.challenges ?? []
    expect(challenges.length).toBeGreaterThan(0)
    // The answer is taken on A; a second one for the same round is a conflict, not a second send.
    const answers = challenges.map((c) => ({ guid: c.guid, value: CORRECT_ANSWER }))
    const answered = await call(a.url, 'POST', `${path}/mfa`, { token: 'tok-alice', body: { answers } })
    expect(answered.status).toBe(202)

    const done = await until(
      () => call(b.url, 'GET', path, { token: 'tok-alice' }),
      (r) => r.json?.status === 'done',
      'the outcome on B',
    )
    expect(done.json?.outcome?.outcome, JSON.stringify(done.json)).toBe('connected')
    expect(env.sim.member(memberGuid).status).toBe('CONNECTED')
    const again = await call(a.url, 'POST', `${path}/mfa`, { token: 'tok-alice', body: { answers } })
    expect(again.status).toBe(409)
    expect(again.json?.view?.status).toBe('done')

    // MX's webhooks went through the balancer to both instances and were taken (204), duplicates too.
    await env.sim.webhooks.flush()
    for (const i of instances) await i.handler.drain()
    const deliveries = env.sim.webhooks.deliveries().filter((d) => d.payload.member_guid === memberGuid)
    expect(deliveries.length).toBeGreaterThanOrEqual(2)
    expect(deliveries.every((d) => d.outcome === 'delivered' && d.status === 204)).toBe(true)
    expect(a.hooks.length).toBeGreaterThan(0)
    expect(b.hooks.length).toBeGreaterThan(0)
    expect([...a.errors, ...b.errors]).toEqual([])

    // One lifecycle, one outcome, in the one file both instances share.
    const history = await a.store.history(memberGuid)
    expect(history.filter((h) => h.type === 'outcome')).toHaveLength(1)
    expect(history.filter((h) => h.type === 'submitted')).toHaveLength(2)
    expect((await b.store.get(memberGuid))?.status).toBe('done')
  })

  it('a webhook without the shared secret is refused and changes nothing', async () => {
    const [a] = instances as [Instance]
    const body = { type: 'CONNECTION_STATUS', member_guid: 'MBR-x', connection_status: 'CONNECTED' }
    const refused = await call(a.url, 'POST', '/webhooks/mx', { body })
    expect(refused.status).toBe(401)
    const wrong = await call(a.url, 'POST', '/webhooks/mx', {
      body,
      headers: { 'x-mx-webhook-secret': `${SECRET}x` },
    })
    expect(wrong.status).toBe(401)
    expect(wrong.text).not.toContain(SECRET)
    const taken = await call(a.url, 'POST', '/webhooks/mx', {
      body,
      headers: { 'x-mx-webhook-secret': SECRET },
    })
    expect(taken.status).toBe(204)
    await a.handler.drain()
    expect(await a.store.get('MBR-x')).toBeUndefined()
  })
})
