import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { schemas } from '../../src/domain/index.js'
import { startSimulator, type MemberState, type Simulator } from '../../src/simulator/index.js'
import { SimClient } from './http-client.js'

// The request log (secrets redacted, flags kept) and the /_sim/ control routes.

let sim: Simulator
let client: SimClient

beforeAll(async () => {
  sim = await startSimulator({ seed: 21, timeScale: 0, control: true })
  client = new SimClient(sim)
})
afterAll(async () => {
  await client.close()
  await sim.close()
})

describe('request log', () => {
  it('never contains a secret, but keeps field names, guids and flags', async () => {
    const secretPassword = 'Pa55-secret-value'
    const secretAnswer = 'my-secret-answer'
    const userId = 'log-user'
    const guid = sim.createMember({ userId, status: 'DENIED', password: 'wrong' })
    const apiToken = await client.apiToken(userId)
    const opened = await client.call('POST', `${sim.nexusUrl}/sessions`, {
      headers: { 'MD-API-TOKEN': apiToken, 'MD-API-KEY': sim.apiKey },
      body: { session: { skip_aggregation: true } },
    })
    const session = schemas.session.parse(opened.json()).session.token
    const [login, pass] = await client.credentialGuids(session, guid)
    await client.nexus(
      session,
      'PUT',
      `/members/${guid}`,
      {
        member: {
          credentials: [
            { credential_guid: login, value: 'mxuser' },
            { credential_guid: pass, value: secretPassword },
          ],
          skip_aggregation: true,
          skip_webhook: true,
        },
      },
      { 'MX-Skip-Webhook': 'true' },
    )
    await client.update(session, guid, 'challenge')
    sim.advanceTime(4_000)
    const [challenge] = await client.challenges(session, guid)
    await client.nexus(session, 'PUT', `/members/${guid}/resume`, {
      challenges: [{ guid: challenge!.guid, value: secretAnswer }],
    })
    await client.nexus(session, 'GET', `/members/${guid}/aggregate`, undefined)
    const log = sim.requests()
    const text = JSON.stringify(log)
    for (const secret of [
      secretPassword,
      secretAnswer,
      apiToken,
      session,
      sim.apiKey,
      '"mxuser"',
      '"challenge"',
    ]) {
      expect(text).not.toContain(secret)
    }
    const put = log.find((e) => e.method === 'PUT' && e.path === `/members/${guid}`)!
    expect(put).toMatchObject({
      api: 'nexus',
      status: 200,
      memberGuid: guid,
      userGuid: sim.member(guid).userGuid,
      headers: { 'md-session-token': '[redacted]', 'mx-skip-webhook': 'true' },
      body: {
        member: {
          credentials: [
            { credential_guid: login, value: '[redacted]' },
            { credential_guid: pass, value: '[redacted]' },
          ],
          skip_aggregation: true,
          skip_webhook: true,
        },
      },
    })
    const resume = log.find((e) => e.path.endsWith('/resume'))!
    expect(resume.body).toEqual({ challenges: [{ guid: challenge!.guid, value: '[redacted]' }] })
    const sessionEntry = log.find((e) => e.path === '/sessions')!
    expect(sessionEntry.headers).toMatchObject({ 'md-api-token': '[redacted]', 'md-api-key': '[redacted]' })
    expect(sessionEntry.body).toEqual({ session: { skip_aggregation: true } })
    expect(log.find((e) => e.api === 'sso')).toMatchObject({
      userGuid: sim.member(guid).userGuid,
      status: 200,
    })
    expect(log.map((e) => e.seq)).toEqual([...log.map((e) => e.seq)].sort((a, b) => a - b))
  })

  it('is bounded by logLimit (oldest dropped)', async () => {
    const small = await startSimulator({ timeScale: 0, logLimit: 3 })
    const c = new SimClient(small)
    try {
      for (let i = 0; i < 5; i++) await c.call('GET', `${small.nexusUrl}/members`)
      const log = small.requests()
      expect(log.map((e) => e.seq)).toEqual([3, 4, 5])
      expect(small.stats()).toMatchObject({ requests: 5, logDropped: 2 })
    } finally {
      await c.close()
      await small.close()
    }
  })

  it('an unparseable body is logged as such, never verbatim', async () => {
    const r = await client.call('POST', `${sim.nexusUrl}/sessions`, { body: '{"session": password=hunter2' })
    expect(r.status).toBe(401)
    const entry = sim.requests().at(-1)!
    expect(entry.body).toBe('[unparseable]')
    expect(JSON.stringify(entry)).not.toContain('hunter2')
  })
})

describe('/_sim/ control routes', () => {
  const control = (method: string, path: string, body?: unknown) =>
    client.call(method, `${sim.controlUrl!}${path}`, body === undefined ? {} : { body })

  it('seeds users and members, reads full member state, expires sessions, moves the clock', async () => {
    const user = await control('POST', '/users', { id: 'ctl-user' })
    expect(user.json()).toMatchObject({
      user: { id: 'ctl-user', guid: expect.stringMatching(/^USR-/) as string },
    })
    const created = await control('POST', '/members', {
      userId: 'ctl-user',
      status: 'CHALLENGED',
      password: 'multi',
    })
    const { member } = created.json() as { member: MemberState }
    expect(member).toMatchObject({
      status: 'CHALLENGED',
      scenario: 'multi',
      challenge: { types: ['OPTIONS'], round: 1, rounds: 2 },
    })
    const read = (await control('GET', `/members/${member.guid}`)).json() as { member: MemberState }
    expect(read.member.guid).toBe(member.guid)
    expect((await control('GET', '/members/MBR-none')).status).toBe(404)
    // §4: `"status": null` seeds a member without a connection status (and without credentials).
    const none = (await control('POST', '/members', { userId: 'ctl-user', status: null })).json() as {
      member: MemberState
    }
    expect(none.member).toMatchObject({ status: null, statusId: null, isBeingAggregated: false, jobCount: 0 })
    expect(none.member.credentialGuids.every((c) => !c.hasValue)).toBe(true)
    const session = await client.login('ctl-user')
    expect((await control('POST', '/sessions/expire')).json()).toMatchObject({
      expired: expect.any(Number) as number,
    })
    expect((await client.nexus(session, 'GET', '/members')).status).toBe(401)
    const before = (await control('GET', '/clock')).json() as { now: number }
    const after = (await control('POST', '/clock/advance', { ms: 5 * 60_000 })).json() as { now: number }
    expect(after.now - before.now).toBe(5 * 60_000)
    expect(sim.member(member.guid).status).toBe('EXPIRED')
  })

  it('injects and clears faults; reads requests and stats; refuses bad input with 400', async () => {
    const fault = await control('POST', '/faults', { path: '^/members$', status: 503, times: 1 })
    expect(fault.json()).toMatchObject({ fault: { kind: 'status', status: 503, remaining: 1 } })
    expect((await client.call('GET', `${sim.nexusUrl}/members`)).status).toBe(503)
    const all = ((await control('GET', '/requests')).json() as { requests: { seq: number }[] }).requests
    expect(all.length).toBeGreaterThan(1)
    const last = all.at(-1)!.seq
    const tail = (await control('GET', `/requests?since=${last - 1}`)).json() as {
      requests: { seq: number }[]
    }
    expect(tail.requests.map((e) => e.seq)).toEqual([last])
    expect((await control('GET', '/stats')).json()).toMatchObject({
      faultsApplied: expect.any(Number) as number,
    })
    expect((await control('POST', '/faults', { kind: 'explode' })).status).toBe(400)
    expect((await control('POST', '/faults', { path: '(', status: 500 })).status).toBe(400)
    expect((await control('POST', '/members', { userId: 'x', status: 'NOPE' })).status).toBe(400)
    expect((await control('POST', '/members', { userId: 'x', institutionCode: 'nope' })).status).toBe(400)
    expect((await control('POST', '/members', 'not json')).status).toBe(400)
    await control('POST', '/faults', { status: 500 })
    expect((await control('DELETE', '/faults')).status).toBe(200)
    expect((await control('GET', '/faults')).json()).toEqual({ faults: [] })
    expect((await control('GET', '/nope')).status).toBe(404)
  })

  it('refuses bad encodings and unusable numbers with a 400 that names the field (issue 11 item 9)', async () => {
    for (const path of ['/members/%', '/members/%zz', '/members/MBR-%E0%A4%A']) {
      const r = await control('GET', path)
      expect(r.status, path).toBe(400)
      expect(r.text).toContain('member guid')
    }
    const before = sim.now()
    // `1e400` is valid JSON for Infinity's neighbour: it parses to Infinity.
    for (const ms of ['1e400', '-1', '1e20', '"60000"', 'null']) {
      const r = await control('POST', '/clock/advance', `{"ms": ${ms}}`)
      expect(r.status, ms).toBe(400)
      expect(r.text, ms).toContain('ms must be a finite number')
    }
    expect(sim.now()).toBe(before)
    expect(() => sim.advanceTime(Number.NaN)).toThrow(RangeError)
    expect(() => sim.advanceTime(1e20)).toThrow(RangeError)
    for (const latencyMs of ['1e400', '-5', '1e12', '"10"']) {
      const r = await control('POST', '/faults', `{"path": "^/nowhere$", "latencyMs": ${latencyMs}}`)
      expect(r.status, latencyMs).toBe(400)
      expect(r.text, latencyMs).toContain('latencyMs')
    }
    expect(() => sim.faults.inject({ latencyMs: Number.POSITIVE_INFINITY })).toThrow(/latencyMs/)
    expect(() => sim.faults.inject({ status: 429, retryAfterSeconds: Number.POSITIVE_INFINITY })).toThrow(
      /retryAfterSeconds/,
    )
    expect((await control('GET', '/faults')).json()).toEqual({ faults: [] })
  })

  it('are off unless control is enabled, and control traffic is not logged', async () => {
    const plain = await startSimulator({ timeScale: 0 })
    const c = new SimClient(plain)
    try {
      expect((await c.call('GET', `${plain.nexusUrl}/_sim/stats`)).status).toBe(404)
      expect(plain.controlUrl).toBeUndefined()
    } finally {
      await c.close()
      await plain.close()
    }
    expect(sim.requests().some((e) => e.path.startsWith('/_sim'))).toBe(false)
  })
})

describe('OAuth window over HTTP', () => {
  it('the one-time URI is served by the simulator and completes OAuth', async () => {
    const guid = sim.createMember({ userId: 'oauth-user', institutionCode: 'mx_bank_oauth' })
    const session = await client.login('oauth-user')
    const r = await client.nexus(session, 'GET', `/members/${guid}/oauth_window_uri`)
    const uri = schemas.oauthWindow.parse(r.json()).member.oauth_window_uri
    expect(uri.startsWith(sim.nexusUrl)).toBe(true)
    const page = await client.call('GET', uri)
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toBe('text/html')
    expect(JSON.stringify(sim.requests())).not.toContain(new URL(uri).pathname.split('/').at(-1))
    sim.advanceTime(4_000)
    expect((await client.member(session, guid)).connection_status).toBe('CONNECTED')
  })
})

describe('SSO and MDX over HTTP', () => {
  it('serves api_token.xml with the SSO XML media type and MDX user creation', async () => {
    const created = await client.call('POST', `${sim.mdxUrl}/${sim.clientId}/users.json`, {
      headers: { 'MD-API-KEY': sim.apiKey },
      body: { user: { id: 'mdx-user' } },
    })
    expect(schemas.user.parse(created.json()).user.id).toBe('mdx-user')
    expect(created.headers['content-type']).toBe('application/vnd.moneydesktop.mdx.v5+json')
    const xml = await client.call('GET', `${sim.ssoUrl}/${sim.clientId}/users/mdx-user/api_token.xml`, {
      headers: { 'MD-API-KEY': sim.apiKey },
    })
    expect(xml.headers['content-type']).toBe('application/vnd.moneydesktop.sso.v3+xml')
    expect(xml.text).toMatch(/<api_token><token>[0-9a-f]+<\/token><\/api_token>/)
  })
})
