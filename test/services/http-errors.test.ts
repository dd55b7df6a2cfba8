import { describe, expect, it } from 'vitest'
import { classify, HttpError } from '../../src/domain/index.js'
import { isSessionRejected, parseRetryAfter, toHttpError } from '../../src/services/http-errors.js'

const request = { api: 'nexus', method: 'GET', path: '/members/MBR-1' } as const
const reply = (status: number, text = '', headers: Record<string, string> = {}) => ({ status, headers, text })

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-01-01T00:00:00Z')

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('1.5', now)).toBe(1500)
  })

  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:03 GMT', now)).toBe(3000)
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:00:00 GMT', now)).toBe(0)
  })

  it('ignores absent or unreadable values and takes the first of repeated headers', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(['4', '9'], now)).toBe(4000)
  })
})

describe('toHttpError', () => {
  it('keeps status, MX code and Retry-After', () => {
    const error = toHttpError(
      request,
      reply(429, '{"error":{"code":4290,"message":"slow down"}}', { 'retry-after': '3' }),
      0,
    )
    expect(error).toBeInstanceOf(HttpError)
    expect(error).toMatchObject({
      api: 'nexus',
      method: 'GET',
      path: '/members/MBR-1',
      status: 429,
      code: 4290,
    })
    expect(error.retryAfterMs).toBe(3000)
    expect(classify(error)).toBe('retry')
  })

  it('accepts a string code and tolerates bodies that are not the error envelope', () => {
    expect(toHttpError(request, reply(401, '{"error":{"code":"4011"}}'), 0).code).toBe(4011)
    expect(toHttpError(request, reply(500, '<html>oops</html>'), 0).code).toBeUndefined()
    expect(toHttpError(request, reply(500, '{"error":'), 0).code).toBeUndefined()
    expect(toHttpError(request, reply(404, ''), 0).code).toBeUndefined()
  })

  it('names API, method, path, status and code but never the body text', () => {
    const body = '{"error":{"code":4001,"message":"value hunter2 is wrong"}}'
    const error = toHttpError(
      { api: 'sso', method: 'GET', path: '/c/users/u1/api_token.json' },
      reply(400, body),
      0,
    )
    expect(error.message).toBe('SSO GET /c/users/u1/api_token.json answered HTTP 400 (MX code 4001)')
    expect(JSON.stringify(error)).not.toContain('hunter2')
  })
})

describe('isSessionRejected', () => {
  it('is any Nexus 401, whatever the body says (§12)', () => {
    expect(isSessionRejected(toHttpError(request, reply(401, ''), 0))).toBe(true)
    expect(isSessionRejected(toHttpError(request, reply(401, '{"error":{"code":4010}}'), 0))).toBe(true)
    expect(isSessionRejected(toHttpError(request, reply(403, ''), 0))).toBe(false)
    expect(isSessionRejected(toHttpError({ ...request, api: 'sso' }, reply(401, ''), 0))).toBe(false)
  })
})

describe('parseRetryAfter: only HTTP-dates (RFC 9110 §5.6.7)', () => {
  const now = Date.parse('1994-11-06T08:49:30Z')

  it('reads the three HTTP-date forms as UTC', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(7000)
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(7000)
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', now)).toBe(7000)
  })

  it('ignores text Date.parse would read as some date', () => {
    for (const text of ['in 5', 'May 5', '2024-01-01', 'Sun, 06 Nov 1994', '5 minutes']) {
      expect(parseRetryAfter(text, now)).toBeUndefined()
    }
    // The lure: V8 reads the first four as dates (in 2001, 2024 and 1994).
    expect(
      ['in 5', 'May 5', '2024-01-01', 'Sun, 06 Nov 1994'].map((t) => Number.isNaN(Date.parse(t))),
    ).toEqual([false, false, false, false])
  })
})
