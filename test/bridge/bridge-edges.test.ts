import { createActor, fromPromise, toPromise } from 'xstate'
import { describe, expect, it } from 'vitest'
import { NOT_SENT } from '../../machines/member-lifecycle/index.js'
import { systemClock } from '../../src/bridge/clock.js'
import { isResendable, notSent, toServiceFailure } from '../../src/bridge/failure.js'
import { createMemberLifecycle, type MemberLifecycleActor } from '../../src/bridge/lifecycle.js'
import { rerunAware } from '../../src/bridge/rerun.js'
import { HttpError, TransportError } from '../../src/domain/errors.js'
import { SimClock, settle } from '../support/lifecycle-clock.js'
import { MEMBER_GUID, ScriptedServer, type ServerScript } from '../support/scripted-client.js'

// The bridge's edges, case by case: the real clock's sleep and abort, failure classification, the rerun
// mark on restored actors, and the host helpers on actors that are not waiting. Written against the
// mutants Stryker found alive (docs/testing.md, Scores).

describe('systemClock.sleep', () => {
  it('resolves after the time, rejects at once on an aborted signal, and on abort while sleeping', async () => {
    await expect(systemClock.sleep(-5, new AbortController().signal)).resolves.toBeUndefined()
    const aborted = new AbortController()
    aborted.abort()
    await expect(systemClock.sleep(60_000, aborted.signal)).rejects.toMatchObject({
      name: 'AbortError',
      message: 'aborted',
    })
    const later = new AbortController()
    const sleeping = systemClock.sleep(60_000, later.signal)
    later.abort()
    await expect(sleeping).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('does not wake early (a lower bound only: a busy machine may wake it late)', async () => {
    const started = Date.now()
    await systemClock.sleep(40, new AbortController().signal)
    // Node may fire a timer a millisecond early; never a whole sleep early.
    expect(Date.now() - started).toBeGreaterThanOrEqual(35)
  })

  it('stops listening once it has slept (no listener left on a long-lived signal)', async () => {
    const controller = new AbortController()
    const added: string[] = []
    const removed: string[] = []
    const signal = controller.signal
    const add = signal.addEventListener.bind(signal)
    const remove = signal.removeEventListener.bind(signal)
    signal.addEventListener = (type: string, listener: never, options: never) => {
      added.push(type)
      expect(options).toEqual({ once: true })
      add(type, listener, options)
    }
    signal.removeEventListener = (type: string, listener: never) => {
      removed.push(type)
      remove(type, listener)
    }
    await systemClock.sleep(1, signal)
    expect(added).toEqual(['abort'])
    expect(removed).toEqual(['abort'])
  })
})

describe('failures', () => {
  it('classifies tagged client errors, and anything else as fatal', () => {
    const reset = new TransportError({
      api: 'nexus',
      method: 'PUT',
      path: '/p',
      reason: 'reset',
      sent: false,
      message: 'x',
    })
    expect(toServiceFailure(reset, 5)).toMatchObject({ at: 5, errorClass: 'retry' })
    expect(toServiceFailure(new Error('plain'), 5).errorClass).toBe('fatal')
    expect(toServiceFailure('text', 5).errorClass).toBe('fatal')
    expect(toServiceFailure(null, 5).errorClass).toBe('fatal')
    expect(toServiceFailure({ _tag: 42 }, 5).errorClass).toBe('fatal')
    expect(toServiceFailure({ _tag: 'HttpError', status: 503, message: 'x' }, 5).errorClass).toBe('retry')
  })

  it('says why nothing was sent', () => {
    const rerun = notSent(7, 'rerun')
    const noValues = notSent(7, 'noValues')
    expect(rerun).toMatchObject({ at: 7, errorClass: 'userAction', error: { _tag: NOT_SENT } })
    expect(rerun.error.message).toMatch(/restored while the request was in flight/)
    expect(noValues.error.message).toMatch(/no longer held/)
  })

  it('resends a write only when it provably did not take', () => {
    const base = { api: 'nexus' as const, method: 'PUT', path: '/p', message: 'x' }
    expect(isResendable(new TransportError({ ...base, reason: 'connect', sent: false }))).toBe(true)
    expect(isResendable(new TransportError({ ...base, reason: 'reset', sent: true }))).toBe(false)
    expect(isResendable(new HttpError({ ...base, status: 503 }))).toBe(false)
  })
})

describe('rerunAware', () => {
  const logic = rerunAware(fromPromise(({ input }: { input: unknown }) => Promise.resolve(input)))

  it('marks an object input as a rerun and leaves other inputs alone', async () => {
    const snapshot = (input: unknown) =>
      ({ status: 'active', output: undefined, error: undefined, input }) as never
    const restored = createActor(logic, { snapshot: snapshot({ a: 1 }), input: undefined })
    expect((restored.getSnapshot() as { input: unknown }).input).toEqual({ a: 1, rerun: true })
    for (const input of [null, 'text', 3]) {
      const actor = createActor(logic, { snapshot: snapshot(input), input: undefined })
      expect((actor.getSnapshot() as { input: unknown }).input).toBe(input)
    }
    // A fresh actor is not a rerun.
    expect(await toPromise(createActor(logic, { input: { a: 2 } }).start())).toEqual({ a: 2 })
  })
})

const script: ServerScript = {
  initialStatus: 'DENIED',
  initialAggregating: false,
  isOauth: false,
  fields: [{ optional: false, type: 'PASSWORD' }],
  jobs: [
    {
      running: 'UPDATED',
      durationMs: 4_000,
      rounds: [],
      afterMfaMs: 0,
      result: 'CONNECTED',
      jobStartReply: false,
    },
  ],
  faults: [],
  latencyMs: 100,
  oauthUri: false,
  challengeTtlMs: 300_000,
}

async function awaitingCredentials() {
  const clock = new SimClock()
  const server = new ScriptedServer(script, clock, () => ({ state: 'x', webhook: false }))
  const lifecycle = createMemberLifecycle(server, { clock })
  const actor: MemberLifecycleActor = lifecycle.start({ userId: 'u', memberGuid: MEMBER_GUID })
  for (let i = 0; i < 50 && !actor.getSnapshot().matches({ credentials: 'awaiting' }); i++) {
    await settle()
    clock.advance()
  }
  expect(actor.getSnapshot().matches({ credentials: 'awaiting' })).toBe(true)
  return { clock, lifecycle, actor }
}

describe('host helpers on a lifecycle that is not waiting for them', () => {
  it('refuses MFA answers while credentials are asked for, and keeps nothing', async () => {
    const { lifecycle, actor } = await awaitingCredentials()
    expect(lifecycle.submitMfa(actor, [{ guid: 'CRD-f0', value: 'secret-1' }])).toEqual({ accepted: false })
    expect(
      lifecycle.send(actor, { type: 'mfa.submit', answers: [{ guid: 'CRD-f0', value: 'secret-1' }] }),
    ).toEqual({
      accepted: false,
    })
    expect(lifecycle.vault.size()).toBe(0)
    expect(actor.getSnapshot().matches({ credentials: 'awaiting' })).toBe(true)
  })

  it('a stopped lifecycle takes no submission, even in the state that asked for it', async () => {
    const { lifecycle, actor } = await awaitingCredentials()
    actor.stop()
    expect(actor.getSnapshot().matches({ credentials: 'awaiting' })).toBe(true)
    expect(lifecycle.submitCredentials(actor, [{ guid: 'CRD-f0', value: 'pw-1' }])).toEqual({
      accepted: false,
    })
    expect(lifecycle.vault.size()).toBe(0)
  })

  it('an empty value is invalid, not sent, and not kept', async () => {
    const { lifecycle, actor } = await awaitingCredentials()
    const result = lifecycle.submitCredentials(actor, [{ guid: 'CRD-f0', value: '' }])
    expect(result).toMatchObject({ accepted: false, validation: { reason: 'emptyValue', guids: ['CRD-f0'] } })
    expect(lifecycle.vault.size()).toBe(0)
    // The machine keeps the reason, never a value.
    expect(actor.getSnapshot().context.submissionId ?? null).toBeNull()
  })

  it('routes host events by type; a stopped lifecycle accepts nothing', async () => {
    const { lifecycle, actor } = await awaitingCredentials()
    const webhook = {
      type: 'CONNECTION_STATUS',
      action: 'CHANGED',
      member_guid: MEMBER_GUID,
      user_guid: 'USR-scripted',
      connection_status: 'UPDATED',
    }
    expect(lifecycle.send(actor, { type: 'member.webhook', payload: webhook } as never)).toEqual({
      accepted: true,
    })
    expect(lifecycle.webhook(actor, { ...webhook, member_guid: 'MBR-other' })).toBe(false)
    expect(
      lifecycle.send(actor, { type: 'credentials.submit', credentials: [{ guid: 'CRD-f0', value: 'pw-1' }] }),
    ).toEqual({
      accepted: true,
    })
    expect(lifecycle.send(actor, { type: 'cancel' })).toEqual({ accepted: true })
    expect(actor.getSnapshot().status).toBe('done')
    expect(lifecycle.send(actor, { type: 'cancel' })).toEqual({ accepted: false })
    expect(lifecycle.webhook(actor, webhook)).toBe(false)
    expect(lifecycle.submitCredentials(actor, [{ guid: 'CRD-f0', value: 'pw-2' }])).toEqual({
      accepted: false,
    })
    expect(lifecycle.vault.size()).toBe(0)
  })
})
