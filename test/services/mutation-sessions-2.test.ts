import { Effect, Either, ManagedRuntime, Redacted } from 'effect'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createNexusClient } from '../../src/client/index.js'
import type { NexusClient } from '../../src/client/index.js'
import { HttpError } from '../../src/domain/index.js'
import { parseConfig } from '../../src/services/config.js'
import type { LogLine } from '../../src/services/config.js'
import { layerFromConfig } from '../../src/services/layers.js'
import type { NexusServices } from '../../src/services/layers.js'
import { NexusApi } from '../../src/services/nexus-api.js'
import { Sessions } from '../../src/services/sessions.js'
import { startFakeMx } from '../support/fake-mx.js'
import type { FakeMx } from '../support/fake-mx.js'

// Second round against src/services/sessions.ts' mutants (docs/testing.md ¹², ²¹), after the fiber-less
// path (decision 0006) split `withSession` into `fresh` and `after`. Oracles: Nexus reference §1.5 (a
// sliding 30-minute window: each call resets it) and the `sessionRenewAheadMs` option ("renew a session
// this long before its sliding 30-minute window would close": idle for exactly 30 min − 60 s is renewed,
// a millisecond less is not), on both request paths; docs/errors.md (an `HttpError` names its `api`,
// `method` and `path`).

const T0 = Date.parse('2026-06-01T00:00:00Z')
/** 30-minute window less the 60-s renew-ahead default. */
const FRESH_FOR = 30 * 60_000 - 60_000
let mx: FakeMx
let client: NexusClient | undefined
let runtime: ManagedRuntime.ManagedRuntime<NexusServices, never> | undefined
let t = T0
const lines: LogLine[] = []
const user = { userId: 'u1', memberGuid: 'MBR-1' }

const open = () => {
  client = createNexusClient({
    ...mx.config,
    clock: { now: () => t, sleep: () => Promise.resolve() },
    logger: (line) => lines.push(line),
  })
  return client
}
/** The Effect services on a runtime of their own layer (which carries the injected clock). */
const build = () => {
  const parsed = parseConfig({
    ...mx.config,
    clock: { now: () => t, sleep: () => Promise.resolve() },
    logger: (line: LogLine) => lines.push(line),
  })
  if (Either.isLeft(parsed)) throw parsed.left
  runtime = ManagedRuntime.make(layerFromConfig(parsed.right))
  return runtime
}
const sessionsOpened = () => mx.count('POST', '/nexus/sessions')
/** The read through the Effect service (never the facade's fiber-less path). */
const viaEffect = () => runtime!.runPromise(Effect.flatMap(NexusApi, (api) => api.readMember(user)))
const tokenVia = () =>
  runtime!.runPromise(Effect.flatMap(Sessions, (s) => s.token('u1'))).then((token) => Redacted.value(token))

beforeEach(async () => {
  t = T0
  lines.length = 0
  mx = await startFakeMx()
})
afterEach(async () => {
  await client?.close()
  client = undefined
  await runtime?.dispose()
  runtime = undefined
  await mx.close()
})

describe('the renewal boundary and the sliding window (§1.5, sessionRenewAheadMs)', () => {
  it.each([
    ['the facade (fiber-less on a fresh session)', open, () => client!.readMember(user)],
    ['the NexusApi service', build, viaEffect],
  ] as const)('through %s', async (_, start, read) => {
    start()
    await read()
    expect(sessionsOpened()).toBe(1)
    // Idle a millisecond less than the window less the renew-ahead: still fresh.
    t = T0 + FRESH_FOR - 1
    await read()
    expect(sessionsOpened()).toBe(1)
    // That call slid the window: the same idle time again is still fresh.
    t += FRESH_FOR - 1
    await read()
    expect(sessionsOpened()).toBe(1)
    expect(lines.some((l) => l.event === 'session.renew')).toBe(false)
    // Idle exactly the window less the renew-ahead: renewed before use.
    t += FRESH_FOR
    await read()
    expect(sessionsOpened()).toBe(2)
    expect(lines.filter((l) => l.event === 'session.renew')).toHaveLength(1)
    // And the new session is fresh from then on.
    await read()
    expect(sessionsOpened()).toBe(2)
  })

  it('Sessions.token: the same token while fresh, a new one at the boundary', async () => {
    build()
    const first = await tokenVia()
    t = T0 + FRESH_FOR - 1
    expect(await tokenVia()).toBe(first)
    expect(sessionsOpened()).toBe(1)
    // token() does not use the session: it does not slide the window (only calls do).
    t = T0 + FRESH_FOR
    const second = await tokenVia()
    expect(second).not.toBe(first)
    expect(sessionsOpened()).toBe(2)
  })
})

describe('a failed opening is an HttpError naming its request (docs/errors.md)', () => {
  it('POST /sessions answered 500', async () => {
    mx.override = (r) => (r.path === '/nexus/sessions' ? { status: 500, body: {} } : undefined)
    const error = await open()
      .readMember(user)
      .then(
        () => expect.fail('expected a rejection'),
        (e: unknown) => e,
      )
    expect(error).toBeInstanceOf(HttpError)
    expect(error).toMatchObject({ api: 'nexus', method: 'POST', path: '/sessions', status: 500 })
  })

  it('the SSO token read answered 401', async () => {
    mx.override = (r) => (r.path.startsWith('/sso/') ? { status: 401, body: {} } : undefined)
    const error = await open()
      .readMember(user)
      .then(
        () => expect.fail('expected a rejection'),
        (e: unknown) => e,
      )
    expect(error).toBeInstanceOf(HttpError)
    expect(error).toMatchObject({ api: 'sso', method: 'GET', status: 401 })
    expect((error as HttpError).path).toBe('/client-1/users/u1/api_token.json')
  })
})
