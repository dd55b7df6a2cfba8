import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  DecodeError,
  HttpError,
  SessionExpiredError,
  TransportError,
  classify,
  toErrorData,
} from '../../src/domain/index.js'

const http = (status: number, api: 'nexus' | 'sso' = 'nexus') =>
  new HttpError({ api, method: 'GET', path: '/members/MBR-1', status, message: `HTTP ${status}` })

describe('classify (architecture.md error model)', () => {
  it.each([
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [401, 'refresh'],
    [400, 'userAction'],
    [405, 'userAction'],
    [409, 'userAction'],
    [422, 'userAction'],
    [403, 'fatal'],
    [404, 'fatal'],
  ])('HTTP %i → %s', (status, expected) => {
    expect(classify(http(status))).toBe(expected)
  })
  it('a 401 from SSO is a bad key, not an expired session', () => {
    expect(classify(http(401, 'sso'))).toBe('fatal')
  })
  it('transport, decode and session errors are retryable; config errors fatal; unknown fatal', () => {
    const transport = new TransportError({
      api: 'nexus',
      method: 'GET',
      path: '/x',
      reason: 'connect',
      sent: false,
      message: 'refused',
    })
    expect(classify(transport)).toBe('retry')
    expect(
      classify(new DecodeError({ api: 'nexus', method: 'GET', path: '/x', issues: ['bad'], message: 'bad' })),
    ).toBe('retry')
    expect(
      classify(new SessionExpiredError({ userId: 'u', method: 'GET', path: '/x', message: 'expired twice' })),
    ).toBe('retry')
    expect(classify(new ConfigError({ field: 'apiKey', message: 'apiKey is required' }))).toBe('fatal')
    expect(classify({ _tag: 'Whatever' })).toBe('fatal')
  })
  it('tagged errors are real Errors with their tag', () => {
    const error = http(503)
    expect(error).toBeInstanceOf(Error)
    expect(error._tag).toBe('HttpError')
  })
})

describe('toErrorData', () => {
  it('keeps tag, message, status and Retry-After as plain data', () => {
    const error = new HttpError({
      api: 'nexus',
      method: 'GET',
      path: '/x',
      status: 429,
      retryAfterMs: 2000,
      message: 'rate limited',
    })
    const data = toErrorData(error)
    expect(data).toEqual({ _tag: 'HttpError', message: 'rate limited', status: 429, retryAfterMs: 2000 })
    expect(JSON.parse(JSON.stringify(data))).toEqual(data)
  })
  it('never copies the message of a foreign error (it may carry anything)', () => {
    expect(toErrorData(new Error('secret-value-in-message'))).toEqual({
      _tag: 'UnknownError',
      message: 'Error',
    })
  })
})
