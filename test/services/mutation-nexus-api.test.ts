import { Effect } from 'effect'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createNexusClient } from '../../src/client/index.js'
import type { NexusClient } from '../../src/client/index.js'
import { DecodeError, HttpError } from '../../src/domain/index.js'
import { NexusApi } from '../../src/services/nexus-api.js'
import type { NexusApiService } from '../../src/services/nexus-api.js'
import { startFakeMx } from '../support/fake-mx.js'
import type { FakeMx } from '../support/fake-mx.js'

// Written against the mutants Stryker left alive in src/services/nexus-api.ts (docs/testing.md). Each rule is
// checked on both request paths: the facade's call on a fresh session (sent without a fiber,
// docs/decisions/0006) and the `NexusApi` service an Effect user gets from `client.layer`. Oracles: house rule 5
// (every reply passes its schema: anything else is a DecodeError), docs/errors.md (`HttpError` for a non-2xx),
// RFC 3986 §3.3 (a guid is one path segment, percent-encoded), the Nexus reference §3.7 (resume's reply may be
// empty) and the `userAgent` option.

let mx: FakeMx
let client: NexusClient
const user = { userId: 'u1' }

const open = (extra: { userAgent?: string } = {}) => {
  client = createNexusClient({
    ...mx.config,
    clock: { now: () => Date.now(), sleep: () => Promise.resolve() },
    ...extra,
  })
  return client
}
/** The same call through the Effect service (not the facade's fiber-less path). */
const viaLayer = <A>(f: (api: NexusApiService) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(Effect.provide(Effect.flatMap(NexusApi, f), client.layer))
/** What the Effect service's call failed with. */
const failureVia = <A>(f: (api: NexusApiService) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(Effect.flip(Effect.provide(Effect.flatMap(NexusApi, f), client.layer)))
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  )
/** Opens the user's session, so the facade's next calls find it fresh. */
const warm = async () => {
  await client.readMember({ ...user, memberGuid: 'MBR-0' })
}
const replyTo = (method: string, path: string, reply: { status?: number; body?: unknown }) => {
  mx.override = (r) => (r.method === method && r.path === `/nexus${path}` ? reply : undefined)
}

beforeEach(async () => {
  mx = await startFakeMx()
})
afterEach(async () => {
  await client?.close()
  await mx.close()
})

describe('a reply that is not a rooted member is a DecodeError (rule 5)', () => {
  it.each(['null', '42', '"MBR-1"', '[]', '{}', '{"member": null}'])('%s', async (body) => {
    open()
    await warm()
    replyTo('GET', '/members/MBR-1', { body })
    expect(await rejection(client.readMember({ ...user, memberGuid: 'MBR-1' }))).toBeInstanceOf(DecodeError)
    const viaEffect = await failureVia((api) => api.readMember({ ...user, memberGuid: 'MBR-1' }))
    expect(viaEffect).toBeInstanceOf(DecodeError)
  })
})

describe('a non-2xx reply is an HttpError, even with a member in its body', () => {
  it.each([300, 308])('%i', async (status) => {
    open()
    await warm()
    replyTo('GET', '/members/MBR-1', { status, body: { member: { guid: 'MBR-1' } } })
    const error = await rejection(client.readMember({ ...user, memberGuid: 'MBR-1' }))
    expect(error).toBeInstanceOf(HttpError)
    expect(error).toMatchObject({ status })
    const viaEffect = await failureVia((api) => api.readMember({ ...user, memberGuid: 'MBR-1' }))
    expect(viaEffect).toMatchObject({ _tag: 'HttpError', status })
  })
})

describe('guids are percent-encoded path segments (RFC 3986 §3.3)', () => {
  it('a member guid and a job guid with reserved characters', async () => {
    open()
    await warm()
    mx.override = (r) => (r.path.includes('%26') ? { status: 404, body: {} } : undefined)
    await rejection(client.readMember({ ...user, memberGuid: 'MBR-a&b' }))
    await failureVia((api) => api.listMemberChallenges({ ...user, memberGuid: 'MBR-c&d' }))
    await rejection(client.readJob({ ...user, jobGuid: 'JOB-e&f' }))
    const paths = mx.server.requests.map((r) => r.path)
    expect(paths).toContain('/nexus/members/MBR-a%26b')
    expect(paths).toContain('/nexus/members/MBR-c%26d/challenges')
    expect(paths).toContain('/nexus/jobs/JOB-e%26f')
  })
})

describe('the userAgent option is sent on every Nexus call', () => {
  it('on both paths', async () => {
    open({ userAgent: 'acme-app/2.1' })
    await warm()
    await client.readMember({ ...user, memberGuid: 'MBR-1' })
    await viaLayer((api) => api.readMember({ ...user, memberGuid: 'MBR-2' }))
    const nexus = mx.server.requests.filter((r) => r.path.startsWith('/nexus/members'))
    expect(nexus.length).toBeGreaterThanOrEqual(3)
    for (const r of nexus) expect(r.headers['user-agent']).toBe('acme-app/2.1')
  })
})

describe('resume: an empty reply, whitespace included, is no member (§3.7, §10.4)', () => {
  it.each(['', ' \n'])('%j', async (body) => {
    open()
    await warm()
    replyTo('PUT', '/members/MBR-1/resume', { body })
    const answers = [{ guid: 'CRD-q1', value: 'Sandy' }]
    await expect(client.resumeAggregation({ ...user, memberGuid: 'MBR-1', answers })).resolves.toBeUndefined()
    await expect(
      viaLayer((api) => api.resumeAggregation({ ...user, memberGuid: 'MBR-1', answers })),
    ).resolves.toBeUndefined()
  })
})
