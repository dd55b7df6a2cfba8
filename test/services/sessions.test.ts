import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createNexusClient } from '../../src/client/index.js'
import type { NexusClient } from '../../src/client/index.js'
import { HttpError, SessionExpiredError, TransportError } from '../../src/domain/index.js'
import type { NexusClientConfig } from '../../src/services/config.js'
import { SECRETS, startFakeMx } from '../support/fake-mx.js'
import type { FakeMx } from '../support/fake-mx.js'

let mx: FakeMx
let client: NexusClient
const open = (extra: Partial<NexusClientConfig> = {}) => {
  client = createNexusClient({ ...mx.config, retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...extra })
  return client
}
const read = (userId: string, memberGuid = 'MBR-1') => client.readMember({ userId, memberGuid })

beforeEach(async () => {
  mx = await startFakeMx()
})
afterEach(async () => {
  await client?.close()
  await mx.close()
})

describe('Sessions: single flight', () => {
  it('50 concurrent calls for one user make one SSO call and one POST /sessions', async () => {
    open()
    const members = await Promise.all(Array.from({ length: 50 }, () => read('u1')))
    expect(members).toHaveLength(50)
    expect(mx.count('GET', '/sso/')).toBe(1)
    expect(mx.count('POST', '/nexus/sessions')).toBe(1)
    expect(client.stats()).toEqual({ requests: 52, sessionsOpened: 1 })
  })

  it('opens sessions the documented way (§1.3, §1.4)', async () => {
    open()
    await read('u 1/x')
    const [sso, session, call] = mx.server.requests
    expect(sso!.path).toBe('/sso/client-1/users/u%201%2Fx/api_token.json')
    expect(sso!.headers['md-api-key']).toBe(SECRETS.apiKey)
    expect(sso!.headers.accept).toBe('application/vnd.moneydesktop.sso.v3+json')
    expect(session!.headers['md-api-token']).toMatch(SECRETS.ssoPrefix)
    expect(session!.headers['md-api-key']).toBeUndefined()
    expect(session!.headers['content-type']).toBe('application/vnd.mx.nexus.v1+json')
    expect(JSON.parse(session!.body)).toEqual({ session: { skip_aggregation: true } })
    expect(call!.headers['md-session-token']).toMatch(SECRETS.sessionPrefix)
    expect(call!.headers.accept).toBe('application/vnd.mx.nexus.v1+json')
    expect(call!.headers['content-type']).toBe('application/vnd.mx.nexus.v1+json')
    expect(call!.headers['md-api-key']).toBeUndefined()
  })

  it('keeps users apart: each call runs in its own user session', async () => {
    open()
    const users = ['alice', 'bob', 'carol']
    const calls = Array.from({ length: 60 }, (_, i) => users[i % 3]!)
    const members = await Promise.all(calls.map((u) => read(u)))
    members.forEach((m, i) => expect(m.user_guid).toBe(`USR-${calls[i]}`))
    expect(mx.count('POST', '/nexus/sessions')).toBe(3)
    for (const request of mx.server.requests.filter((r) => r.path.startsWith('/nexus/members'))) {
      const owner = mx.sessions.get(request.headers['md-session-token'] as string)?.userId
      expect(owner).toBeDefined()
    }
    const tokens = new Map<string, Set<string>>()
    for (const [token, { userId }] of mx.sessions)
      tokens.set(userId, (tokens.get(userId) ?? new Set()).add(token))
    expect([...tokens.keys()].sort()).toEqual(['alice', 'bob', 'carol'])
  })

  it('a failed opening fails every waiter and does not poison the cache', async () => {
    open({ retry: { reads: 0 } })
    mx.override = (r) => (r.path.startsWith('/sso/') ? { status: 403 } : undefined)
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => read('u1')))
    expect(mx.count('GET', '/sso/')).toBe(1)
    for (const r of results) {
      expect(r.status).toBe('rejected')
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        _tag: 'HttpError',
        api: 'sso',
        status: 403,
      })
    }
    mx.override = undefined
    await expect(read('u1')).resolves.toMatchObject({ guid: 'MBR-1' })
    expect(mx.count('POST', '/nexus/sessions')).toBe(1)
  })

  it('an aborted first caller does not cancel the opening others wait on', async () => {
    open()
    mx.delay = (r) => (r.path.startsWith('/sso/') ? 30 : undefined)
    const controller = new AbortController()
    const first = client.readMember({ userId: 'u1', memberGuid: 'MBR-1', signal: controller.signal })
    const second = read('u1')
    controller.abort()
    await expect(first).rejects.toBeInstanceOf(TransportError)
    await expect(first).rejects.toMatchObject({ reason: 'aborted' })
    await expect(second).resolves.toMatchObject({ guid: 'MBR-1' })
    expect(mx.count('POST', '/nexus/sessions')).toBe(1)
  })
})

describe('Sessions: expiry (§1.5, §12)', () => {
  it('renews on 401 and replays, so the caller never sees it', async () => {
    open()
    await read('u1')
    mx.expireSessions()
    await expect(read('u1', 'MBR-2')).resolves.toMatchObject({ guid: 'MBR-2' })
    const log = mx.server.requests.map((r) => `${r.method} ${r.path.split('/')[1]}`)
    expect(log).toEqual([
      'GET sso',
      'POST nexus',
      'GET nexus',
      'GET nexus',
      'GET sso',
      'POST nexus',
      'GET nexus',
    ])
    expect(client.stats().sessionsOpened).toBe(2)
  })

  it('50 callers hitting 401 together cause one renewal', async () => {
    open()
    await read('u1')
    mx.expireSessions()
    const members = await Promise.all(Array.from({ length: 50 }, () => read('u1')))
    expect(members).toHaveLength(50)
    expect(mx.count('POST', '/nexus/sessions')).toBe(2)
  })

  it('a second 401 after renewing becomes SessionExpiredError saying what was tried', async () => {
    open()
    mx.override = (r) => (r.path.startsWith('/nexus/members') ? { status: 401 } : undefined)
    const error: unknown = await read('u1').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SessionExpiredError)
    expect(error).toMatchObject({ userId: 'u1', method: 'GET', path: '/members/MBR-1' })
    expect((error as SessionExpiredError).message).toMatch(
      /opened a new session once and replayed the request once/,
    )
    expect(mx.count('GET', '/nexus/members')).toBe(2)
    expect(mx.count('POST', '/nexus/sessions')).toBe(2)
    // The rejected session is dropped: the next call starts from a fresh one.
    mx.override = undefined
    await expect(read('u1')).resolves.toMatchObject({ guid: 'MBR-1' })
    expect(mx.count('POST', '/nexus/sessions')).toBe(3)
  })

  it('a 401 on a write is replayed too (MX did not process it)', async () => {
    open()
    await read('u1')
    mx.expireSessions()
    await client.updateMember({
      userId: 'u1',
      memberGuid: 'MBR-1',
      credentials: [{ guid: 'CRD-1', value: 'v' }],
    })
    expect(mx.count('PUT', '/nexus/members/MBR-1')).toBe(2)
  })
})

describe('Sessions: sliding window', () => {
  it('reuses a session while it is fresh and renews ahead of expiry when idle', async () => {
    let now = 1_000_000
    open({ clock: { now: () => now }, sessionRenewAheadMs: 60_000 })
    await read('u1')
    now += 20 * 60_000
    await read('u1')
    now += 20 * 60_000 // 40 minutes since opening, but only 20 since the last use
    await read('u1')
    expect(mx.count('POST', '/nexus/sessions')).toBe(1)
    now += 29 * 60_000 + 1 // inside the last minute of the window: renew before use
    await read('u1')
    expect(mx.count('POST', '/nexus/sessions')).toBe(2)
    expect(mx.count('GET', '/nexus/members')).toBe(4) // no 401 and no replay: renewed before use
  })
})

describe('Sessions: unknown users (§1.3)', () => {
  it('with createUsers, an SSO 404 creates the user via MDX and retries once', async () => {
    open({ createUsers: true, mdxUrl: mx.config.mdxUrl })
    mx.unknownUsers.add('newbie')
    await expect(read('newbie')).resolves.toMatchObject({ user_guid: 'USR-newbie' })
    const create = mx.server.requests.find((r) => r.path.startsWith('/mdx/'))!
    expect(create.method).toBe('POST')
    expect(create.path).toBe('/mdx/client-1/users.json')
    expect(JSON.parse(create.body)).toEqual({ user: { id: 'newbie' } })
    expect(create.headers['md-api-key']).toBe(SECRETS.apiKey)
    expect(mx.count('GET', '/sso/')).toBe(2)
  })

  it('without createUsers, SSO 404 is an HttpError from SSO', async () => {
    open()
    mx.unknownUsers.add('newbie')
    const error: unknown = await read('newbie').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpError)
    expect(error).toMatchObject({ api: 'sso', status: 404 })
    expect(mx.count('POST', '/mdx/')).toBe(0)
  })
})
