import { describe, expect, it } from 'vitest'
import {
  asFailure,
  credentialsPrompt,
  initialContext,
  isServiceFailure,
  mfaPrompt,
  promptOf,
  ServiceFailureError,
  type LifecycleContext,
} from '../../machines/member-lifecycle/index.js'

// The helpers of events.ts as table tests, written against the mutants a Stryker run of events.ts left
// alive (docs/testing.md). Oracles: lifecycle.md (the machine emits `credentials.required` and
// `mfa.required` with what is asked; "attempt 1 for the first credential update", "round 1 for the first
// MFA round"; an actor that rejects with anything else is a fatal error; no secret in an error message)
// and the actor contract in events.ts's docs (a failure is `{ _tag: 'ServiceFailure', at, error,
// errorClass }`).

const base = initialContext({ userId: 'u-1', memberGuid: 'MBR-1' })
const context = (patch: Partial<LifecycleContext>): LifecycleContext => ({ ...base, ...patch })
const error = { _tag: 'HttpError', message: 'MX answered 500' }

describe('isServiceFailure', () => {
  it.each([
    ['a failure', { _tag: 'ServiceFailure', at: 5, error, errorClass: 'retry' }, true],
    ['a failure at time 0', { _tag: 'ServiceFailure', at: 0, error, errorClass: 'fatal' }, true],
    ['a failure without a time', { _tag: 'ServiceFailure', error, errorClass: 'retry' }, false],
    ['a failure with a text time', { _tag: 'ServiceFailure', at: '5', error, errorClass: 'retry' }, false],
    ['another tag', { _tag: 'HttpError', at: 5 }, false],
    ['no tag', { at: 5 }, false],
    ['null', null, false],
    ['undefined', undefined, false],
    ['the tag as a string', 'ServiceFailure', false],
    ['a number', 5, false],
    ['an Error', new Error('ServiceFailure'), false],
  ])('%s → %s', (_name, value, expected) => {
    expect(isServiceFailure(value)).toBe(expected)
  })

  it('a ServiceFailureError is one', () => {
    expect(isServiceFailure(new ServiceFailureError(7, error, 'retry'))).toBe(true)
  })
})

describe('ServiceFailureError', () => {
  it('is an Error carrying the failure as plain data, its message the error’s', () => {
    const failure = new ServiceFailureError(42, error, 'refresh')
    expect(failure).toBeInstanceOf(Error)
    expect(failure.name).toBe('ServiceFailure')
    expect(failure.message).toBe('MX answered 500')
    expect(failure._tag).toBe('ServiceFailure')
    expect(failure.at).toBe(42)
    expect(failure.error).toEqual(error)
    expect(failure.errorClass).toBe('refresh')
    expect(String(failure)).toBe('ServiceFailure: MX answered 500')
  })
})

describe('asFailure: any actor rejection as a ServiceFailure', () => {
  it('a ServiceFailure passes through unchanged (its own time, error and class)', () => {
    const failure = { _tag: 'ServiceFailure' as const, at: 5, error, errorClass: 'retry' as const }
    expect(asFailure(failure, 99)).toBe(failure)
    const thrown = new ServiceFailureError(6, error, 'userAction')
    expect(asFailure(thrown, 99)).toBe(thrown)
  })

  it.each([
    ['a tagged error keeps its tag', { _tag: 'TimeoutError', message: 'secret-token-123' }, 'TimeoutError'],
    ['an Error without a tag', new Error('password=hunter2'), 'UnknownError'],
    ['a text', 'password=hunter2', 'UnknownError'],
    ['null', null, 'UnknownError'],
    ['undefined', undefined, 'UnknownError'],
    ['a numeric tag', { _tag: 42 }, 'UnknownError'],
    ['a failure-shaped value without a time', { _tag: 'ServiceFailure', error }, 'ServiceFailure'],
  ])('%s: fatal, stamped with the fallback time, tag %s', (_name, value, tag) => {
    const failure = asFailure(value, 1234)
    expect(failure._tag).toBe('ServiceFailure')
    expect(failure.at).toBe(1234)
    expect(failure.errorClass).toBe('fatal')
    expect(failure.error._tag).toBe(tag)
    expect(Object.keys(failure.error).sort()).toEqual(['_tag', 'message'])
    // A message to show, that never repeats what the value carried (it may hold a secret, house rule 8).
    expect(failure.error.message.length).toBeGreaterThan(0)
    expect(failure.error.message).not.toMatch(/hunter2|secret-token/)
    expect(isServiceFailure(failure)).toBe(true)
  })
})

describe('the prompts the machine emits', () => {
  const fields = [{ guid: 'CRD-1', label: 'User', fieldName: 'user', type: 'TEXT', optional: false }]
  const challenges = [{ guid: 'CHL-1', type: 'TEXT', label: 'Pet?', fieldName: null }]

  it('credentials.required: the fields, the user deadline, attempt = credential attempts + 1', () => {
    const ctx = context({ fields, userDeadline: 900_000, attempts: { credentials: 2, mfa: 4, service: 1 } })
    expect(credentialsPrompt(ctx)).toEqual({
      type: 'credentials.required',
      memberGuid: 'MBR-1',
      fields,
      deadline: 900_000,
      attempt: 3,
    })
    expect(credentialsPrompt(base)).toEqual({
      type: 'credentials.required',
      memberGuid: 'MBR-1',
      fields: [],
      deadline: 0,
      attempt: 1,
    })
  })

  it('mfa.required: the challenges, the user deadline, round = MFA attempts + 1', () => {
    const ctx = context({ challenges, userDeadline: 5_000, attempts: { credentials: 2, mfa: 1, service: 3 } })
    expect(mfaPrompt(ctx)).toEqual({
      type: 'mfa.required',
      memberGuid: 'MBR-1',
      challenges,
      deadline: 5_000,
      round: 2,
    })
    expect(mfaPrompt(base)).toEqual({
      type: 'mfa.required',
      memberGuid: 'MBR-1',
      challenges: [],
      deadline: 0,
      round: 1,
    })
  })

  const ctx = context({ fields, challenges, userDeadline: 7_000 })
  it.each([
    ['credentials.awaiting', { credentials: 'awaiting' }, 'credentials.required'],
    ['mfa.awaiting', { mfa: 'awaiting' }, 'mfa.required'],
    ['credentials.listing', { credentials: 'listing' }, undefined],
    ['credentials.updating', { credentials: 'updating' }, undefined],
    ['mfa.listing', { mfa: 'listing' }, undefined],
    ['mfa.resuming', { mfa: 'resuming' }, undefined],
    ['waitingOnJob', { waitingOnJob: 'waiting' }, undefined],
    ['a top-level state', 'loadingMember', undefined],
    ['the final state', 'done', undefined],
    ['no value', null, undefined],
  ])('promptOf a snapshot in %s → %s', (_name, value, type) => {
    const prompt = promptOf({ value, context: ctx })
    expect(prompt?.type).toBe(type)
    if (type === 'credentials.required') expect(prompt).toEqual(credentialsPrompt(ctx))
    if (type === 'mfa.required') expect(prompt).toEqual(mfaPrompt(ctx))
  })
})
