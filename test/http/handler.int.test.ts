import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReconnectHandler, type ReconnectHandler } from '../../src/http/index.js'
import { createReconnector, type Reconnector } from '../../src/reconnector/index.js'
import { sqliteStore, type SqliteLifecycleStore } from '../../src/stores/index.js'
import { CHALLENGE_TTL_MS, scaledEnv, seedDenied, type ScaledEnv } from '../support/sim-env.js'
import { call, listen, resolveUser, until } from './support.js'

// The routes one by one: status codes, error bodies naming the field, mounting, webhook checks.

let dir: string
let env: ScaledEnv
let store: SqliteLifecycleStore
let reconnector: Reconnector
let handler: ReconnectHandler
let base: string
let closeServer: () => Promise<void>
const errors: unknown[] = []
const fellThrough: string[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mx-http-'))
  env = await scaledEnv({ profile: 'clean' })
  store = sqliteStore(join(dir, 'routes.db'))
  reconnector = createReconnector({
    client: env.client,
    store,
    clock: env.clock,
    // The clock is the simulator's scaled clock already: the policy stays in simulated time (no timeScale).
    policy: { userResponseMs: CHALLENGE_TTL_MS },
  })
  handler = createReconnectHandler({
    reconnector,
    resolveUser,
    basePath: '/partner/mx',
    maxBodyBytes: 4096,
    webhook: { basicAuth: { username: 'mx', password: 'hook-pass' } },
    onError: (error) => errors.push(error),
  })
  const server = await listen((req, res) =>
    handler(req, res, () => {
      fellThrough.push(req.url ?? '')
      res.writeHead(418)
      res.end()
    }),
  )
  base = `${server.url}/partner/mx`
  closeServer = server.close
})

afterAll(async () => {
  await handler?.drain()
  await closeServer?.()
  await reconnector?.close()
  await store?.close()
  await env?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Alice's member, started and waiting on her credentials. */
async function parkedMember(userId = 'alice', token = 'tok-alice') {
  const memberGuid = seedDenied(env.sim, userId)
  expect((await call(base, 'POST', '/reconnections', { token, body: { memberGuid } })).status).toBe(200)
  const view = await until(
    () => call(base, 'GET', `/reconnections/${memberGuid}`, { token }),
    (r) => r.json?.prompt?.type === 'credentials.required',
    'the credentials prompt',
  )
  return { memberGuid, fields: view.json?.prompt?.fields ?? [] }
}

describe('routes', () => {
  it('answers 401 without a user, before reading anything', async () => {
    for (const [method, path] of [
      ['POST', '/reconnections'],
      ['GET', '/reconnections/MBR-1'],
      ['POST', '/reconnections/MBR-1/credentials'],
      ['POST', '/reconnections/MBR-1/cancel'],
    ] as const) {
      const r = await call(base, method, path, method === 'POST' ? { body: {} } : {})
      expect(r.status).toBe(401)
      expect(r.json).toMatchObject({ error: 'unauthorized' })
    }
    expect((await call(base, 'GET', '/reconnections/MBR-1', { token: 'tok-nobody' })).status).toBe(401)
  })

  it('names the field of a bad body (400) and never quotes the value', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['/reconnections', {}, 'memberGuid'],
      ['/reconnections', { memberGuid: 5 }, 'memberGuid'],
      ['/reconnections', { memberGuid: 'a/b' }, 'memberGuid'],
      ['/reconnections/MBR-1/credentials', { credentials: 'hunter2-secret' }, 'credentials'],
      ['/reconnections/MBR-1/credentials', { credentials: [{ guid: 'CRD-1' }] }, 'credentials.0.value'],
      ['/reconnections/MBR-1/credentials', { credentials: [] }, 'credentials'],
      ['/reconnections/MBR-1/mfa', { answers: [{ guid: 'CH-1', value: 7 }] }, 'answers.0.value'],
      ['/reconnections/MBR-1/mfa', { credentials: [{ guid: 'CH-1', value: 'x' }] }, 'answers'],
      ['/reconnections', '{"memberGuid": "hunter2-secret"', '(body)'],
      ['/reconnections', '[1,2', '(body)'],
    ]
    for (const [path, body, field] of cases) {
      const r = await call(base, 'POST', path, { token: 'tok-alice', body })
      expect(r.status, path).toBe(400)
      expect(r.json?.field).toBe(field)
      expect(r.json?.error).toBe('invalid')
      expect(r.text).not.toContain('hunter2-secret')
    }
  })

  it('refuses a POST that is not JSON (415), a body over the limit (413) and a wrong method (405)', async () => {
    const form = await call(base, 'POST', '/reconnections', {
      token: 'tok-alice',
      headers: { 'content-type': 'text/plain' },
    })
    expect(form.status).toBe(415)
    const big = await call(base, 'POST', '/reconnections', {
      token: 'tok-alice',
      body: { memberGuid: 'MBR-1', padding: 'p'.repeat(10_000) },
    })
    expect(big.status).toBe(413)
    expect(big.json?.error).toBe('tooLarge')
    const put = await call(base, 'PUT', '/reconnections/MBR-1', { token: 'tok-alice' })
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('GET')
    expect((await call(base, 'GET', '/webhooks/mx')).status).toBe(405)
  })

  it('passes paths it does not serve to next(), and only under its base path', async () => {
    fellThrough.length = 0
    expect((await call(base, 'GET', '/other')).status).toBe(418)
    expect(
      (await call(base, 'GET', '/reconnections/MBR-1/credentials/more', { token: 'tok-alice' })).status,
    ).toBe(418)
    expect((await call(base.replace('/partner/mx', ''), 'GET', '/reconnections/MBR-1')).status).toBe(418)
    expect(fellThrough).toEqual([
      '/partner/mx/other',
      '/partner/mx/reconnections/MBR-1/credentials/more',
      '/reconnections/MBR-1',
    ])
  })

  it('without next(), a path it does not serve is a 404', async () => {
    const bare = createReconnectHandler({ reconnector, resolveUser })
    const server = await listen((req, res) => bare(req, res))
    try {
      const r = await call(server.url, 'GET', '/elsewhere')
      expect(r.status).toBe(404)
      expect(r.json?.error).toBe('notFound')
    } finally {
      await server.close()
    }
  })

  it("404 for an unknown member and for another user's member alike", async () => {
    const { memberGuid } = await parkedMember()
    const unknown = await call(base, 'GET', '/reconnections/MBR-nope', { token: 'tok-bob' })
    const other = await call(base, 'GET', `/reconnections/${memberGuid}`, { token: 'tok-bob' })
    expect(other.status).toBe(404)
    expect(other.text).toBe(unknown.text)
    for (const action of ['credentials', 'mfa', 'cancel']) {
      const body =
        action === 'cancel'
          ? {}
          : { [action === 'mfa' ? 'answers' : 'credentials']: [{ guid: 'G', value: 'v' }] }
      const r = await call(base, 'POST', `/reconnections/${memberGuid}/${action}`, { token: 'tok-bob', body })
      expect(r.status, action).toBe(404)
      expect(r.text).toBe(unknown.text)
    }
    // Bob cannot start Alice's member either (today's bug: it returned her view and prompt).
    const start = await call(base, 'POST', '/reconnections', { token: 'tok-bob', body: { memberGuid } })
    expect(start.status).toBe(404)
    expect(start.text).toBe(unknown.text)
    // A guid no member can have is just as unknown.
    for (const guid of ['a%2Fb', 'x'.repeat(300), '%00'])
      expect((await call(base, 'GET', `/reconnections/${guid}`, { token: 'tok-bob' })).status).toBe(404)
    expect((await call(base, 'GET', '/reconnections/%E0%A4%A', { token: 'tok-bob' })).status).toBe(404)
    expect((await store.get(memberGuid))?.status).toBe('waiting')
  })

  it('409 with the current view for a submit in the wrong state; 400 naming the field for a refused answer', async () => {
    const { memberGuid, fields } = await parkedMember()
    const path = `/reconnections/${memberGuid}`
    const mfa = await call(base, 'POST', `${path}/mfa`, {
      token: 'tok-alice',
      body: { answers: [{ guid: 'CH-1', value: 'x' }] },
    })
    expect(mfa.status).toBe(409)
    expect(mfa.json?.view?.prompt?.type).toBe('credentials.required')
    const unknownGuid = await call(base, 'POST', `${path}/credentials`, {
      token: 'tok-alice',
      body: { credentials: [{ guid: 'CRD-unknown', value: 'secret-pw-1' }] },
    })
    expect(unknownGuid.status).toBe(400)
    expect(unknownGuid.json?.field).toBe('credentials')
    expect(unknownGuid.text).not.toContain('secret-pw-1')
    expect(fields.length).toBeGreaterThan(0)
    // Cancel: the view, cancelled; then a second cancel is a conflict.
    const cancelled = await call(base, 'POST', `${path}/cancel`, { token: 'tok-alice', body: {} })
    expect(cancelled.status).toBe(200)
    expect(cancelled.json?.outcome?.outcome).toBe('cancelled')
    const again = await call(base, 'POST', `${path}/cancel`, { token: 'tok-alice', body: {} })
    expect(again.status).toBe(409)
    expect(again.json?.view?.outcome?.outcome).toBe('cancelled')
  })

  it('webhooks: basic auth checked; a bad body is 400; a good one 204; duplicates and late ones harmless', async () => {
    const { memberGuid } = await parkedMember()
    const auth = { authorization: `Basic ${Buffer.from('mx:hook-pass').toString('base64')}` }
    const body = { type: 'CONNECTION_STATUS', member_guid: memberGuid, connection_status: 'CONNECTED' }
    const noAuth = await call(base, 'POST', '/webhooks/mx', { body })
    expect(noAuth.status).toBe(401)
    expect(noAuth.headers.get('www-authenticate')).toContain('Basic')
    const badPass = await call(base, 'POST', '/webhooks/mx', {
      body,
      headers: { authorization: `Basic ${Buffer.from('mx:wrong').toString('base64')}` },
    })
    expect(badPass.status).toBe(401)
    const bad = await call(base, 'POST', '/webhooks/mx', {
      body: { type: 'CONNECTION_STATUS' },
      headers: auth,
    })
    expect(bad.status).toBe(400)
    const before = await store.get(memberGuid)
    // A late CONNECTED (the member is still DENIED at MX) and the same again: the lifecycle reads the
    // member, finds it DENIED, and keeps waiting on its user.
    for (let i = 0; i < 2; i++)
      expect((await call(base, 'POST', '/webhooks/mx', { body, headers: auth })).status).toBe(204)
    await handler.drain()
    const view = await until(
      () => call(base, 'GET', `/reconnections/${memberGuid}`, { token: 'tok-alice' }),
      (r) => r.json?.status === 'waiting',
      'the member parked again',
    )
    expect(view.json?.prompt?.type).toBe('credentials.required')
    expect(env.sim.member(memberGuid).status).toBe('DENIED')
    expect(before?.status).toBe('waiting')
    expect(errors).toEqual([])
  })
})
