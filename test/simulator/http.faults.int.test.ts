import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { schemas } from '../../src/domain/index.js'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'
import { SimClient } from './http-client.js'

// Every fault kind (simulator.md "Faults") over real HTTP: 429 + Retry-After, 5xx, latency, reset,
// malformed and truncated JSON; `times`, seeded `probability`, filters; and that a fault never touches the
// model's state unless the rule says `applied: true`.

let sim: Simulator
let client: SimClient
let session: string
let guid: string
let n = 0

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, timeScale: 0 })
  client = new SimClient(sim)
})
afterAll(async () => {
  await client.close()
  await sim.close()
})
beforeEach(async () => {
  sim.faults.clear()
  n += 1
  const userId = `fault-user-${n}`
  guid = sim.createMember({ userId, status: 'DENIED', password: 'wrong' })
  session = await client.login(userId)
})

const fresh = () => sim.member(guid)

describe('status faults', () => {
  it.each([500, 502, 503])('%i for the next N matching requests, then normal', async (status) => {
    sim.faults.inject({ method: 'GET', path: /\/members\//, status, times: 2 })
    const seen: number[] = []
    for (let i = 0; i < 3; i++) seen.push((await client.nexus(session, 'GET', `/members/${guid}`)).status)
    expect(seen).toEqual([status, status, 200])
    expect(sim.faults.list()).toEqual([])
    const log = sim.requests().slice(-3)
    expect(log.map((e) => e.fault)).toEqual(['status', 'status', undefined])
  })

  it('429 carries Retry-After (1 by default, or the given seconds)', async () => {
    sim.faults.inject({ path: '/members/', status: 429, times: 1 })
    sim.faults.inject({ path: '/members/', status: 429, times: 1, retryAfterSeconds: 7 })
    const a = await client.nexus(session, 'GET', `/members/${guid}`)
    const b = await client.nexus(session, 'GET', `/members/${guid}`)
    expect([a.status, a.headers['retry-after']]).toEqual([429, '1'])
    expect([b.status, b.headers['retry-after']]).toEqual([429, '7'])
    expect(schemas.error.parse(b.json()).error.code).toBe(4290)
  })

  it('a 503 on PUT does not change the member (the model never ran)', async () => {
    const before = fresh()
    sim.faults.inject({ method: 'PUT', status: 503, times: 1 })
    expect((await client.update(session, guid, 'password')).status).toBe(503)
    expect(fresh()).toEqual(before)
    expect((await client.update(session, guid, 'password')).status).toBe(200)
    expect(fresh().status).toBe('UPDATED')
  })

  it('a fault answers before authentication: a 429 even with a bad session token', async () => {
    sim.faults.inject({ api: 'nexus', status: 429, times: 1 })
    expect((await client.nexus('bad-token', 'GET', '/members')).status).toBe(429)
    expect((await client.nexus('bad-token', 'GET', '/members')).status).toBe(401)
  })

  it('filters by method and api', async () => {
    sim.faults.inject({ method: 'POST', status: 500 })
    sim.faults.inject({ api: 'sso', status: 502 })
    expect((await client.nexus(session, 'GET', `/members/${guid}`)).status).toBe(200)
    await expect(client.apiToken(fresh().userId!)).rejects.toThrow('502')
    expect((await client.call('POST', `${sim.nexusUrl}/sessions`, { body: {} })).status).toBe(500)
  })
})

describe('connection and body faults', () => {
  it('reset: the socket closes without a reply and the state is untouched', async () => {
    const before = fresh()
    sim.faults.inject({ method: 'PUT', kind: 'reset', times: 1 })
    await expect(client.update(session, guid, 'password')).rejects.toThrow()
    expect(fresh()).toEqual(before)
    expect(sim.requests().at(-1)).toMatchObject({ method: 'PUT', status: 0, fault: 'reset' })
    expect((await client.member(session, guid)).connection_status).toBe('DENIED')
  })

  it('malformed: 200 whose body is not JSON; the model did not run', async () => {
    const before = fresh()
    sim.faults.inject({ path: `/members/${guid}$`, kind: 'malformed', times: 2 })
    const get = await client.nexus(session, 'GET', `/members/${guid}`)
    expect(get.status).toBe(200)
    expect(() => get.json()).toThrow(SyntaxError)
    const put = await client.update(session, guid, 'password')
    expect(put.status).toBe(200)
    expect(() => put.json()).toThrow(SyntaxError)
    expect(fresh()).toEqual(before)
  })

  it('truncated: 200 with the first part of a JSON body', async () => {
    sim.faults.inject({ path: `/members/${guid}$`, kind: 'truncated', times: 1 })
    const r = await client.nexus(session, 'GET', `/members/${guid}`)
    expect(r.status).toBe(200)
    expect(r.text.startsWith('{"member"')).toBe(true)
    expect(() => r.json()).toThrow(SyntaxError)
  })

  it('latency: the reply is delayed but normal', async () => {
    sim.faults.inject({ kind: 'latency', latencyMs: 30, times: 1 })
    const r = await client.nexus(session, 'GET', `/members/${guid}`)
    expect(r.status).toBe(200)
    expect(sim.requests().at(-1)).toMatchObject({ status: 200, fault: 'latency' })
  })

  it('applied: true — the update happened, only the reply was lost; a retry starts no second job', async () => {
    sim.faults.inject({ method: 'PUT', kind: 'reset', times: 1, applied: true })
    await expect(client.update(session, guid, 'password')).rejects.toThrow()
    const after = fresh()
    expect(after).toMatchObject({ status: 'UPDATED', isBeingAggregated: true })
    const retry = await client.update(session, guid, 'password')
    expect(retry.status).toBe(200)
    expect(fresh().jobGuid).toBe(after.jobGuid)
  })

  it.each(['malformed', 'truncated'] as const)('applied %s: the real reply, broken', async (kind) => {
    sim.faults.inject({ method: 'GET', kind, times: 1, applied: true })
    const r = await client.nexus(session, 'GET', `/members/${guid}`)
    expect(r.text).toContain(guid)
    expect(() => r.json()).toThrow(SyntaxError)
  })
})

describe('probability', () => {
  it('is seeded: two simulators with the same seed fault the same requests', async () => {
    const pattern = async (): Promise<number[]> => {
      const other = await startSimulator({ seed: 99, timeScale: 0 })
      const c = new SimClient(other)
      try {
        other.createUser({ id: 'p' })
        const s = await c.login('p')
        other.faults.inject({ path: '^/members$', status: 503, probability: 0.5 })
        const out: number[] = []
        for (let i = 0; i < 30; i++) out.push((await c.nexus(s, 'GET', '/members')).status)
        return out
      } finally {
        await c.close()
        await other.close()
      }
    }
    const a = await pattern()
    expect(a).toContain(503)
    expect(a).toContain(200)
    expect(await pattern()).toEqual(a)
  })

  it('counts hits; remove() retires a rule', () => {
    const handle = sim.faults.inject({ path: 'no-such-path', status: 500 })
    expect(sim.faults.list()).toEqual([expect.objectContaining({ id: handle.id, hits: 0, remaining: null })])
    handle.remove()
    expect(sim.faults.list()).toEqual([])
    expect(() => sim.faults.inject({ status: 200 })).toThrow(TypeError)
    expect(() => sim.faults.inject({})).toThrow(TypeError)
  })
})
