import { Cause, Effect, Either, Exit, Fiber, ManagedRuntime, Option, Redacted } from 'effect'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ArgumentError, HttpError } from '../../src/domain/index.js'
import { parseConfig } from '../../src/services/config.js'
import type { LogLine, NexusClientConfig } from '../../src/services/config.js'
import { layerFromConfig } from '../../src/services/layers.js'
import { Sessions } from '../../src/services/sessions.js'
import { SECRETS, startFakeMx } from '../support/fake-mx.js'
import type { FakeMx } from '../support/fake-mx.js'

// The `Sessions` service as an Effect user sees it (exported from the package root), written against the
// mutants Stryker left in sessions.ts. Oracles: the Nexus reference §1.3 (SSO 404 → create the user via
// MDX, then retry once; still 404 is a configuration problem), §1.4/§1.5 (one session per user, reused
// while fresh), the service's documented contract (`token`, `invalidate`: "an opening one is kept") and
// LogLine's documented events. A fake MX on loopback HTTP; no timers.

let mx: FakeMx
let runtime: ManagedRuntime.ManagedRuntime<Sessions, never> | undefined
let lines: LogLine[]

beforeEach(async () => {
  mx = await startFakeMx()
  lines = []
})
afterEach(async () => {
  await runtime?.dispose()
  runtime = undefined
  await mx.close()
})

function sessions(extra: Partial<NexusClientConfig> = {}) {
  const parsed = parseConfig({
    ...mx.config,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    logger: (line: LogLine) => lines.push(line),
    ...extra,
  })
  if (Either.isLeft(parsed)) throw parsed.left
  runtime = ManagedRuntime.make(layerFromConfig(parsed.right))
  const run = runtime
  return <A, E>(f: (s: Sessions['Type']) => Effect.Effect<A, E>) =>
    run.runPromiseExit(Effect.flatMap(Sessions, f))
}

const value = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isFailure(exit)) throw new Error(`expected success, got ${Cause.pretty(exit.cause)}`)
  return exit.value
}
/** The typed failure of an effect that must fail. */
const errorOf = async <A, E>(pending: Promise<Exit.Exit<A, E>>): Promise<E> => {
  const exit = await pending
  if (Exit.isSuccess(exit)) throw new Error('expected a failure')
  const found = Cause.failureOption(exit.cause)
  if (Option.isNone(found)) throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return found.value
}

describe('Sessions.token (§1.3–§1.5)', () => {
  it('concurrent first calls for one user share one SSO token and one session', async () => {
    const use = sessions()
    const [a, b, c] = value(
      await use((s) =>
        Effect.all([s.token('u1'), s.token('u1'), s.token('u1')], { concurrency: 'unbounded' }),
      ),
    )
    expect(mx.count('GET', '/sso/')).toBe(1)
    expect(mx.count('POST', '/nexus/sessions')).toBe(1)
    expect(Redacted.value(a)).toBe(Redacted.value(b))
    expect(Redacted.value(b)).toBe(Redacted.value(c))
    expect(mx.sessions.get(Redacted.value(a))?.userId).toBe('u1')
    // Fresh: the next call is answered from the cache.
    const again = value(await use((s) => s.token('u1')))
    expect(Redacted.value(again)).toBe(Redacted.value(a))
    expect(mx.count('POST', '/nexus/sessions')).toBe(1)
    // Another user gets its own session.
    const other = value(await use((s) => s.token('u2')))
    expect(mx.sessions.get(Redacted.value(other))?.userId).toBe('u2')
    expect(mx.count('POST', '/nexus/sessions')).toBe(2)
    // Joining an opening and reusing a fresh session are no renewals.
    const sessionEvents = lines
      .filter((l) => l.event.startsWith('session'))
      .map((l) => `${l.event} ${l.userId}`)
    expect(sessionEvents).toEqual(['session.open u1', 'session.open u2'])
  })

  it('refuses a missing user id before any request (ArgumentError), for token and withSession', async () => {
    const use = sessions()
    for (const userId of ['', undefined as unknown as string]) {
      const fromToken = await errorOf(use((s) => s.token(userId)))
      expect(fromToken).toBeInstanceOf(ArgumentError)
      expect(fromToken).toMatchObject({ method: 'token', field: 'userId' })
      const info = { api: 'nexus' as const, method: 'GET', path: '/members' }
      const fromWith = await errorOf(use((s) => s.withSession(userId, info, () => Effect.succeed(1))))
      expect(fromWith).toMatchObject({ _tag: 'ArgumentError', method: 'withSession', field: 'userId' })
    }
    expect(mx.server.requests).toEqual([])
  })
})

describe('request kinds (architecture.md rule 6: reads retry 502/503/504, writes only 429/503)', () => {
  it('the SSO token read is a read: a 502 is retried; POST /sessions is a write: a 502 is not', async () => {
    const use = sessions()
    let ssoFailures = 1
    mx.override = (request) =>
      request.path.startsWith('/sso/') && ssoFailures-- > 0 ? { status: 502 } : undefined
    value(await use((s) => s.token('u1')))
    expect(mx.count('GET', '/sso/')).toBe(2)
    mx.override = (request) =>
      request.method === 'POST' && request.path === '/nexus/sessions' ? { status: 502 } : undefined
    const error = await errorOf(use((s) => s.token('u2')))
    expect(error).toMatchObject({ _tag: 'HttpError', api: 'nexus', status: 502 })
    expect(mx.count('POST', '/nexus/sessions')).toBe(2)
  })
})

describe('Sessions.invalidate', () => {
  it('forgets the live session: the next call opens a new one', async () => {
    const use = sessions()
    const first = value(await use((s) => s.token('u1')))
    value(await use((s) => s.invalidate('u1')))
    const second = value(await use((s) => s.token('u1')))
    expect(Redacted.value(second)).not.toBe(Redacted.value(first))
    expect(mx.count('POST', '/nexus/sessions')).toBe(2)
    // Forgetting a user without a session changes nothing.
    value(await use((s) => s.invalidate('nobody')))
    expect(mx.server.requests).toHaveLength(4)
  })

  it('keeps a session being opened: callers waiting on it, and the next one, get that session', async () => {
    const use = sessions()
    let release: (() => void) | undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    let arrived: (() => void) | undefined
    const ssoArrived = new Promise<void>((resolve) => (arrived = resolve))
    mx.gate = async (request) => {
      if (request.path.startsWith('/sso/')) {
        arrived!()
        await held
      }
    }
    const opening = use((s) =>
      Effect.gen(function* () {
        const fiber = yield* Effect.fork(s.token('u1'))
        yield* Effect.promise(() => ssoArrived)
        yield* s.invalidate('u1')
        release!()
        return yield* Fiber.join(fiber)
      }),
    )
    const token = value(await opening)
    mx.gate = undefined
    const next = value(await use((s) => s.token('u1')))
    expect(Redacted.value(next)).toBe(Redacted.value(token))
    expect(mx.count('POST', '/nexus/sessions')).toBe(1)
  })
})

describe('unknown users with createUsers (§1.2, §1.3)', () => {
  for (const status of [409, 422]) {
    it(`MDX answers ${status} (created meanwhile elsewhere): the SSO token is asked for once more`, async () => {
      const use = sessions({ createUsers: true })
      mx.unknownUsers.add('racer')
      mx.override = (request) => {
        if (request.method !== 'POST' || !request.path.startsWith('/mdx/')) return undefined
        mx.unknownUsers.delete('racer')
        return { status, body: { error: { message: 'user already exists' } } }
      }
      const token = value(await use((s) => s.token('racer')))
      expect(mx.sessions.get(Redacted.value(token))?.userId).toBe('racer')
      expect(mx.count('POST', '/mdx/')).toBe(1)
      expect(mx.count('GET', '/sso/')).toBe(2)
    })
  }

  it('another MDX failure is the caller’s error, and SSO is not asked again', async () => {
    const use = sessions({ createUsers: true })
    mx.unknownUsers.add('refused')
    mx.override = (request) =>
      request.method === 'POST' && request.path.startsWith('/mdx/') ? { status: 403 } : undefined
    const error = await errorOf(use((s) => s.token('refused')))
    expect(error).toBeInstanceOf(HttpError)
    expect(error).toMatchObject({ api: 'mdx', status: 403 })
    expect(mx.count('GET', '/sso/')).toBe(1)
  })

  it('an SSO failure other than 404 (a wrong key: 401, an IP not allowed: 403) creates no user', async () => {
    const use = sessions({ createUsers: true })
    for (const status of [401, 403]) {
      mx.override = (request) => (request.path.startsWith('/sso/') ? { status } : undefined)
      const error = await errorOf(use((s) => s.token(`refused-${status}`)))
      expect(error).toMatchObject({ _tag: 'HttpError', api: 'sso', status })
    }
    expect(mx.count('POST', '/mdx/')).toBe(0)
    expect(mx.count('GET', '/sso/')).toBe(2)
  })

  it('still 404 after creating the user: a configuration problem, reported after one retry', async () => {
    const use = sessions({ createUsers: true })
    mx.unknownUsers.add('ghost')
    mx.override = (request) =>
      request.method === 'POST' && request.path.startsWith('/mdx/')
        ? { body: { user: { id: 'ghost', guid: 'USR-ghost', is_disabled: false } } }
        : undefined
    const error = await errorOf(use((s) => s.token('ghost')))
    expect(error).toMatchObject({ _tag: 'HttpError', api: 'sso', status: 404 })
    expect(mx.count('POST', '/mdx/')).toBe(1)
    expect(mx.count('GET', '/sso/')).toBe(2)
    expect(mx.count('POST', '/nexus/sessions')).toBe(0)
  })
})

describe('log lines (LogLine: session.open, session.renew, session.expired, user.create)', () => {
  const events = (userId: string) =>
    lines.filter((l) => l.userId === userId && l.event !== 'http' && l.event !== 'retry').map((l) => l.event)

  it('renewing ahead of the 30-minute window (§1.5) logs session.renew, then session.open', async () => {
    let now = 1_000_000
    const use = sessions({ clock: { now: () => now }, sessionRenewAheadMs: 60_000 })
    const first = value(await use((s) => s.token('idle')))
    now += 29 * 60_000 + 1
    const second = value(await use((s) => s.token('idle')))
    expect(Redacted.value(second)).not.toBe(Redacted.value(first))
    expect(events('idle')).toEqual(['session.open', 'session.renew', 'session.open'])
  })

  it('names the user for each session event, and never carries a token', async () => {
    const use = sessions({ createUsers: true })
    mx.unknownUsers.add('logged')
    value(await use((s) => s.token('logged')))
    expect(events('logged')).toEqual(['user.create', 'session.open'])
    const info = { api: 'nexus' as const, method: 'GET', path: '/members/MBR-1' }
    let calls = 0
    const rejected = await errorOf(
      use((s) =>
        s.withSession('logged', info, () => {
          calls++
          return Effect.fail(
            new HttpError({ api: 'nexus', status: 401, method: 'GET', path: info.path, message: 'x' }),
          )
        }),
      ),
    )
    expect(calls).toBe(2)
    expect(rejected).toMatchObject({
      _tag: 'SessionExpiredError',
      userId: 'logged',
      method: 'GET',
      path: info.path,
    })
    expect(events('logged')).toEqual([
      'user.create',
      'session.open',
      'session.renew',
      'session.open',
      'session.expired',
    ])
    const renew = lines.find((l) => l.event === 'session.renew')
    expect(renew).toMatchObject({ api: 'nexus', method: 'GET', path: info.path, status: 401 })
    const expired = lines.find((l) => l.event === 'session.expired')
    expect(expired).toMatchObject({ method: 'GET', path: info.path })
    const text = JSON.stringify(lines)
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret)
  })
})
