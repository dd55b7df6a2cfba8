import { Effect, Either, Exit, Layer, ManagedRuntime } from 'effect'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ArgumentError, SessionExpiredError } from '../../src/domain/index.js'
import { NexusConfig, parseConfig } from '../../src/services/config.js'
import type { LogLine, NexusClientConfig } from '../../src/services/config.js'
import { layerFromConfig } from '../../src/services/layers.js'
import { fastPathOf, NexusApi, NexusApiLive } from '../../src/services/nexus-api.js'
import type { NexusApiService } from '../../src/services/nexus-api.js'
import { Sessions, SessionsLive } from '../../src/services/sessions.js'
import { makeTrafficCounters, TrafficStats } from '../../src/services/stats.js'
import { Transport, TransportLive } from '../../src/services/transport.js'
import { startFakeMx } from '../support/fake-mx.js'
import { installOtel } from '../telemetry/otel-harness.js'
import type { FakeMx } from '../support/fake-mx.js'

// Second round against the mutants Stryker left alive in src/services/nexus-api.ts (docs/testing.md ¹³).
// Oracles: docs/decisions/0006-request-hot-path.md (when the fiber-less path runs, and what it settles
// with: an `Either` for an error nothing would retry, the rest of the Effect program for a transient error
// within budget or a 401), the `FastPath` contract (false: no fresh session, a paginated call; a bad
// argument is refused before any I/O), docs/decisions/0007 (a submission is never resent by this layer),
// architecture.md rule 6 (reads retry 502), Nexus reference §1.5 (a second 401 is SessionExpiredError
// naming the request) and §3.6/§5/§3.8 (aggregate, jobs, OAuth window), and `stats()`' TSDoc.

/** An injected clock far from the real one: a path that read `Date.now()` instead would judge freshness wrongly. */
const T0 = 1_000_000_000_000
let mx: FakeMx
let t = T0
let runtime: ManagedRuntime.ManagedRuntime<NexusApi, never> | undefined
let counters = makeTrafficCounters()
const lines: LogLine[] = []
const user = { userId: 'u1', memberGuid: 'MBR-1' }

const build = (extra: Partial<NexusClientConfig> = {}) => {
  const parsed = parseConfig({
    ...mx.config,
    clock: { now: () => t, sleep: () => Promise.resolve() },
    logger: (line: LogLine) => lines.push(line),
    ...extra,
  })
  if (Either.isLeft(parsed)) throw parsed.left
  counters = makeTrafficCounters()
  runtime = ManagedRuntime.make(layerFromConfig(parsed.right, counters))
  return runtime
}
const apiOf = (rt: ManagedRuntime.ManagedRuntime<NexusApi, never>) => rt.runPromise(NexusApi)
/** Opens u1's session with a read of another member, so the calls after it find it fresh. */
const warmUp = (rt: ManagedRuntime.ManagedRuntime<NexusApi, never>, api: NexusApiService) =>
  rt.runPromise(api.readMember({ userId: 'u1', memberGuid: 'MBR-0' }))
const sent = (method: string, path: string) =>
  mx.server.requests.filter((r) => r.method === method && r.path === path).length

/** `start`'s answer and what `settle` got (once), waiting for the settle when `start` took the call. */
const startCall = async (
  api: NexusApiService,
  name: string,
  args: unknown,
): Promise<{ started: boolean; settled: unknown[] }> => {
  const fast = fastPathOf(api)
  expect(fast).toBeDefined()
  const settled: unknown[] = []
  let done!: () => void
  const settledOnce = new Promise<void>((resolve) => (done = resolve))
  const started = fast!.start(name, args, undefined, (result) => {
    settled.push(result)
    done()
  })
  if (started) await settledOnce
  return { started, settled }
}

beforeEach(async () => {
  t = T0
  lines.length = 0
  mx = await startFakeMx()
})
afterEach(async () => {
  await runtime?.dispose()
  runtime = undefined
  await mx.close()
})

describe('the fiber-less path runs only with a fresh session (decision 0006)', () => {
  it('no session yet: start declines and sends nothing; once one is open it takes the call and settles with the member', async () => {
    const rt = build()
    const api = await apiOf(rt)
    const before = mx.server.requests.length
    const cold = await startCall(api, 'readMember', user)
    expect(cold).toEqual({ started: false, settled: [] })
    expect(mx.server.requests.length).toBe(before)
    await warmUp(rt, api)
    const warm = await startCall(api, 'readMember', user)
    expect(warm.started).toBe(true)
    expect(warm.settled).toHaveLength(1)
    const result = warm.settled[0]
    expect(Either.isEither(result) && Either.isRight(result)).toBe(true)
    expect((result as Either.Right<never, { guid: string }>).right.guid).toBe('MBR-1')
    // One session, two Nexus reads.
    expect(sent('POST', '/nexus/sessions')).toBe(1)
    expect(sent('GET', '/nexus/members/MBR-1')).toBe(1)
  })

  it('a session past its renewal window (by the injected clock) is not fresh: start declines', async () => {
    const rt = build()
    const api = await apiOf(rt)
    await rt.runPromise(api.readMember(user))
    t = T0 + 30 * 60_000 // the 30-minute window (§1.5), renewed ahead of it
    expect((await startCall(api, 'readMember', user)).started).toBe(false)
  })

  it('a paginated call or a name that is no call is declined', async () => {
    const rt = build()
    const api = await apiOf(rt)
    await rt.runPromise(api.readMember(user))
    expect((await startCall(api, 'listMembers', { userId: 'u1' })).started).toBe(false)
    expect((await startCall(api, 'toString', { userId: 'u1' })).started).toBe(false)
  })

  it("while an OpenTelemetry provider records, start declines (spans and counts are the Effect program's)", async () => {
    const rt = build()
    const api = await apiOf(rt)
    await warmUp(rt, api)
    expect((await startCall(api, 'readMember', user)).started).toBe(true)
    const otel = installOtel()
    try {
      expect((await startCall(api, 'readMember', user)).started).toBe(false)
    } finally {
      await otel.close()
    }
    expect((await startCall(api, 'readMember', user)).started).toBe(true)
  })

  it('a bad argument is taken and refused at once with an ArgumentError, before any I/O', async () => {
    const rt = build()
    const api = await apiOf(rt)
    await rt.runPromise(api.readMember(user))
    const before = mx.server.requests.length
    const fast = fastPathOf(api)!
    const settled: unknown[] = []
    const started = fast.start('readMember', { userId: 'u1' }, undefined, (r) => settled.push(r))
    expect(started).toBe(true)
    expect(settled).toHaveLength(1)
    const result = settled[0] as Either.Either<unknown, unknown>
    expect(Either.isLeft(result) && result.left).toBeInstanceOf(ArgumentError)
    expect(mx.server.requests.length).toBe(before)
  })

  it('a NexusApi over a Transport that is not the built-in one has no fiber-less path', async () => {
    const parsed = parseConfig({ ...mx.config })
    if (Either.isLeft(parsed)) throw parsed.left
    const base = Layer.merge(
      Layer.succeed(NexusConfig, parsed.right),
      Layer.succeed(TrafficStats, makeTrafficCounters()),
    )
    const builtIn = Layer.provideMerge(TransportLive, base)
    // The same transport, wrapped: a custom Transport (decision 0006: the call runs as an Effect program).
    const custom = Layer.provideMerge(
      Layer.effect(
        Transport,
        Effect.map(Transport, (t) => Transport.of({ send: (r) => t.send(r) })),
      ),
      builtIn,
    )
    const layer = Layer.provideMerge(NexusApiLive, Layer.provideMerge(SessionsLive, custom))
    const rt = ManagedRuntime.make(layer)
    try {
      const api = await rt.runPromise(NexusApi)
      expect(fastPathOf(api)).toBeUndefined()
      await expect(rt.runPromise(api.readMember(user))).resolves.toMatchObject({ guid: 'MBR-1' })
    } finally {
      await rt.dispose()
    }
  })
  it('a NexusApi over a Sessions service that is not the built-in one has no fiber-less path', async () => {
    const parsed = parseConfig({ ...mx.config })
    if (Either.isLeft(parsed)) throw parsed.left
    const base = Layer.merge(
      Layer.succeed(NexusConfig, parsed.right),
      Layer.succeed(TrafficStats, makeTrafficCounters()),
    )
    const sessions = Layer.provideMerge(SessionsLive, Layer.provideMerge(TransportLive, base))
    // The built-in sessions, wrapped: a custom Sessions service (decision 0006: the call runs as an Effect program).
    const custom = Layer.provideMerge(
      Layer.effect(
        Sessions,
        Effect.map(Sessions, (s) =>
          Sessions.of({ withSession: s.withSession, token: s.token, invalidate: s.invalidate }),
        ),
      ),
      sessions,
    )
    const rt = ManagedRuntime.make(Layer.provideMerge(NexusApiLive, custom))
    try {
      const api = await rt.runPromise(NexusApi)
      expect(fastPathOf(api)).toBeUndefined()
      await rt.runPromise(api.readMember(user))
      await expect(rt.runPromise(api.readMember(user))).resolves.toMatchObject({ guid: 'MBR-1' })
    } finally {
      await rt.dispose()
    }
  })
})

describe('what the fiber-less path settles with after its first send (decision 0006)', () => {
  const effectOf = (result: unknown) => {
    expect(Effect.isEffect(result) && !Either.isEither(result)).toBe(true)
    return result as Effect.Effect<unknown, unknown>
  }
  const leftOf = (result: unknown) => {
    expect(Either.isEither(result)).toBe(true)
    const either = result as Either.Either<unknown, unknown>
    if (Either.isRight(either)) throw new Error('expected a Left')
    return either.left
  }

  it('a 404 (nothing would retry it) settles at once with its HttpError', async () => {
    const rt = build()
    const api = await apiOf(rt)
    await warmUp(rt, api)
    mx.override = (r) => (r.path === '/nexus/members/MBR-1' ? { status: 404, body: {} } : undefined)
    const { settled } = await startCall(api, 'readMember', user)
    expect(leftOf(settled[0])).toMatchObject({ _tag: 'HttpError', status: 404 })
  })

  it('a read answered 503 within the read budget continues as the Effect program, which retries it', async () => {
    const rt = build()
    const api = await apiOf(rt)
    await warmUp(rt, api)
    let n = 0
    mx.override = (r) =>
      r.path === '/nexus/members/MBR-1' && n++ === 0 ? { status: 503, body: {} } : undefined
    const { settled } = await startCall(api, 'readMember', user)
    const rest = effectOf(settled[0])
    await expect(rt.runPromise(rest)).resolves.toMatchObject({ guid: 'MBR-1' })
    expect(sent('GET', '/nexus/members/MBR-1')).toBe(2)
  })

  it('with no read retries configured, a 503 settles at once with its HttpError', async () => {
    const rt = build({ retry: { reads: 0 } })
    const api = await apiOf(rt)
    await warmUp(rt, api)
    mx.override = (r) => (r.path === '/nexus/members/MBR-1' ? { status: 503, body: {} } : undefined)
    const { settled } = await startCall(api, 'readMember', user)
    expect(leftOf(settled[0])).toMatchObject({ _tag: 'HttpError', status: 503 })
    expect(sent('GET', '/nexus/members/MBR-1')).toBe(1)
  })

  it('a 401 continues as the program; a second 401 is a SessionExpiredError naming the request (§1.5)', async () => {
    const rt = build()
    const api = await apiOf(rt)
    await warmUp(rt, api)
    mx.override = (r) => (r.path === '/nexus/members/MBR-1' ? { status: 401, body: {} } : undefined)
    const { settled } = await startCall(api, 'readMember', user)
    const exit = await rt.runPromiseExit(effectOf(settled[0]))
    if (Exit.isSuccess(exit) || exit.cause._tag !== 'Fail') throw new Error('expected a failure')
    const error = exit.cause.error
    expect(error).toBeInstanceOf(SessionExpiredError)
    expect(error).toMatchObject({ userId: 'u1', method: 'GET', path: '/members/MBR-1' })
    const renew = lines.find((l) => l.event === 'session.renew' && l.status === 401)
    expect(renew).toMatchObject({ api: 'nexus', method: 'GET', path: '/members/MBR-1' })
  })
})

describe('the NexusApi service as an Effect user sees it', () => {
  it('a second 401 fails with SessionExpiredError naming the request; the renewal is logged for the Nexus API', async () => {
    const rt = build()
    const api = await apiOf(rt)
    mx.override = (r) => (r.path === '/nexus/members/MBR-1' ? { status: 401, body: {} } : undefined)
    const error = await rt.runPromise(Effect.flip(api.readMember(user)))
    expect(error).toBeInstanceOf(SessionExpiredError)
    expect(error).toMatchObject({ userId: 'u1', method: 'GET', path: '/members/MBR-1' })
    expect(error.message).toContain('GET /members/MBR-1')
    const renew = lines.find((l) => l.event === 'session.renew' && l.status === 401)
    expect(renew).toMatchObject({ api: 'nexus', method: 'GET', path: '/members/MBR-1' })
  })

  it('a submission answered 503 is not sent again (decision 0007); a plain write is (rule 6)', async () => {
    const rt = build({ retry: { writes: 2 } })
    const api = await apiOf(rt)
    mx.override = (r) =>
      r.method === 'PUT' && r.path === '/nexus/members/MBR-1' ? { status: 503, body: {} } : undefined
    const credentials = [{ guid: 'CRD-1', value: 'hunter2' }]
    const error = await rt.runPromise(Effect.flip(api.updateMember({ ...user, credentials })))
    expect(error).toMatchObject({ _tag: 'HttpError', status: 503 })
    expect(sent('PUT', '/nexus/members/MBR-1')).toBe(1)
    const answers = [{ guid: 'CRD-q', value: 'Sandy' }]
    mx.override = (r) => (r.path === '/nexus/members/MBR-1/resume' ? { status: 503, body: {} } : undefined)
    await rt.runPromise(Effect.flip(api.resumeAggregation({ ...user, answers })))
    expect(sent('PUT', '/nexus/members/MBR-1/resume')).toBe(1)
    // An update with no credentials is a plain write: a 503 (MX did not process it) is repeated.
    mx.override = (r) =>
      r.method === 'PUT' && r.path === '/nexus/members/MBR-1' ? { status: 503, body: {} } : undefined
    await rt.runPromise(Effect.flip(api.updateMember({ ...user, credentials: [] })))
    expect(sent('PUT', '/nexus/members/MBR-1')).toBe(1 + 3)
  })

  it('listMembers is a read: a 502 is retried (rule 6)', async () => {
    const rt = build()
    const api = await apiOf(rt)
    let n = 0
    mx.override = (r) => (r.path === '/nexus/members' && n++ === 0 ? { status: 502, body: {} } : undefined)
    const members = await rt.runPromise(api.listMembers({ userId: 'u1' }))
    expect(members.map((m) => m.guid)).toEqual(['MBR-1'])
    expect(sent('GET', '/nexus/members')).toBe(2)
  })

  it('stats() counts the requests and sessions opened since the layer was built', async () => {
    const rt = build()
    const api = await apiOf(rt)
    expect(api.stats()).toEqual({ requests: 0, sessionsOpened: 0 })
    await rt.runPromise(api.readMember(user))
    await rt.runPromise(api.readMember(user))
    // SSO token, POST /sessions, two reads.
    expect(api.stats()).toEqual({ requests: mx.server.requests.length, sessionsOpened: 1 })
    expect(mx.server.requests.length).toBe(4)
  })

  it('aggregateMember, readJob and oauthWindowUri: the documented request, decoded, and their own name in an ArgumentError', async () => {
    const rt = build()
    const api = await apiOf(rt)
    mx.override = (r) =>
      r.path === '/nexus/members/MBR-1/aggregate'
        ? { body: { member: { guid: 'MBR-1', job_guid: 'JOB-1', status: 'STARTED' } } }
        : r.path === '/nexus/jobs/JOB-1'
          ? { body: { job: { guid: 'JOB-1', status: 6, status_name: 'COMPLETED' } } }
          : r.path === '/nexus/members/MBR-1/oauth_window_uri'
            ? {
                body: {
                  member: { guid: 'MBR-1', oauth_window_uri: 'https://int-widgets.moneydesktop.com/oauth/x' },
                },
              }
            : undefined
    await expect(rt.runPromise(api.aggregateMember(user))).resolves.toBeDefined()
    await expect(rt.runPromise(api.readJob({ userId: 'u1', jobGuid: 'JOB-1' }))).resolves.toMatchObject({
      guid: 'JOB-1',
    })
    await expect(rt.runPromise(api.oauthWindowUri(user))).resolves.toBe(
      'https://int-widgets.moneydesktop.com/oauth/x',
    )
    expect(sent('GET', '/nexus/members/MBR-1/aggregate')).toBe(1)
    expect(sent('GET', '/nexus/jobs/JOB-1')).toBe(1)
    expect(sent('GET', '/nexus/members/MBR-1/oauth_window_uri')).toBe(1)
    for (const [name, call] of [
      ['aggregateMember', () => Effect.asVoid(api.aggregateMember({ userId: 'u1' } as never))],
      ['readJob', () => Effect.asVoid(api.readJob({ userId: 'u1' } as never))],
      ['oauthWindowUri', () => Effect.asVoid(api.oauthWindowUri({ userId: 'u1' } as never))],
    ] as const) {
      const error = await rt.runPromise(Effect.flip(call()))
      expect(error).toBeInstanceOf(ArgumentError)
      expect(error).toMatchObject({ method: name })
      expect(error.message.startsWith(`${name}: `)).toBe(true)
    }
  })
})
