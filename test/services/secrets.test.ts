import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNexusClient } from '../../src/client/index.js'
import type { NexusClient } from '../../src/client/index.js'
import type { LogLine } from '../../src/services/config.js'
import { startFakeMx } from '../support/fake-mx.js'
import type { FakeMx } from '../support/fake-mx.js'

// Rule 8: no token, key, credential value or answer in any error or log line. Every secret in this file
// (API key, SSO tokens, session tokens, credential values, answers) contains the marker below; the test
// drives every failure path it can and greps everything the library produced for the marker.

const MARK = '5ecret'
const credentials = [
  { guid: 'CRD-login', value: `CREDVALUE-${MARK}-user` },
  { guid: 'CRD-pass', value: `CREDVALUE-${MARK}-pass` },
]
const answers = [{ guid: 'CRD-q1', value: `ANSWER-${MARK}-sandy` }]

let mx: FakeMx
let client: NexusClient
const lines: LogLine[] = []
const errors: unknown[] = []
const capture = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => void errors.push(e),
  )
const echo = (body: string) => ({
  status: 400,
  body: { error: { code: 4001, message: `bad input ${body}` } },
})

beforeAll(async () => {
  mx = await startFakeMx()
  // Calls that must succeed get a generous deadline: a loaded machine must not turn them into timeouts
  // (issue 10, item 7). The timeout path below uses its own client and a reply that never comes.
  client = createNexusClient({
    ...mx.config,
    timeoutMs: 10_000,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    logger: (line) => lines.push(line),
  })
})
afterAll(async () => {
  await client.close()
  await mx.close()
})

describe('secrets never reach errors or logs', () => {
  it('drives the failure paths and greps what came out', async () => {
    const u = { userId: 'u1', memberGuid: 'MBR-1' }
    await client.readMember(u)
    mx.expireSessions()
    await client.updateMember({ ...u, credentials })

    // MX echoing the request (credential values, answers) in error bodies.
    mx.override = (r) => (r.method === 'PUT' ? echo(r.body) : undefined)
    await capture(client.updateMember({ ...u, credentials }))
    await capture(client.resumeAggregation({ ...u, answers }))

    // Malformed / wrong-shaped replies quoting a session token.
    const token = [...mx.sessions.keys()].at(-1)!
    mx.override = (r) => (r.method === 'GET' ? { body: `{"member": {"guid": "${token}` } : undefined)
    await capture(client.readMember(u))
    mx.override = (r) => (r.method === 'GET' ? { body: { member: { guid: 7, name: token } } } : undefined)
    await capture(client.readMember(u))

    // Retries, resets and timeouts with secret bodies in flight.
    mx.override = (r) =>
      r.method === 'GET' ? { status: 503, body: { error: { message: token } } } : undefined
    await capture(client.readMember(u))
    mx.override = (r) => (r.method === 'PUT' ? { destroy: true } : undefined)
    await capture(client.updateMember({ ...u, credentials }))
    mx.override = undefined
    // A timeout with answers in flight: the server holds the reply until the client has given up, so
    // the timeout fires whatever the machine's speed (no race between a delay and a deadline).
    const timing = createNexusClient({
      ...mx.config,
      timeoutMs: 1_000,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      logger: (line) => lines.push(line),
    })
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    mx.gate = (r) => (r.method === 'PUT' ? held : Promise.resolve())
    await capture(timing.resumeAggregation({ ...u, answers }))
    mx.gate = undefined
    release()
    await timing.close()

    // Session rejected twice, and SSO refusing the key.
    mx.override = (r) => (r.path.startsWith('/nexus/members') ? { status: 401 } : undefined)
    await capture(client.updateMember({ ...u, credentials }))
    mx.override = (r) =>
      r.path.startsWith('/sso/')
        ? { status: 401, body: { error: { message: r.headers['md-api-key'] } } }
        : undefined
    await capture(client.readMember({ ...u, userId: 'u2' }))
    mx.override = (r) => (r.path === '/nexus/sessions' ? echo(String(r.headers['md-api-token'])) : undefined)
    await capture(client.readMember({ ...u, userId: 'u3' }))
    mx.override = undefined

    // A config error on the key itself.
    try {
      createNexusClient({ ...mx.config, apiKey: { key: `KEY-${MARK}` } as unknown as string })
    } catch (e) {
      errors.push(e)
    }

    expect(errors.map((e) => (e as { _tag?: string })._tag).sort()).toEqual([
      'ConfigError',
      'DecodeError',
      'DecodeError',
      'HttpError',
      'HttpError',
      'HttpError',
      'HttpError',
      'HttpError',
      'SessionExpiredError',
      'TransportError',
      'TransportError',
    ])
    expect(lines.length).toBeGreaterThan(20)
    expect(lines.some((l) => l.event === 'retry') && lines.some((l) => l.event === 'session.renew')).toBe(
      true,
    )
    // The server did see the secrets: the grep below is meaningful.
    expect(mx.server.requests.some((r) => r.body.includes(MARK))).toBe(true)

    const produced = [
      ...lines.map((l) => JSON.stringify(l)),
      ...errors.flatMap((e) => [
        JSON.stringify(e),
        String(e),
        inspect(e, { depth: 5 }),
        (e as Error).stack ?? '',
      ]),
    ].join('\n')
    expect(produced).not.toContain(MARK)
  })
})
