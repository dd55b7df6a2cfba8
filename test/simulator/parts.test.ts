import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ScaledClock } from '../../src/simulator/clock.js'
import { compileFault, FaultSet, malformedBody, truncatedBody } from '../../src/simulator/faults.js'
import { WakeupHeap } from '../../src/simulator/heap.js'
import { createRng, newGuid, nextFloat } from '../../src/simulator/random.js'
import { redactBody, redactHeaders, redactPath, redactQuery } from '../../src/simulator/redact.js'
import { RequestLog, type RequestLogEntry } from '../../src/simulator/request-log.js'

// The simulator's small parts, each on its own.

describe('redaction (house rule 8)', () => {
  it('replaces values, answers and tokens; keeps guids, field names and flags', () => {
    expect(
      redactBody({
        member: {
          credentials: [{ credential_guid: 'CRD-1', value: 'hunter2' }],
          skip_aggregation: true,
          skip_webhook: false,
          metadata: 'kept',
        },
        challenges: [{ guid: 'CRD-2', value: 'Sandy' }],
        session: { token: 't0k3n' },
      }),
    ).toEqual({
      member: {
        credentials: [{ credential_guid: 'CRD-1', value: '[redacted]' }],
        skip_aggregation: true,
        skip_webhook: false,
        metadata: 'kept',
      },
      challenges: [{ guid: 'CRD-2', value: '[redacted]' }],
      session: { token: '[redacted]' },
    })
  })

  it('never lets a `value` through at any depth', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ minLength: 6 }), (doc, secret) => {
        const text = JSON.stringify(
          redactBody({ wrapper: [doc, { value: secret, deeper: { value: secret } }] }),
        )
        expect(text.split(JSON.stringify(secret)).length - 1).toBeLessThanOrEqual(
          JSON.stringify(doc).split(JSON.stringify(secret)).length - 1,
        )
      }),
    )
  })

  it('headers, paths and queries', () => {
    expect(
      redactHeaders({ 'md-session-token': 's', 'mx-skip-webhook': 'true', 'x-other': 'dropped' }),
    ).toEqual({
      'md-session-token': '[redacted]',
      'mx-skip-webhook': 'true',
    })
    expect(redactHeaders({})).toBeUndefined()
    expect(redactPath('/oauth/authorize/OAW-123')).toBe('/oauth/authorize/[redacted]')
    expect(redactQuery('skip_aggregation=true&token=abc')).toBe('skip_aggregation=true&token=%5Bredacted%5D')
  })
})

describe('faults', () => {
  it('compiles kinds and validates', () => {
    expect(compileFault({ status: 429 }, 1)).toMatchObject({ kind: 'status', retryAfterSeconds: 1 })
    expect(compileFault({ latencyMs: 5 }, 1)).toMatchObject({ kind: 'latency', latencyMs: 5 })
    expect(compileFault({ kind: 'reset', path: '/members/' }, 1).path?.test('/members/MBR-1')).toBe(true)
    expect(() => compileFault({ kind: 'status', status: 200 }, 1)).toThrow(TypeError)
    expect(() => compileFault({ status: 500, times: 0 }, 1)).toThrow(TypeError)
    expect(() => compileFault({ status: 500, probability: 2 }, 1)).toThrow(TypeError)
    expect(() => compileFault({ status: 500, path: '(' }, 1)).toThrow(TypeError)
  })

  it('takes the first matching rule and retires it after `times`', () => {
    const set = new FaultSet(1)
    set.add({ method: 'PUT', status: 500, times: 1 })
    set.add({ path: /^\/members/, status: 503 })
    expect(set.take('GET', '/sessions', 'nexus')).toBeUndefined()
    expect(set.take('PUT', '/members/1', 'nexus')?.status).toBe(500)
    expect(set.take('PUT', '/members/1', 'nexus')?.status).toBe(503)
    expect(set.size).toBe(1)
  })

  it('a global-flag RegExp does not make matching stateful', () => {
    const set = new FaultSet(1)
    set.add({ path: /members/g, status: 500 })
    expect([1, 2, 3].map(() => set.take('GET', '/members', 'nexus')?.status)).toEqual([500, 500, 500])
  })

  it('broken bodies do not parse', () => {
    for (const text of [
      malformedBody('/members/1'),
      truncatedBody('/members/1'),
      malformedBody('/x', '{}'),
      truncatedBody('/x', '{"a":1}'),
    ]) {
      expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError)
    }
  })
})

describe('request log ring', () => {
  const entry = (seq: number): RequestLogEntry => ({
    seq,
    at: seq,
    api: 'nexus',
    method: 'GET',
    path: '/',
    status: 200,
  })
  it('keeps the newest `limit` entries in order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 60 }), (limit, count) => {
        const log = new RequestLog(limit)
        for (let i = 1; i <= count; i++) log.push(entry(i))
        const expected = Array.from(
          { length: Math.min(limit, count) },
          (_, i) => count - Math.min(limit, count) + i + 1,
        )
        expect(log.toArray().map((e) => e.seq)).toEqual(expected)
        expect(log.dropped).toBe(Math.max(0, count - limit))
      }),
    )
  })
})

describe('wake-up heap', () => {
  it('pops in time order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 })), (times) => {
        const heap = new WakeupHeap()
        times.forEach((t, i) => heap.push(t, String(i)))
        const out: number[] = []
        while (heap.size > 0) {
          out.push(heap.peek()!)
          heap.pop()
        }
        expect(out).toEqual([...times].sort((a, b) => a - b))
      }),
    )
  })
})

describe('clock and randomness', () => {
  it('scales real time; advance adds; 0 freezes', () => {
    let real = 0
    const clock = new ScaledClock({ timeScale: 0.01, startTime: 1_000, realNow: () => real })
    real = 10
    expect(clock.now()).toBe(2_000)
    clock.advance(500)
    expect(clock.now()).toBe(2_500)
    expect(clock.realDelayUntil(3_500)).toBeCloseTo(10)
    const frozen = new ScaledClock({ timeScale: 0, startTime: 5, realNow: () => real })
    real = 1e9
    expect(frozen.now()).toBe(5)
    expect(frozen.realDelayUntil(10)).toBe(Number.POSITIVE_INFINITY)
    expect(() => new ScaledClock({ timeScale: -1, startTime: 0 })).toThrow(RangeError)
  })

  it('is reproducible per seed', () => {
    const a = createRng(42)
    const b = createRng(42)
    expect([newGuid(a, 'MBR'), nextFloat(a)]).toEqual([newGuid(b, 'MBR'), nextFloat(b)])
    expect(newGuid(createRng(1), 'MBR')).toMatch(
      /^MBR-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    )
  })
})
