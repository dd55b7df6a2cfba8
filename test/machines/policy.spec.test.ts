import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_POLICY,
  firstPollDelay,
  pollDelay,
  resolvePolicy,
  retryDelay,
} from '../../machines/member-lifecycle/index.js'
import { fcParams } from '../support/fc-params.js'
import {
  SPEC_BUDGETS,
  SPEC_JOB_DEADLINE_MS,
  SPEC_POLL_CAP_MS,
  SPEC_POLL_FLOOR_MS,
  SPEC_USER_DEADLINE_MS,
} from '../support/spec.js'

// The policy's defaults and delays against the numbers of the spec (lifecycle.md, Policy; Nexus reference
// §8.1), not against themselves.

describe('default policy (lifecycle.md, Policy)', () => {
  it('has the spec’s floor, cap, deadlines and budgets', () => {
    expect(DEFAULT_POLICY).toMatchObject({
      pollFloorMs: SPEC_POLL_FLOOR_MS,
      pollCapMs: SPEC_POLL_CAP_MS,
      userResponseMs: SPEC_USER_DEADLINE_MS,
      jobMs: SPEC_JOB_DEADLINE_MS,
      attempts: SPEC_BUDGETS,
      timeScale: 1,
    })
    expect(resolvePolicy(undefined)).toEqual(DEFAULT_POLICY)
  })

  it('never polls or retries sooner than 3 s, nor polls later than the 30 s cap (§8.1)', () => {
    const policy = resolvePolicy(undefined)
    expect(firstPollDelay(policy)).toBe(SPEC_POLL_FLOOR_MS)
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined }),
        (n, random, retryAfterMs) => {
          const poll = pollDelay(policy, n, random)
          expect(poll).toBeGreaterThanOrEqual(SPEC_POLL_FLOOR_MS)
          expect(poll).toBeLessThanOrEqual(SPEC_POLL_CAP_MS)
          const retry = retryDelay(policy, n, retryAfterMs, random)
          expect(retry).toBeGreaterThanOrEqual(SPEC_POLL_FLOOR_MS)
          // A server's Retry-After is honoured when it asks for more than the floor.
          if (retryAfterMs !== undefined) expect(retry).toBe(Math.max(SPEC_POLL_FLOOR_MS, retryAfterMs))
          else expect(retry).toBeLessThanOrEqual(SPEC_POLL_CAP_MS)
        },
      ),
      fcParams('policy: floor and cap', 300),
    )
  })

  it('backs off: the gap grows with the poll count until the cap', () => {
    const policy = resolvePolicy({ jitter: 0 })
    const gaps = [1, 2, 3, 4, 5, 6, 7].map((n) => pollDelay(policy, n, 0.5))
    expect(gaps[0]).toBe(SPEC_POLL_FLOOR_MS)
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1]!)
    expect(gaps[1]).toBeGreaterThan(gaps[0]!)
    expect(gaps.at(-1)).toBe(SPEC_POLL_CAP_MS)
  })
})
