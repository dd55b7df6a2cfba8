import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createNexusClient } from '../../src/client/index.js'
import type { NexusClient } from '../../src/client/index.js'
import { DecodeError, HttpError, SessionExpiredError, TransportError } from '../../src/domain/index.js'
import { SECRETS, startFakeMx } from '../support/fake-mx.js'
import type { FakeMx } from '../support/fake-mx.js'

// Calls made while the user's session is fresh (docs/decisions/0006-request-hot-path.md: the facade sends
// them without an Effect fiber). Every rule of the request layer still holds on that path: a 401 renews the
// session and replays once (Nexus reference §1.5), Retry-After is honoured (architecture.md rule 6), an
// aborted signal rejects with TransportError(aborted), replies are validated (rule 5), no secret in errors.

let mx: FakeMx
let client: NexusClient
const sleeps: number[] = []
const user = { userId: 'u1', memberGuid: 'MBR-1' }
const memberPath = '/nexus/members/MBR-1'

const open = () => {
  client = createNexusClient({
    ...mx.config,
    clock: { now: () => Date.now(), sleep: (ms) => (sleeps.push(ms), Promise.resolve()) },
  })
  return client
}
const sent = (method: string, path: string) =>
  mx.server.requests.filter((r) => r.method === method && r.path === path).length
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  )
/** Opens the user's session with one read, so the calls after it find it fresh. */
const warm = async () => {
  open()
  await client.readMember(user)
  expect(sent('POST', '/nexus/sessions')).toBe(1)
}
const noSecretIn = (error: unknown) => {
  const text = `${String(error)} ${JSON.stringify(error)}`
  expect(text).not.toContain(SECRETS.apiKey)
  expect(text).not.toContain(SECRETS.sessionPrefix)
  expect(text).not.toContain(SECRETS.ssoPrefix)
}

beforeEach(async () => {
  sleeps.length = 0
  mx = await startFakeMx()
})
afterEach(async () => {
  mx.gate = undefined
  await client?.close()
  await mx.close()
})

describe('createNexusClient on a warm session', () => {
  it('a read is one request in the same session, decoded with the member schema (§3.2, §12)', async () => {
    await warm()
    let replies = 0
    mx.override = (r) =>
      r.path === memberPath && replies++ === 0
        ? {
            body: {
              member: { guid: 'MBR-1', connection_status: 'null', name: 'null', is_being_aggregated: false },
            },
          }
        : undefined
    const member = await client.readMember({ ...user, signal: new AbortController().signal })
    // §12: the literal "null" is no status and no name.
    expect(member).toMatchObject({ guid: 'MBR-1', connection_status: null, name: null })
    // §3.4: the older non-rooted member is accepted too.
    mx.override = (r) => (r.path === memberPath ? { body: { guid: 'MBR-1', name: 'Bank' } } : undefined)
    await expect(client.readMember(user)).resolves.toMatchObject({ guid: 'MBR-1', name: 'Bank' })
    expect(sent('GET', memberPath)).toBe(3)
    expect(sent('POST', '/nexus/sessions')).toBe(1)
  })

  it('a reply that does not match the schema is a DecodeError naming the field, not the value', async () => {
    await warm()
    mx.override = (r) =>
      r.path === memberPath ? { body: { member: { guid: 'MBR-1', revision: 'secret-ish' } } } : undefined
    const error = await rejection(client.readMember(user))
    expect(error).toBeInstanceOf(DecodeError)
    expect(error).toMatchObject({ api: 'nexus', method: 'GET', path: '/members/MBR-1' })
    expect(String((error as DecodeError).message)).not.toContain('secret-ish')
    expect(sent('GET', memberPath)).toBe(2)
  })

  it('a 401 drops the session, opens a new one and replays once (§1.5)', async () => {
    await warm()
    mx.expireSessions()
    await expect(client.readMember(user)).resolves.toMatchObject({ guid: 'MBR-1' })
    expect(sent('POST', '/nexus/sessions')).toBe(2)
    expect(sent('GET', memberPath)).toBe(3)
    // Rejected again after the replay: SessionExpiredError, and no third session.
    mx.override = (r) => (r.path === memberPath ? { status: 401 } : undefined)
    const error = await rejection(client.readMember(user))
    expect(error).toBeInstanceOf(SessionExpiredError)
    expect(sent('POST', '/nexus/sessions')).toBe(3)
    expect(sent('GET', memberPath)).toBe(5)
    noSecretIn(error)
  })

  it('a 429 waits for its Retry-After and is sent again; a 404 fails at once', async () => {
    await warm()
    let left = 1
    mx.override = (r) =>
      r.path === memberPath && left-- > 0 ? { status: 429, headers: { 'retry-after': '2' } } : undefined
    await expect(client.readMember(user)).resolves.toMatchObject({ guid: 'MBR-1' })
    expect(sleeps).toEqual([2000])
    expect(sent('GET', memberPath)).toBe(3)
    mx.override = (r) => (r.path === memberPath ? { status: 404 } : undefined)
    const error = await rejection(client.readMember(user))
    expect(error).toBeInstanceOf(HttpError)
    expect(error).toMatchObject({ status: 404, path: '/members/MBR-1' })
    expect(sent('GET', memberPath)).toBe(4)
    noSecretIn(error)
  })

  it('a write carrying credentials is not repeated on 503: the lifecycle decides (decision 0007)', async () => {
    await warm()
    mx.override = (r) => (r.method === 'PUT' && r.path === memberPath ? { status: 503 } : undefined)
    const error = await rejection(
      client.updateMember({ ...user, credentials: [{ guid: 'CRD-1', value: 'hunter2' }] }),
    )
    expect(error).toMatchObject({ _tag: 'HttpError', status: 503 })
    expect(sent('PUT', memberPath)).toBe(1)
    expect(String(error)).not.toContain('hunter2')
  })

  it('an abort while the request is out rejects with TransportError(aborted); an aborted signal sends nothing', async () => {
    await warm()
    let arrived: () => void = () => {}
    const arrival = new Promise<void>((resolve) => (arrived = resolve))
    let release: () => void = () => {}
    mx.gate = (r) =>
      r.path === memberPath
        ? new Promise<void>((resolve) => {
            release = resolve
            arrived()
          })
        : Promise.resolve()
    const controller = new AbortController()
    const pending = rejection(client.readMember({ ...user, signal: controller.signal }))
    await arrival
    controller.abort()
    const error = await pending
    release()
    expect(error).toBeInstanceOf(TransportError)
    expect(error).toMatchObject({ reason: 'aborted', method: 'GET', path: '/members/MBR-1' })
    noSecretIn(error)

    mx.gate = undefined
    const before = sent('GET', memberPath)
    const aborted = new AbortController()
    aborted.abort()
    const refused = await rejection(client.readMember({ ...user, signal: aborted.signal }))
    expect(refused).toMatchObject({ _tag: 'TransportError', reason: 'aborted' })
    expect(sent('GET', memberPath)).toBe(before)
    // The session is still good for the next call.
    await expect(client.readMember(user)).resolves.toMatchObject({ guid: 'MBR-1' })
    expect(sent('POST', '/nexus/sessions')).toBe(1)
  })
})
