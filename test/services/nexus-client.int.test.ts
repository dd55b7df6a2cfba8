import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createNexusClient } from '../../src/client/index.js'
import type { NexusClient } from '../../src/client/index.js'
import { DecodeError, HttpError, TransportError } from '../../src/domain/index.js'
import type { NexusClientConfig } from '../../src/services/config.js'
import { startSimulator } from '../../src/simulator/index.js'
import type { Simulator } from '../../src/simulator/index.js'

// The request layer against the real simulator over loopback HTTP. The simulator's clock is frozen
// (timeScale 0) and moved with advanceTime, so nothing here waits on real time except the one deadline test.

let sim: Simulator
let client: NexusClient
const sleeps: number[] = []

function connect(extra: Partial<NexusClientConfig> = {}): NexusClient {
  client = createNexusClient({
    nexusUrl: sim.nexusUrl,
    ssoUrl: sim.ssoUrl,
    mdxUrl: sim.mdxUrl,
    clientId: sim.clientId,
    apiKey: sim.apiKey,
    // Retry waits are recorded and skipped: the assertions are on what was waited, not on real time.
    clock: { now: () => Date.now(), sleep: (ms) => (sleeps.push(ms), Promise.resolve()) },
    ...extra,
  })
  return client
}
const log = (method: string, path: RegExp) =>
  sim.requests().filter((r) => r.method === method && path.test(r.path))

beforeEach(async () => {
  sleeps.length = 0
  sim = await startSimulator({ seed: 1, timeScale: 0, profile: 'messy' })
})
afterEach(async () => {
  await client?.close()
  await sim.close()
})

describe('NexusClient against the simulator', () => {
  it('a reconnection survives 4011 in the middle of the flow; the caller never sees it', async () => {
    sim.createUser({ id: 'u1' })
    const guid = sim.createMember({
      userId: 'u1',
      institutionCode: 'mxbank',
      username: 'mxuser',
      password: 'old',
      status: 'DENIED',
    })
    connect()
    const u = { userId: 'u1', memberGuid: guid }

    expect((await client.readMember(u)).connection_status).toBe('DENIED')
    const fields = await client.listMemberCredentials(u)
    expect(fields.map((f) => f.field_name)).toEqual(['LOGIN', 'PASSWORD'])

    sim.expireSessions() // 4011 on the write
    const values = { LOGIN: 'mxuser', PASSWORD: 'challenge' } as Record<string, string>
    await client.updateMember({
      ...u,
      credentials: fields.map((f) => ({ guid: f.guid, value: values[f.field_name!]! })),
    })
    sim.advanceTime(30_000)
    expect((await client.readMember(u)).connection_status).toBe('CHALLENGED')
    const challenges = await client.listMemberChallenges(u)
    expect(challenges).toHaveLength(1)

    sim.expireSessions() // 4011 on the MFA answer
    await client.resumeAggregation({
      ...u,
      answers: challenges.map((c) => ({ guid: c.guid, value: 'correct' })),
    })
    sim.advanceTime(30_000)
    sim.expireSessions() // 4011 on a poll
    const done = await client.readMember(u)
    expect(done.connection_status).toBe('CONNECTED')
    expect(done.is_being_aggregated).toBe(false)

    expect(sim.requests().filter((r) => r.status === 401)).toHaveLength(3)
    expect(log('POST', /^\/sessions$/)).toHaveLength(4)
    expect(client.stats().sessionsOpened).toBe(4)
    // Every session was opened without aggregating the user's other members (§1.4).
    for (const entry of log('POST', /^\/sessions$/))
      expect(entry.body).toEqual({ session: { skip_aggregation: true } })
    // The update was rooted, carried credentials only, and never skip_aggregation (§3.4).
    const puts = log('PUT', new RegExp(`^/members/${guid}$`))
    expect(puts.map((p) => p.status)).toEqual([401, 200])
    expect(JSON.stringify(puts[1]!.body)).toContain('credential_guid')
    expect(JSON.stringify(puts[1]!.body)).not.toContain('skip_aggregation')
    // MFA went through /resume, not the deprecated update-member path.
    expect(log('PUT', /\/resume$/).map((p) => p.status)).toEqual([401, 200])
  })

  it('50 concurrent calls for one user create exactly one session', async () => {
    sim.createUser({ id: 'u1' })
    const guid = sim.createMember({ userId: 'u1' })
    connect()
    const members = await Promise.all(
      Array.from({ length: 50 }, () => client.readMember({ userId: 'u1', memberGuid: guid })),
    )
    expect(members.every((m) => m.guid === guid)).toBe(true)
    expect(log('POST', /^\/sessions$/)).toHaveLength(1)
    expect(log('GET', /api_token/)).toHaveLength(1)
    expect(client.stats()).toEqual({ requests: 52, sessionsOpened: 1 })
  })

  it('two users never share a session token', async () => {
    const a = sim.createUser({ id: 'alice' })
    const b = sim.createUser({ id: 'bob' })
    const ma = sim.createMember({ userId: 'alice' })
    const mb = sim.createMember({ userId: 'bob' })
    connect()
    const calls = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0
        ? client.readMember({ userId: 'alice', memberGuid: ma })
        : client.readMember({ userId: 'bob', memberGuid: mb }),
    )
    const members = await Promise.all(calls)
    members.forEach((m, i) => expect(m.user_guid).toBe(i % 2 === 0 ? a.guid : b.guid))
    expect(log('POST', /^\/sessions$/)).toHaveLength(2)
    for (const entry of log('GET', /^\/members\//)) {
      expect(entry.userGuid).toBe(entry.memberGuid === ma ? a.guid : b.guid)
    }
    // The simulator scopes sessions to their user: alice's session cannot see bob's member.
    await expect(client.readMember({ userId: 'alice', memberGuid: mb })).rejects.toMatchObject({
      _tag: 'HttpError',
      status: 404,
    })
  })

  it('honours Retry-After on 429', async () => {
    sim.createUser({ id: 'u1' })
    const guid = sim.createMember({ userId: 'u1' })
    connect()
    sim.faults.inject({ method: 'GET', path: /^\/members\//, status: 429, retryAfterSeconds: 2, times: 1 })
    await expect(client.readMember({ userId: 'u1', memberGuid: guid })).resolves.toMatchObject({ guid })
    expect(sleeps).toEqual([2000])
    expect(log('GET', /^\/members\//).map((r) => r.status)).toEqual([429, 200])
  })

  it('retries a 503 burst within the budget, and surfaces one that outlasts it', async () => {
    sim.createUser({ id: 'u1' })
    const guid = sim.createMember({ userId: 'u1' })
    connect({ retry: { reads: 3 } })
    sim.faults.inject({ method: 'GET', path: /^\/members\//, status: 503, times: 3 })
    await expect(client.readMember({ userId: 'u1', memberGuid: guid })).resolves.toMatchObject({ guid })
    expect(log('GET', /^\/members\//).map((r) => r.status)).toEqual([503, 503, 503, 200])

    sim.clearRequests()
    sim.faults.inject({ method: 'GET', path: /^\/members\//, status: 503, times: 10 })
    const error: unknown = await client
      .readMember({ userId: 'u1', memberGuid: guid })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpError)
    expect(error).toMatchObject({ status: 503 })
    expect(log('GET', /^\/members\//)).toHaveLength(4)
  })

  it('does not retry a write after a timeout', async () => {
    sim.createUser({ id: 'u1' })
    const guid = sim.createMember({ userId: 'u1', status: 'DENIED' })
    // 1 s for the calls that must succeed; the slow PUT's reply comes 2 s later, after the client's
    // deadline (both timers in this process: the earlier one fires first however busy the machine).
    connect({ timeoutMs: 1_000 })
    const fields = await client.listMemberCredentials({ userId: 'u1', memberGuid: guid })
    sim.faults.inject({ method: 'PUT', path: /^\/members\//, kind: 'latency', latencyMs: 3_000, times: 1 })
    const sentBefore = client.stats().requests
    const error: unknown = await client
      .updateMember({
        userId: 'u1',
        memberGuid: guid,
        credentials: fields.map((f) => ({ guid: f.guid, value: 'x' })),
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TransportError)
    expect(error).toMatchObject({ reason: 'timeout', sent: true })
    expect(client.stats().requests - sentBefore).toBe(1)
    // The slow write did land: repeating it would have been a second update.
    await expect.poll(() => log('PUT', /^\/members\//).length, { timeout: 15_000 }).toBe(1)
  })

  it('malformed or truncated JSON is a DecodeError', async () => {
    sim.createUser({ id: 'u1' })
    const guid = sim.createMember({ userId: 'u1' })
    connect()
    await client.readMember({ userId: 'u1', memberGuid: guid })
    sim.faults.inject({ method: 'GET', path: /^\/members\//, kind: 'malformed', times: 1 })
    const malformed: unknown = await client
      .readMember({ userId: 'u1', memberGuid: guid })
      .catch((e: unknown) => e)
    expect(malformed).toBeInstanceOf(DecodeError)
    expect(malformed).toMatchObject({ api: 'nexus', method: 'GET', path: `/members/${guid}` })
    sim.faults.inject({ method: 'GET', path: /^\/members\//, kind: 'truncated', times: 1 })
    await expect(client.readMember({ userId: 'u1', memberGuid: guid })).rejects.toBeInstanceOf(DecodeError)
  })

  it('a dropped connection on a read is retried; connection refused is a TransportError', async () => {
    sim.createUser({ id: 'u1' })
    const guid = sim.createMember({ userId: 'u1' })
    connect()
    sim.faults.inject({ method: 'GET', path: /^\/members\//, kind: 'reset', times: 1 })
    await expect(client.readMember({ userId: 'u1', memberGuid: guid })).resolves.toMatchObject({ guid })

    await sim.close()
    sim = await startSimulator({ seed: 2, timeScale: 0 }) // afterEach closes this one
    const error: unknown = await client
      .readMember({ userId: 'u1', memberGuid: guid })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TransportError)
    expect(error).toMatchObject({ reason: 'connect', sent: false, api: 'nexus' })
  })

  it('creates an unknown user through MDX when asked to (§1.3)', async () => {
    connect({ createUsers: true })
    const members = await client.listMembers({ userId: 'brand-new' })
    expect(members).toEqual([])
    expect(log('POST', /users/).length).toBe(1)
    expect(log('GET', /api_token/).map((r) => r.status)).toEqual([404, 200])
  })
})
