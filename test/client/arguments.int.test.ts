import { Effect, Either } from 'effect'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createNexusClient, type NexusClient } from '../../src/client/index.js'
import { ArgumentError, classify, HttpError } from '../../src/domain/index.js'
import { reconnectMember } from '../../src/reconnect-member.js'
import { NexusApi } from '../../src/services/nexus-api.js'
import { Sessions } from '../../src/services/sessions.js'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'

// Typed argument errors at the client's public entry points (issue 11, item 9): a bad argument is an
// ArgumentError naming the call and the field, raised before any I/O (the simulator's request log, SSO
// included, stays empty), never a raw TypeError and never a request to a path the argument moved.

let sim: Simulator
let client: NexusClient
let memberGuid: string
const SECRET = 'hunter2-do-not-echo'

beforeAll(async () => {
  sim = await startSimulator({ seed: 5, timeScale: 0 })
  memberGuid = sim.createMember({ userId: 'args-user', status: 'CONNECTED' })
  client = createNexusClient({
    nexusUrl: sim.nexusUrl,
    ssoUrl: sim.ssoUrl,
    clientId: sim.clientId,
    apiKey: sim.apiKey,
  })
})
afterAll(async () => {
  await client.close()
  await sim.close()
})
beforeEach(() => sim.clearRequests())

/** Calls `f` and returns what it rejected with (fails the test if it resolved or threw synchronously). */
async function refusal(f: () => Promise<unknown>): Promise<ArgumentError> {
  const settled = await f().then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(settled).toBeInstanceOf(ArgumentError)
  return settled as ArgumentError
}

/** Nothing reached the simulator: no SSO token request, no session, no Nexus call. */
const nothingSent = () => expect(sim.requests()).toEqual([])

// Casts: these are the calls a JavaScript caller (or a caller with `any` data) can make.
type Loose = Record<string, unknown>
const c = () => client as unknown as Record<string, (args?: unknown) => Promise<unknown>>

describe('user ids', () => {
  it.each([
    ['undefined', undefined, 'must be a non-empty string (got undefined)'],
    ['null', null, 'must be a non-empty string (got null)'],
    ['a number', 42, 'must be a non-empty string (got number)'],
    ['an empty string', '', 'must be a non-empty string'],
    ['with a control character', 'user\u0000x', 'must not contain control characters'],
    ['of 257 characters', 'u'.repeat(257), 'must be at most 256 characters'],
  ])('userId %s is refused before SSO is asked', async (_, userId, message) => {
    const error = await refusal(() => c().readMember!({ userId, memberGuid }))
    expect(error).toMatchObject({ _tag: 'ArgumentError', method: 'readMember', field: 'userId' })
    expect(classify(error)).toBe('fatal')
    expect(error.message).toBe(`readMember: userId ${message}`)
    await refusal(() => c().listMembers!({ userId }))
    nothingSent()
  })

  it.each([
    ['no arguments', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a string', 'args-user', 'string'],
    ['an array', ['args-user'], 'an array'],
  ])('%s instead of an argument object is an ArgumentError, not a TypeError', async (_, args, kind) => {
    for (const name of ['readMember', 'listMembers', 'updateMember', 'resumeAggregation', 'readJob']) {
      const error = await refusal(() => c()[name]!(args))
      expect(error).toMatchObject({ method: name, field: 'arguments' })
      expect(error.message).toBe(`${name}: arguments must be an object (got ${kind})`)
    }
    nothingSent()
  })
})

describe('guids cannot move the path', () => {
  it.each([
    '.',
    '..',
    '../users',
    'MBR-1/credentials',
    'MBR-1?page=2',
    'MBR-1#x',
    '%2e%2e',
    'a b',
    'MBR-\u0007',
    'M'.repeat(257),
    '',
    'a\\b',
  ])('memberGuid %j is refused on every member call', async (guid) => {
    const calls: readonly [string, Loose][] = [
      ['readMember', {}],
      ['listMemberCredentials', {}],
      ['listMemberChallenges', {}],
      ['aggregateMember', {}],
      ['oauthWindowUri', {}],
      ['updateMember', { credentials: [{ guid: 'CRD-1', value: SECRET }] }],
      ['resumeAggregation', { answers: [{ guid: 'CHL-1', value: SECRET }] }],
    ]
    for (const [name, extra] of calls) {
      const error = await refusal(() => c()[name]!({ userId: 'args-user', memberGuid: guid, ...extra }))
      expect(error).toMatchObject({ method: name, field: 'memberGuid' })
      expect(error.message).not.toContain(SECRET)
    }
    const job = await refusal(() => client.readJob({ userId: 'args-user', jobGuid: guid }))
    expect(job.field).toBe('jobGuid')
    nothingSent()
  })

  it('a well-formed guid still goes out (encoded) and gets MX’s answer', async () => {
    expect((await client.readMember({ userId: 'args-user', memberGuid })).guid).toBe(memberGuid)
    const missing = await client.readMember({ userId: 'args-user', memberGuid: 'MBR-no_such.member' }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(missing).toBeInstanceOf(HttpError)
    expect((missing as HttpError).status).toBe(404)
    expect(sim.requests().map((r) => r.path)).toContain('/members/MBR-no_such.member')
  })
})

describe('credentials and answers', () => {
  const base = () => ({ userId: 'args-user', memberGuid })
  it.each([
    [
      'credentials null',
      { credentials: null },
      'credentials',
      'must be an array of { guid, value } (got null)',
    ],
    ['credentials missing', {}, 'credentials', 'must be an array of { guid, value } (got undefined)'],
    ['an item null', { credentials: [null] }, 'credentials[0]', 'must be { guid, value } (got null)'],
    [
      'a value that is not a string',
      { credentials: [{ guid: 'CRD-1', value: 1234 }] },
      'credentials[0].value',
      'must be a string (got number)',
    ],
    [
      'a guid missing',
      { credentials: [{ value: SECRET }] },
      'credentials[0].guid',
      'must be a non-empty string (got undefined)',
    ],
    [
      'skipWebhook not a boolean',
      { credentials: [{ guid: 'CRD-1', value: SECRET }], skipWebhook: 'yes' },
      'skipWebhook',
      'must be a boolean',
    ],
  ])(
    'updateMember with %s: ArgumentError naming the field, no value echoed',
    async (_, extra, field, message) => {
      const error = await refusal(() => c().updateMember!({ ...base(), ...extra }))
      expect(error).toMatchObject({ method: 'updateMember', field })
      expect(error.message).toBe(`updateMember: ${field} ${message}`)
      expect(JSON.stringify(error)).not.toContain(SECRET)
      nothingSent()
    },
  )

  it('resumeAggregation without answers, or with answers that are not { guid, value }', async () => {
    for (const answers of [undefined, null, 'code', [{ guid: 'CHL-1' }]]) {
      const error = await refusal(() => c().resumeAggregation!({ ...base(), answers }))
      expect(error.method).toBe('resumeAggregation')
      expect(error.field).toMatch(/^answers/)
    }
    nothingSent()
  })

  it('a signal that is not an AbortSignal', async () => {
    const error = await refusal(() => c().readMember!({ ...base(), signal: { aborted: false } }))
    expect(error).toMatchObject({ field: 'signal', message: 'readMember: signal must be an AbortSignal' })
    nothingSent()
  })
})

describe('odd values and a closed client', () => {
  it('a symbol or an object as a guid is an ArgumentError, not a TypeError', async () => {
    for (const memberGuid of [Symbol('guid'), { toString: () => '..' }, 12]) {
      const error = await refusal(() => c().readMember!({ userId: 'args-user', memberGuid }))
      expect(error.field).toBe('memberGuid')
    }
    nothingSent()
  })

  it('a closed client still names the bad argument', async () => {
    const closed = createNexusClient({
      nexusUrl: sim.nexusUrl,
      ssoUrl: sim.ssoUrl,
      clientId: sim.clientId,
      apiKey: sim.apiKey,
    })
    await closed.close()
    const loose = closed as unknown as Record<string, (args?: unknown) => Promise<unknown>>
    const error = await refusal(() => loose.readMember!({ userId: 'args-user', memberGuid: Symbol('x') }))
    expect(error.field).toBe('memberGuid')
    nothingSent()
  })
})

describe('the Effect API checks too', () => {
  it('NexusApi methods fail with the ArgumentError, before any I/O', async () => {
    const result = await client.runtime.runPromise(
      Effect.either(
        Effect.flatMap(NexusApi, (api) =>
          api.readMember({ userId: undefined as unknown as string, memberGuid }),
        ),
      ),
    )
    expect(Either.isLeft(result) && result.left).toBeInstanceOf(ArgumentError)
    const dots = await client.runtime.runPromise(
      Effect.either(Effect.flatMap(NexusApi, (api) => api.readJob({ userId: 'args-user', jobGuid: '..' }))),
    )
    expect(Either.isLeft(dots) && dots.left._tag).toBe('ArgumentError')
    nothingSent()
  })

  it('the Sessions service refuses a missing user id before asking SSO', async () => {
    const noUser = undefined as unknown as string
    const token = await client.runtime.runPromise(
      Effect.either(Effect.flatMap(Sessions, (s) => s.token(noUser))),
    )
    expect(Either.isLeft(token) && token.left).toMatchObject({
      _tag: 'ArgumentError',
      method: 'token',
      message: 'token: userId must be a non-empty string (got undefined)',
    })
    const info = { api: 'nexus' as const, method: 'GET', path: '/members' }
    const used = await client.runtime.runPromise(
      Effect.either(Effect.flatMap(Sessions, (s) => s.withSession('', info, () => Effect.succeed(1)))),
    )
    expect(Either.isLeft(used) && used.left).toMatchObject({ _tag: 'ArgumentError', method: 'withSession' })
    nothingSent()
  })
})

describe('reconnectMember checks its options too', () => {
  const run = (options: unknown) =>
    refusal(() => reconnectMember(options as Parameters<typeof reconnectMember>[0]))

  it.each([
    ['no options', () => undefined, 'arguments', 'arguments must be an object (got undefined)'],
    [
      'userId undefined',
      () => ({ client, memberGuid }),
      'userId',
      'userId must be a non-empty string (got undefined)',
    ],
    [
      'memberGuid ".."',
      () => ({ client, userId: 'args-user', memberGuid: '..' }),
      'memberGuid',
      'memberGuid must not be "." or ".."',
    ],
    [
      'no client',
      () => ({ userId: 'args-user', memberGuid }),
      'client',
      'client must be a Nexus client (createNexusClient)',
    ],
    [
      'a provider that is not a function',
      () => ({ client, userId: 'args-user', memberGuid, credentials: 'hunter2' }),
      'credentials',
      'credentials must be a function',
    ],
  ])('%s: ArgumentError, nothing sent', async (_, options, field, message) => {
    const error = await run(options())
    expect(error).toMatchObject({ method: 'reconnectMember', field, message: `reconnectMember: ${message}` })
    nothingSent()
  })

  it('good options still run the lifecycle (a CONNECTED member connects)', async () => {
    const output = await reconnectMember({ client, userId: 'args-user', memberGuid })
    expect(output.outcome).toBe('connected')
  })
})
