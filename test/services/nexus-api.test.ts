import { Effect } from 'effect'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createNexusClient } from '../../src/client/index.js'
import type { NexusClient } from '../../src/client/index.js'
import { DecodeError, HttpError, TransportError } from '../../src/domain/index.js'
import type { NexusClientConfig } from '../../src/services/config.js'
import { NexusApi } from '../../src/services/nexus-api.js'
import { startFakeMx } from '../support/fake-mx.js'
import type { FakeMx } from '../support/fake-mx.js'

let mx: FakeMx
let client: NexusClient
const sleeps: number[] = []
const open = (extra: Partial<NexusClientConfig> = {}) => {
  // The injected clock records every retry wait and returns at once: no real sleeping (rule 7).
  client = createNexusClient({
    ...mx.config,
    clock: { now: () => Date.now(), sleep: (ms) => (sleeps.push(ms), Promise.resolve()) },
    ...extra,
  })
  return client
}
const user = { userId: 'u1' }
const on = (
  method: string,
  path: string,
  reply: { status?: number; body?: unknown; headers?: Record<string, string> },
  times = Infinity,
) => {
  let left = times
  mx.override = (r) => (r.method === method && r.path === `/nexus${path}` && left-- > 0 ? reply : undefined)
}
const sent = (method: string, path: string) =>
  mx.server.requests.filter((r) => r.method === method && r.path === `/nexus${path}`)
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  )

beforeEach(async () => {
  sleeps.length = 0
  mx = await startFakeMx()
})
afterEach(async () => {
  await client?.close()
  await mx.close()
})

describe('NexusApi: requests', () => {
  it('updateMember sends a rooted body of credential_guid items and never skip_aggregation (§3.4, §12)', async () => {
    open()
    await client.updateMember({
      ...user,
      memberGuid: 'MBR-1',
      credentials: [
        { guid: 'CRD-login', value: 'new-user' },
        { guid: 'CRD-pass', value: 'new-pass' },
      ],
    })
    const [put] = sent('PUT', '/members/MBR-1')
    expect(JSON.parse(put!.body)).toEqual({
      member: {
        credentials: [
          { credential_guid: 'CRD-login', value: 'new-user' },
          { credential_guid: 'CRD-pass', value: 'new-pass' },
        ],
      },
    })
    expect(put!.body).not.toContain('skip_aggregation')
    expect(put!.headers['mx-skip-webhook']).toBeUndefined()
  })

  it('updateMember can skip the webhook by header and body flag (§3.4, §8.2)', async () => {
    open()
    await client.updateMember({ ...user, memberGuid: 'MBR-1', credentials: [], skipWebhook: true })
    const [put] = sent('PUT', '/members/MBR-1')
    expect(JSON.parse(put!.body)).toEqual({ member: { credentials: [], skip_webhook: true } })
    expect(put!.headers['mx-skip-webhook']).toBe('true')
  })

  it('resumeAggregation sends top-level challenges and copes with an empty or member reply (§3.7)', async () => {
    open()
    const answers = [{ guid: 'CRD-q1', value: 'Sandy' }]
    await expect(client.resumeAggregation({ ...user, memberGuid: 'MBR-1', answers })).resolves.toBeUndefined()
    expect(JSON.parse(sent('PUT', '/members/MBR-1/resume')[0]!.body)).toEqual({
      challenges: [{ guid: 'CRD-q1', value: 'Sandy' }],
    })
    on('PUT', '/members/MBR-1/resume', { body: '' })
    await expect(client.resumeAggregation({ ...user, memberGuid: 'MBR-1', answers })).resolves.toBeUndefined()
    on('PUT', '/members/MBR-1/resume', { body: { member: { guid: 'MBR-1', connection_status: 'RESUMED' } } })
    const resumed = await client.resumeAggregation({ ...user, memberGuid: 'MBR-1', answers })
    expect(resumed?.connection_status).toBe('RESUMED')
    on('PUT', '/members/MBR-1/resume', { body: { member: { connection_status: 'RESUMED' } } })
    await expect(client.resumeAggregation({ ...user, memberGuid: 'MBR-1', answers })).rejects.toBeInstanceOf(
      DecodeError,
    )
  })

  it('reads use the documented paths and unwrap their bodies', async () => {
    open()
    mx.override = (r) => {
      const routes: Record<string, unknown> = {
        '/nexus/members/MBR-1/credentials': {
          credentials: [{ guid: 'CRD-1', label: 'Username', field_type: 3, field_name: 'LOGIN' }],
        },
        '/nexus/members/MBR-1/challenges': { challenges: [{ guid: 'CRD-q', type: 'TEXT', label: 'City?' }] },
        '/nexus/members/MBR-1/aggregate': { member: { job_guid: 'JOB-1', status: 'INITIATED' } },
        '/nexus/members/MBR-1/oauth_window_uri': {
          member: { guid: 'MBR-1', oauth_window_uri: 'https://oauth.test/x' },
        },
        '/nexus/jobs/JOB-1': { job: { guid: 'JOB-1', status: 6, status_name: 'COMPLETED' } },
      }
      return r.path in routes ? { body: routes[r.path] } : undefined
    }
    expect(await client.listMemberCredentials({ ...user, memberGuid: 'MBR-1' })).toMatchObject([
      { guid: 'CRD-1' },
    ])
    expect(await client.listMemberChallenges({ ...user, memberGuid: 'MBR-1' })).toMatchObject([
      { type: 'TEXT' },
    ])
    expect(await client.aggregateMember({ ...user, memberGuid: 'MBR-1' })).toMatchObject({
      job_guid: 'JOB-1',
    })
    expect(await client.oauthWindowUri({ ...user, memberGuid: 'MBR-1' })).toBe('https://oauth.test/x')
    expect(await client.readJob({ ...user, jobGuid: 'JOB-1' })).toMatchObject({ status_name: 'COMPLETED' })
    expect(await client.listMembers(user)).toMatchObject([{ guid: 'MBR-1' }])
    expect(mx.server.requests.every((r) => !r.path.includes('/member/'))).toBe(true)
  })

  it('listMembers follows pagination when MX sends it (§7.3)', async () => {
    open()
    mx.override = (r) => {
      if (!r.path.startsWith('/nexus/members')) return undefined
      const page = Number(new URL(r.path, 'http://x').searchParams.get('page') ?? '1')
      const pagination = { current_page: page, per_page: 1, total_entries: 3, total_pages: 3 }
      return { body: { members: [{ guid: `MBR-${page}` }], pagination } }
    }
    const members = await client.listMembers(user)
    expect(members.map((m) => m.guid)).toEqual(['MBR-1', 'MBR-2', 'MBR-3'])
  })
})

describe('NexusApi: decoding (rule 5)', () => {
  it('malformed JSON is a DecodeError that does not quote the body', async () => {
    open()
    on('GET', '/members/MBR-1', { body: '{"member": {"guid": "MBR-1", "secret": "SESSIONTOKEN-5ecret-leak' })
    const error = await rejection(client.readMember({ ...user, memberGuid: 'MBR-1' }))
    expect(error).toBeInstanceOf(DecodeError)
    expect(error).toMatchObject({ api: 'nexus', method: 'GET', path: '/members/MBR-1' })
    expect((error as DecodeError).issues[0]).toMatch(/not valid JSON/)
    expect(JSON.stringify(error) + (error as Error).message).not.toContain('leak')
    expect(sent('GET', '/members/MBR-1')).toHaveLength(1) // decode failures are not retried
  })

  it('a reply of the wrong shape is a DecodeError listing the issues', async () => {
    open()
    on('GET', '/members/MBR-1', { body: { member: { guid: 42 } } })
    const error = await rejection(client.readMember({ ...user, memberGuid: 'MBR-1' }))
    expect(error).toBeInstanceOf(DecodeError)
    expect((error as DecodeError).issues.length).toBeGreaterThan(0)
  })
})

describe('NexusApi: transient retries (rule 6)', () => {
  it('retries a read through a 503 burst within the budget', async () => {
    open({ retry: { reads: 3 } })
    on('GET', '/members/MBR-1', { status: 503 }, 3)
    await expect(client.readMember({ ...user, memberGuid: 'MBR-1' })).resolves.toMatchObject({
      guid: 'MBR-1',
    })
    expect(sent('GET', '/members/MBR-1')).toHaveLength(4)
    expect(sleeps).toHaveLength(3)
  })

  it('gives up with the HttpError when the burst outlasts the budget', async () => {
    open({ retry: { reads: 2 } })
    on('GET', '/members/MBR-1', { status: 502 })
    const error = await rejection(client.readMember({ ...user, memberGuid: 'MBR-1' }))
    expect(error).toBeInstanceOf(HttpError)
    expect(error).toMatchObject({ status: 502 })
    expect(sent('GET', '/members/MBR-1')).toHaveLength(3)
  })

  it('honours Retry-After on 429', async () => {
    open()
    on('GET', '/members/MBR-1', { status: 429, headers: { 'retry-after': '2' } }, 1)
    await client.readMember({ ...user, memberGuid: 'MBR-1' })
    expect(sleeps).toEqual([2000])
    expect(sent('GET', '/members/MBR-1')).toHaveLength(2)
  })

  it('retries a write only on 429/503, not on 502; never a submission (decisions/0007)', async () => {
    open()
    const credentials = [{ guid: 'CRD-1', value: 'v' }]
    on('PUT', '/members/MBR-1', { status: 503 }, 1)
    await client.updateMember({ ...user, memberGuid: 'MBR-1', credentials: [] })
    expect(sent('PUT', '/members/MBR-1')).toHaveLength(2)
    // Credentials (or MFA answers) are never repeated here: the lifecycle re-reads the member first.
    on('PUT', '/members/MBR-3', { status: 503 }, 1)
    await expect(client.updateMember({ ...user, memberGuid: 'MBR-3', credentials })).rejects.toMatchObject({
      status: 503,
    })
    expect(sent('PUT', '/members/MBR-3')).toHaveLength(1)
    on('PUT', '/members/MBR-2', { status: 502 }, 1)
    await expect(client.updateMember({ ...user, memberGuid: 'MBR-2', credentials })).rejects.toMatchObject({
      status: 502,
    })
    expect(sent('PUT', '/members/MBR-2')).toHaveLength(1)
  })

  it('does not retry a write after a timeout: it may have landed', async () => {
    // 1 s: the calls that must succeed never time out on a busy machine; the PUT's reply is held until
    // the client gave up, so its timeout fires whatever the machine's speed.
    open({ timeoutMs: 1_000 })
    await client.readMember({ ...user, memberGuid: 'MBR-0' }) // open the session first
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    mx.gate = (r) => (r.method === 'PUT' ? held : Promise.resolve())
    const error = await rejection(
      client.updateMember({ ...user, memberGuid: 'MBR-1', credentials: [{ guid: 'CRD-1', value: 'v' }] }),
    )
    mx.gate = undefined
    release()
    expect(error).toBeInstanceOf(TransportError)
    expect(error).toMatchObject({ reason: 'timeout', sent: true })
    expect(sent('PUT', '/members/MBR-1')).toHaveLength(1)
  })

  it('retries a read after a dropped connection', async () => {
    open()
    let drops = 1
    mx.override = (r) => (r.path === '/nexus/members/MBR-1' && drops-- > 0 ? { destroy: true } : undefined)
    await expect(client.readMember({ ...user, memberGuid: 'MBR-1' })).resolves.toMatchObject({
      guid: 'MBR-1',
    })
    expect(sent('GET', '/members/MBR-1')).toHaveLength(2)
  })
})

describe('createNexusClient', () => {
  it('rejects with the original tagged error instance, not a FiberFailure', async () => {
    open()
    on('GET', '/members/MBR-9', { status: 404, body: { error: { code: 4040, message: 'nope' } } })
    const error = await rejection(client.readMember({ ...user, memberGuid: 'MBR-9' }))
    expect(error).toBeInstanceOf(HttpError)
    expect(error).toMatchObject({ _tag: 'HttpError', status: 404, code: 4040, path: '/members/MBR-9' })
  })

  it('an aborted signal rejects with TransportError(aborted)', async () => {
    open()
    mx.delay = () => 200
    const controller = new AbortController()
    const pending = client.readMember({ ...user, memberGuid: 'MBR-1', signal: controller.signal })
    setTimeout(() => controller.abort(), 10)
    await expect(pending).rejects.toMatchObject({ _tag: 'TransportError', reason: 'aborted' })
  })

  it('client.layer shares the facade connections and sessions', async () => {
    open()
    await client.readMember({ ...user, memberGuid: 'MBR-1' })
    const viaLayer = await Effect.runPromise(
      Effect.provide(
        Effect.flatMap(NexusApi, (api) => api.readMember({ ...user, memberGuid: 'MBR-2' })),
        client.layer,
      ),
    )
    expect(viaLayer.guid).toBe('MBR-2')
    expect(mx.count('POST', '/nexus/sessions')).toBe(1)
    expect(client.stats()).toEqual({ requests: 4, sessionsOpened: 1 })
  })

  it('close() releases connections and later calls reject', async () => {
    open()
    await client.readMember({ ...user, memberGuid: 'MBR-1' })
    await client.close()
    await client.close()
    await expect(client.readMember({ ...user, memberGuid: 'MBR-1' })).rejects.toMatchObject({
      _tag: 'TransportError',
      sent: false,
    })
  })
})
