import { describe, expect, it } from 'vitest'
import { isSessionRejected, parseRetryAfter, toHttpError } from '../../src/services/http-errors.js'

// Written against the mutants Stryker left alive in src/services/http-errors.ts (docs/testing.md). The
// oracles: RFC 9110 §10.2.3 (Retry-After = HTTP-date / delay-seconds, delay-seconds = 1*DIGIT) and §5.5
// (a field value carries no leading or trailing whitespace), RFC 8259 §2 (JSON may start with
// whitespace), docs/errors.md (`HttpError`'s fields and message; errors are told apart by `_tag`).

const now = Date.parse('2024-01-01T00:00:00Z')
const request = { api: 'nexus', method: 'GET', path: '/members/MBR-1' } as const
const reply = (status: number, text = '', headers: Record<string, string> = {}) => ({ status, headers, text })

describe('parseRetryAfter: delay-seconds', () => {
  it('reads delay-seconds of more than one digit', () => {
    expect(parseRetryAfter('12', now)).toBe(12_000)
    expect(parseRetryAfter('120', now)).toBe(120_000)
  })

  it('reads a value with whitespace around it as the value (RFC 9110 §5.5)', () => {
    expect(parseRetryAfter(' 2 ', now)).toBe(2000)
    expect(parseRetryAfter('\t7', now)).toBe(7000)
    expect(parseRetryAfter([' 3 '], now)).toBe(3000)
  })

  it('keeps every digit of a fractional value, as it does for "1.5"', () => {
    expect(parseRetryAfter('2.25', now)).toBe(2250)
  })

  it('ignores a value that is neither a number of seconds nor a date', () => {
    for (const value of ['x1', '5abc', '1e3', '5s']) expect(parseRetryAfter(value, now)).toBeUndefined()
  })
})

describe('toHttpError: the MX code', () => {
  it('reads the code of a JSON body that starts with whitespace (RFC 8259 §2)', () => {
    expect(toHttpError(request, reply(400, '  \n{"error":{"code":4001}}'), now).code).toBe(4001)
  })

  it('names no MX code in the message when the body has none', () => {
    const error = toHttpError(request, reply(503, ''), now)
    expect(error.code).toBeUndefined()
    expect(error.message).toBe('Nexus GET /members/MBR-1 answered HTTP 503')
    const html = toHttpError({ api: 'mdx', method: 'POST', path: '/c/users' }, reply(500, '<html/>'), now)
    expect(html.message).toBe('MDX POST /c/users answered HTTP 500')
  })
})

describe('isSessionRejected', () => {
  it('is true only for an HttpError: another tag with the same fields is not a rejected session', () => {
    expect(isSessionRejected({ _tag: 'HttpError', api: 'nexus', status: 401 })).toBe(true)
    expect(isSessionRejected({ _tag: 'TransportError', api: 'nexus', status: 401 })).toBe(false)
    expect(isSessionRejected({ _tag: 'SessionExpiredError', api: 'nexus', status: 401 })).toBe(false)
  })
})
