import { describe, expect, it } from 'vitest'
import {
  DEFAULT_POLICY,
  initialContext,
  nextRandom,
  OUTCOMES,
  pollDelay,
  resolvePolicy,
  retryDelay,
  seedFrom,
  toOutput,
  type LifecycleContext,
  type Outcome,
} from '../../machines/member-lifecycle/index.js'
import { SPEC_BUDGETS, SPEC_POLL_CAP_MS, SPEC_POLL_FLOOR_MS } from '../support/spec.js'

// Written against the mutants Stryker left alive in outcomes.ts and policy.ts (docs/testing.md): the
// output's optional fields per outcome (lifecycle.md, Output), the policy's input ranges, the jitter's
// arithmetic, and the seeded PRNG and string hash against their published definitions.

const base = initialContext({ userId: 'u-1', memberGuid: 'MBR-1' })
const context = (patch: Partial<LifecycleContext>): LifecycleContext => ({ ...base, ...patch })
const error = { _tag: 'HttpError', message: 'boom' }

describe('toOutput: optional fields only where lifecycle.md says (Output)', () => {
  const withError = new Set<Outcome>(['failed', 'unrecoverable', 'needsOAuth'])

  it.each(OUTCOMES)('%s: error, retryAfter and oauthWindowUri as the table says', (outcome) => {
    const out = toOutput(
      context({ outcome, error, retryAfter: 1234, oauthWindowUri: 'https://int.example/oauth/1' }),
    )
    expect(out.outcome).toBe(outcome)
    expect('error' in out).toBe(withError.has(outcome))
    if (withError.has(outcome)) expect(out.error).toEqual(error)
    expect('retryAfter' in out).toBe(outcome === 'retryLater')
    if (outcome === 'retryLater') expect(out.retryAfter).toBe(1234)
    expect('oauthWindowUri' in out).toBe(outcome === 'needsOAuth')
    if (outcome === 'needsOAuth') expect(out.oauthWindowUri).toBe('https://int.example/oauth/1')
  })

  it.each(OUTCOMES)('%s: without an error, retryAfter or URI in context, none in the output', (outcome) => {
    const out = toOutput(context({ outcome }))
    expect(Object.keys(out).sort()).toEqual(
      ['attempts', 'connectionStatus', 'memberGuid', 'message', 'outcome'].sort(),
    )
  })

  it('a context without an outcome ends failed, with the member’s status and message', () => {
    const member = {
      status: 'DENIED',
      message: 'wrong password',
      aggregating: false,
      jobGuid: null,
      isOauth: false,
    }
    expect(toOutput(context({ error, member }))).toEqual({
      outcome: 'failed',
      memberGuid: 'MBR-1',
      connectionStatus: 'DENIED',
      message: 'wrong password',
      attempts: { credentials: 0, mfa: 0, service: 0 },
      error,
    })
  })
})

describe('resolvePolicy: values out of range fall back to the spec’s defaults', () => {
  const bad = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '5' as unknown as number]

  it.each(bad)('a duration of %s falls back to the default', (value) => {
    const p = resolvePolicy({ pollFloorMs: value, pollCapMs: value })
    expect(p.pollFloorMs).toBe(SPEC_POLL_FLOOR_MS)
    expect(p.pollCapMs).toBe(SPEC_POLL_CAP_MS)
  })

  it('a duration of 0 is in range; below 0 is not', () => {
    expect(resolvePolicy({ pollFloorMs: 0 }).pollFloorMs).toBe(0)
    expect(resolvePolicy({ pollFloorMs: -1 }).pollFloorMs).toBe(SPEC_POLL_FLOOR_MS)
  })

  it('budgets: credentials and MFA at least 1, service at least 0, rounded down', () => {
    expect(resolvePolicy({ attempts: { credentials: 1, mfa: 1, service: 0 } }).attempts).toEqual({
      credentials: 1,
      mfa: 1,
      service: 0,
    })
    expect(resolvePolicy({ attempts: { credentials: 0, mfa: 0.5, service: -1 } }).attempts).toEqual(
      SPEC_BUDGETS,
    )
    expect(resolvePolicy({ attempts: { credentials: 2.9 } }).attempts.credentials).toBe(2)
  })

  it('backoff factor at least 1; jitter within [0, 1]', () => {
    expect(resolvePolicy({ backoffFactor: 1 }).backoffFactor).toBe(1)
    expect(resolvePolicy({ backoffFactor: 0.99 }).backoffFactor).toBe(DEFAULT_POLICY.backoffFactor)
    expect(resolvePolicy({ jitter: 0 }).jitter).toBe(0)
    expect(resolvePolicy({ jitter: 7 }).jitter).toBe(1)
    expect(resolvePolicy({ jitter: -0.1 }).jitter).toBe(DEFAULT_POLICY.jitter)
  })

  it('time scale must be positive and finite; it scales every duration', () => {
    for (const timeScale of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(resolvePolicy({ timeScale }).timeScale).toBe(1)
    expect(resolvePolicy({ timeScale: 0.5 })).toMatchObject({ timeScale: 0.5, pollFloorMs: 1_500 })
  })

  const fallbacks: [number, number | undefined][] = [
    [60_000, 30_000],
    [1, 1],
    [0, undefined],
    [-5, undefined],
    [Number.NaN, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    ['60000' as unknown as number, undefined],
  ]
  it.each(fallbacks)('webhook fallback %s at time scale 0.5 resolves to %s', (input, expected) => {
    const p = resolvePolicy({ webhookFallbackMs: input, timeScale: 0.5 })
    expect('webhookFallbackMs' in p).toBe(expected !== undefined)
    expect(p.webhookFallbackMs).toBe(expected === undefined ? undefined : Math.round(expected))
  })
})

describe('poll and retry delays: jitter, Retry-After and its range', () => {
  // floor 1 s, cap 100 s, factor 2, jitter 0.2: the third poll's base gap is 4 s.
  const policy = resolvePolicy({ pollFloorMs: 1_000, pollCapMs: 100_000, backoffFactor: 2, jitter: 0.2 })

  it.each([
    [0, 3_200],
    [0.25, 3_600],
    [0.5, 4_000],
    [0.75, 4_400],
  ])('random %s moves the 4 s gap to %s ms (d·(1 + jitter·(2r − 1)))', (random, expected) => {
    expect(pollDelay(policy, 3, random)).toBe(expected)
  })

  it('a Retry-After is scaled like every duration and kept above the floor', () => {
    const scaled = resolvePolicy({ timeScale: 0.5 })
    expect(retryDelay(scaled, 1, 10_000, 0.5)).toBe(5_000)
    expect(retryDelay(scaled, 1, 0, 0.5)).toBe(scaled.pollFloorMs)
  })

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])(
    'a Retry-After of %s is ignored: the backoff applies',
    (retryAfter) => {
      expect(retryDelay(policy, 3, retryAfter, 0.5)).toBe(4_000)
    },
  )
})

describe('seeded randomness against the published algorithms', () => {
  // mulberry32 (Tommy Ettinger), as published: each call adds 0x6D2B79F5 to the state.
  function mulberry32(seed: number) {
    let a = seed
    return () => {
      let t = (a = (a + 0x6d2b79f5) | 0)
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
  }

  it.each([0, 1, 42, 0xdeadbeef, 2 ** 32 - 1])('nextRandom from seed %s follows mulberry32', (seed) => {
    const reference = mulberry32(seed)
    let state = seed
    for (let i = 0; i < 20; i++) {
      const [value, next] = nextRandom(state)
      expect(value).toBe(reference())
      expect(value).toBeGreaterThanOrEqual(0)
      expect(value).toBeLessThan(1)
      state = next
    }
  })

  // FNV-1a 32-bit test vectors (draft-eastlake-fnv, Landon Curt Noll's reference set).
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('seedFrom(%j) is FNV-1a', (text, expected) => {
    expect(seedFrom(text)).toBe(expected)
  })
})
