import { createActor, type AnyActorLogic } from 'xstate'
import { describe, expect, it } from 'vitest'
import { createLifecycleActors } from '../../src/bridge/actors.js'
import { createSecretVault } from '../../src/bridge/vault.js'
import type { NexusClientApi } from '../../src/client/types.js'
import { HttpError, SessionExpiredError, TransportError } from '../../src/domain/errors.js'
import type { ServiceFailure } from '../../machines/member-lifecycle/index.js'
import { SimClock, settle } from '../support/lifecycle-clock.js'
import { MEMBER_GUID, ScriptedServer, type ServerScript } from '../support/scripted-client.js'

// The bridge's actors: stamping with the clock, failures as data, the vault, re-runs after a restore, and
// the abort signal reaching the client (invariant 8).

const script: ServerScript = {
  initialStatus: 'DENIED',
  initialAggregating: false,
  isOauth: false,
  fields: [{ optional: false, type: 'LOGIN' }],
  jobs: [
    {
      running: 'UPDATED',
      durationMs: 5_000,
      rounds: [],
      afterMfaMs: 0,
      result: 'CONNECTED',
      jobStartReply: false,
    },
  ],
  faults: [],
  latencyMs: 250,
  oauthUri: true,
  challengeTtlMs: 300_000,
}

function setup(overrides: Partial<ServerScript> = {}) {
  const clock = new SimClock()
  const server = new ScriptedServer({ ...script, ...overrides }, clock, () => ({
    state: 'test',
    webhook: false,
  }))
  const vault = createSecretVault({ clock })
  const actors = createLifecycleActors({ client: server, clock, vault })
  return { clock, server, vault, actors }
}

/** Runs one actor logic to its end on the simulated clock. */
async function run(clock: SimClock, logic: AnyActorLogic, input: unknown, snapshot?: unknown) {
  const actor = createActor(logic, snapshot === undefined ? { input } : ({ snapshot, input } as never))
  let result: { ok: true; output: unknown } | { ok: false; error: unknown } | undefined
  actor.subscribe({
    complete: () => (result = { ok: true, output: (actor.getSnapshot() as { output?: unknown }).output }),
    error: (error) => (result = { ok: false, error }),
  })
  actor.start()
  for (let i = 0; i < 100 && result === undefined; i++) {
    await settle()
    if (result === undefined && !clock.advance()) break
  }
  return result
}

const member = { userId: 'user-1', memberGuid: MEMBER_GUID }

describe('bridge actors', () => {
  it('stamp results with the clock at the time they were observed', async () => {
    const { clock, actors } = setup()
    const start = clock.now()
    const result = await run(clock, actors.readMember, member)
    expect(result).toMatchObject({ ok: true, output: { at: start + 250, member: { guid: MEMBER_GUID } } })
  })

  it.each([
    [new HttpError({ api: 'nexus', method: 'GET', path: '/m', status: 503, message: 'x' }), 'retry'],
    [
      new HttpError({
        api: 'nexus',
        method: 'GET',
        path: '/m',
        status: 429,
        retryAfterMs: 2_000,
        message: 'x',
      }),
      'retry',
    ],
    [new HttpError({ api: 'nexus', method: 'GET', path: '/m', status: 401, message: 'x' }), 'refresh'],
    [new HttpError({ api: 'nexus', method: 'PUT', path: '/m', status: 400, message: 'x' }), 'userAction'],
    [new HttpError({ api: 'nexus', method: 'GET', path: '/m', status: 404, message: 'x' }), 'fatal'],
    [new SessionExpiredError({ userId: 'u', method: 'GET', path: '/m', message: 'x' }), 'retry'],
    [
      new TransportError({
        api: 'nexus',
        method: 'GET',
        path: '/m',
        reason: 'reset',
        sent: true,
        message: 'x',
      }),
      'retry',
    ],
    [new Error('not tagged'), 'fatal'],
  ] as const)('reject with a ServiceFailure: %s is %s', async (error, errorClass) => {
    const clock = new SimClock()
    const client = { readMember: () => Promise.reject(error) } as unknown as NexusClientApi
    const actors = createLifecycleActors({ client, clock, vault: createSecretVault({ clock }) })
    const result = await run(clock, actors.readMember, member)
    const failure = (result as { error: ServiceFailure }).error
    expect(failure).toMatchObject({ _tag: 'ServiceFailure', at: clock.now(), errorClass })
    expect(failure).toBeInstanceOf(Error)
    // Its data survives JSON (what an inspector or a log would see): tag, class, time, error data.
    expect(JSON.parse(JSON.stringify(failure))).toEqual({
      _tag: 'ServiceFailure',
      at: clock.now(),
      errorClass,
      error: failure.error,
      name: 'ServiceFailure',
    })
    if ('retryAfterMs' in error && error.retryAfterMs) expect(failure.error.retryAfterMs).toBe(2_000)
  })

  it('update sends the vault values once, then forgets them', async () => {
    const { clock, server, vault, actors } = setup()
    const submissionId = vault.deposit([{ guid: 'CRD-f0', value: 'correct-horse-battery' }], 'a')
    const result = await run(clock, actors.updateMember, { ...member, submissionId })
    expect(result?.ok).toBe(true)
    expect(server.log.filter((r) => r.op === 'updateMember').map((r) => r.values)).toEqual([
      [{ guid: 'CRD-f0', value: 'correct-horse-battery' }],
    ])
    expect(vault.size()).toBe(0)
  })

  it('update keeps the values for a retry only after a refusal (429), drops them after a 400', async () => {
    const { clock, vault, actors } = setup({ faults: [{ op: 'updateMember', nth: 1, kind: 'http429' }] })
    const id = vault.deposit([{ guid: 'CRD-f0', value: 'correct-horse-battery' }], 'a')
    expect((await run(clock, actors.updateMember, { ...member, submissionId: id }))?.ok).toBe(false)
    expect(vault.size()).toBe(1)
    const stale = vault.deposit([{ guid: 'CRD-unknown', value: 'x-long-secret' }], 'a')
    const refused = await run(clock, actors.updateMember, { ...member, submissionId: stale })
    expect((refused as { error: ServiceFailure }).error.error).toMatchObject({
      _tag: 'HttpError',
      status: 400,
    })
    expect(vault.size()).toBe(1)
  })

  it.each(['http503', 'http500', 'reset', 'decode'] as const)(
    'update whose reply was lost (%s) drops the values: it is never resent (decisions/0007)',
    async (kind) => {
      const { clock, vault, actors } = setup({ faults: [{ op: 'updateMember', nth: 1, kind }] })
      const id = vault.deposit([{ guid: 'CRD-f0', value: 'correct-horse-battery' }], 'a')
      const result = await run(clock, actors.updateMember, { ...member, submissionId: id })
      expect(result?.ok).toBe(false)
      expect(vault.size()).toBe(0)
      const again = await run(clock, actors.updateMember, { ...member, submissionId: id })
      expect((again as { error: ServiceFailure }).error.error._tag).toBe('NotSent')
    },
  )

  it('update without values sends nothing and reports NotSent', async () => {
    const { clock, server, actors } = setup()
    const result = await run(clock, actors.updateMember, { ...member, submissionId: 'sub-gone' })
    expect((result as { error: ServiceFailure }).error.error._tag).toBe('NotSent')
    expect(server.requests()).toBe(0)
  })

  it('a trigger restored from a snapshot sends nothing, even when the vault still has the values', async () => {
    const { clock, server, vault, actors } = setup()
    const submissionId = vault.deposit([{ guid: 'CRD-f0', value: 'correct-horse-battery' }], 'a')
    const input = { ...member, submissionId }
    const persisted = { status: 'active', input }
    for (const logic of [actors.updateMember, actors.resumeAggregation, actors.aggregateMember]) {
      const result = await run(clock, logic, input, persisted)
      expect((result as { error: ServiceFailure }).error.error._tag).toBe('NotSent')
    }
    expect(server.requests()).toBe(0)
    expect(vault.size()).toBe(0)
  })

  it('a poll restored from a snapshot keeps the floor after the interrupted read', async () => {
    const { clock, server, actors } = setup({ latencyMs: 0 })
    const notBeforeIfRerun = clock.now() + 3_000
    const persisted = { status: 'active', input: { ...member, notBeforeIfRerun } }
    await run(clock, actors.readMember, persisted.input, persisted)
    expect(server.log[0]?.at).toBe(notBeforeIfRerun)
  })

  it('stopping an actor aborts its request: nothing left in flight', async () => {
    const { clock, server, actors } = setup()
    const actor = createActor(actors.readMember, { input: member }).start()
    await settle()
    expect(server.inflightCount()).toBe(1)
    actor.stop()
    await settle()
    expect(server.inflightCount()).toBe(0)
    expect(clock.advance()).toBe(false) // the reply's timer was cancelled too
  })

  it('wait resolves at its absolute time, or at once when overdue', async () => {
    const { clock, actors } = setup()
    const until = clock.now() + 10_000
    expect(await run(clock, actors.wait, { until })).toEqual({ ok: true, output: { at: until } })
    expect(await run(clock, actors.wait, { until: until - 5_000 })).toEqual({
      ok: true,
      output: { at: until },
    })
  })
})
