import { describe, expect, it } from 'vitest'
import { demoChallengeTtlMs } from '../../src/cli/demo/run.js'

// The demo's simulator keeps a challenge open for the simulator's 5 simulated minutes (simulator.md), but
// never for less than one real minute: at the default time scale 0.01 those 5 minutes are 3 real seconds,
// which a loaded machine misses between a challenge and its answer (CI saw MFA members end needsMfa/EXPIRED).
const FIVE_MINUTES = 5 * 60_000

describe('demo challenge life', () => {
  it('is one real minute at the small time scales', () => {
    for (const scale of [0.001, 0.005, 0.01, 0.1]) {
      expect(demoChallengeTtlMs(scale) * scale).toBeCloseTo(60_000, 0)
      expect(demoChallengeTtlMs(scale)).toBeGreaterThan(FIVE_MINUTES)
    }
  })

  it('is the simulator’s 5 simulated minutes once those last a real minute or more', () => {
    expect(demoChallengeTtlMs(0.2)).toBe(FIVE_MINUTES)
    expect(demoChallengeTtlMs(0.5)).toBe(FIVE_MINUTES)
    expect(demoChallengeTtlMs(1)).toBe(FIVE_MINUTES)
  })
})
