import { describe, expect, it } from 'vitest'
import {
  httpStatus,
  isIdleTransient,
  isOutcomeUnknown,
  validateAnswers,
  validateCredentials,
} from '../../machines/member-lifecycle/guards.js'
import type { SubmittedEntry } from '../../machines/member-lifecycle/events.js'

// The submission checks and small decisions the machine's guards delegate to, case by case (lifecycle.md:
// "invalid submission (missing required field, unknown guid, empty value) stays, with a validation error").
// Written against the mutants Stryker found alive (docs/testing.md, Scores).

const field = (guid: string, optional = false) => ({
  guid,
  label: guid,
  fieldName: guid,
  type: 'TEXT',
  optional,
})
const challenge = (guid: string) => ({ guid, type: 'TEXT', label: guid, fieldName: guid })
const entry = (guid: string, empty = false): SubmittedEntry => ({ guid, empty })

describe('validateCredentials', () => {
  const fields = [field('CRD-user'), field('CRD-pass'), field('CRD-extra', true)]

  it('accepts every required field, with or without the optional one', () => {
    expect(validateCredentials(fields, 'sub-1', [entry('CRD-user'), entry('CRD-pass')])).toBeNull()
    expect(
      validateCredentials(fields, 'sub-1', [entry('CRD-user'), entry('CRD-pass'), entry('CRD-extra')]),
    ).toBeNull()
  })

  it('refuses a submission without an id or without a list, naming no guid', () => {
    const valid = [entry('CRD-user'), entry('CRD-pass')]
    const none = { reason: 'noSubmission', guids: [] }
    expect(validateCredentials(fields, '', valid)).toEqual(none)
    expect(validateCredentials(fields, undefined, valid)).toEqual(none)
    expect(validateCredentials(fields, 42, valid)).toEqual(none)
    expect(validateCredentials(fields, 'sub-1', undefined)).toEqual(none)
    expect(validateCredentials(fields, 'sub-1', 'CRD-user' as unknown as SubmittedEntry[])).toEqual(none)
  })

  it('names what is wrong: a missing required field, an unknown guid, a duplicate, an empty value', () => {
    expect(validateCredentials(fields, 's', [entry('CRD-user')])).toEqual({
      reason: 'missingField',
      guids: ['CRD-pass'],
    })
    expect(validateCredentials(fields, 's', [entry('CRD-user'), entry('CRD-pass'), entry('CRD-x')])).toEqual({
      reason: 'unknownGuid',
      guids: ['CRD-x'],
    })
    expect(
      validateCredentials(fields, 's', [entry('CRD-user'), entry('CRD-user'), entry('CRD-pass')]),
    ).toEqual({
      reason: 'duplicateGuid',
      guids: ['CRD-user'],
    })
    expect(validateCredentials(fields, 's', [entry('CRD-user'), entry('CRD-pass', true)])).toEqual({
      reason: 'emptyValue',
      guids: ['CRD-pass'],
    })
  })

  it('an empty submission is never sent, even when every field is optional', () => {
    expect(validateCredentials([field('CRD-a', true)], 's', [])).toEqual({
      reason: 'missingField',
      guids: [],
    })
    expect(validateCredentials([field('CRD-a', true)], 's', [entry('CRD-a')])).toBeNull()
  })
})

describe('validateAnswers', () => {
  const round = [challenge('CRD-q1'), challenge('CRD-q2')]

  it('accepts one answer per challenge of the round', () => {
    expect(validateAnswers(round, 'sub-1', [entry('CRD-q2'), entry('CRD-q1')])).toBeNull()
  })

  it('refuses a submission without an id or without a list', () => {
    const none = { reason: 'noSubmission', guids: [] }
    const answers = [entry('CRD-q1'), entry('CRD-q2')]
    expect(validateAnswers(round, '', answers)).toEqual(none)
    expect(validateAnswers(round, null, answers)).toEqual(none)
    expect(validateAnswers(round, 'sub-1', undefined)).toEqual(none)
  })

  it('names a missing answer, an answer to another challenge, or an empty one', () => {
    expect(validateAnswers(round, 's', [entry('CRD-q1')])).toEqual({
      reason: 'missingField',
      guids: ['CRD-q2'],
    })
    expect(validateAnswers(round, 's', [])).toEqual({ reason: 'missingField', guids: ['CRD-q1', 'CRD-q2'] })
    expect(validateAnswers(round, 's', [entry('CRD-q1'), entry('CRD-q2'), entry('CRD-q9')])).toEqual({
      reason: 'unknownGuid',
      guids: ['CRD-q9'],
    })
    expect(validateAnswers(round, 's', [entry('CRD-q1', true), entry('CRD-q2')])).toEqual({
      reason: 'emptyValue',
      guids: ['CRD-q1'],
    })
  })
})

describe('isIdleTransient (§4 transient statuses with no job running)', () => {
  it.each([
    ['UPDATED', false, true],
    ['RESUMED', false, true],
    ['DELAYED', false, true],
    ['CREATED', false, true],
    ['RECONNECTED', false, true],
    ['UPDATED', true, false],
    ['CONNECTED', false, false],
    ['DENIED', false, false],
    ['CHALLENGED', false, false],
    [null, false, false],
  ] as const)('%s, aggregating %s → %s', (status, aggregating, expected) => {
    expect(isIdleTransient(status, aggregating)).toBe(expected)
  })
})

describe('httpStatus', () => {
  it('is the status of an HTTP answer and nothing for other failures', () => {
    const failure = (error: Record<string, unknown>) =>
      ({ _tag: 'ServiceFailure', at: 0, errorClass: 'fatal', error }) as unknown as Parameters<
        typeof httpStatus
      >[0]
    expect(httpStatus(failure({ _tag: 'HttpError', message: 'x', status: 409 }))).toBe(409)
    expect(httpStatus(failure({ _tag: 'TransportError', message: 'x', status: 409 }))).toBeUndefined()
    expect(httpStatus(failure({ _tag: 'DecodeError', message: 'x' }))).toBeUndefined()
  })
})

describe('isOutcomeUnknown (docs/decisions/0007-unknown-outcome-writes.md)', () => {
  const failure = (error: Record<string, unknown>) =>
    ({
      _tag: 'ServiceFailure',
      at: 0,
      errorClass: 'retry',
      error: { message: 'x', ...error },
    }) as unknown as Parameters<typeof isOutcomeUnknown>[0]

  it('is unknown when the write may have reached MX: sent, 5xx, unreadable', () => {
    expect(isOutcomeUnknown(failure({ _tag: 'TransportError', sent: true }))).toBe(true)
    expect(isOutcomeUnknown(failure({ _tag: 'HttpError', status: 503 }))).toBe(true)
    expect(isOutcomeUnknown(failure({ _tag: 'HttpError', status: 500 }))).toBe(true)
    expect(isOutcomeUnknown(failure({ _tag: 'DecodeError' }))).toBe(true)
  })

  it('is known when it provably never left, was refused, or failed before any request', () => {
    expect(isOutcomeUnknown(failure({ _tag: 'TransportError', sent: false }))).toBe(false)
    expect(isOutcomeUnknown(failure({ _tag: 'HttpError', status: 400 }))).toBe(false)
    expect(isOutcomeUnknown(failure({ _tag: 'HttpError', status: 499 }))).toBe(false)
    expect(isOutcomeUnknown(failure({ _tag: 'SessionExpiredError' }))).toBe(false)
    expect(isOutcomeUnknown(failure({ _tag: 'ConfigError' }))).toBe(false)
  })
})
