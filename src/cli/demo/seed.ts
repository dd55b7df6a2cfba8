import type { Simulator } from '../../simulator/index.js'
import { scenarioAt } from './scenarios.js'
import type { SeededMember } from './test-user.js'

/**
 * Seeds the demo's members in the in-process simulator: member i gets scenario i (round-robin over the
 * table), a few members per partner user so sessions are shared as in production (Nexus reference §1.4).
 */

/** Members per demo user. */
export const MEMBERS_PER_USER = 4

/** Creates `count` members across the scenarios; returns them in order. */
export function seedDemoMembers(sim: Simulator, count: number): SeededMember[] {
  const members: SeededMember[] = []
  for (let i = 0; i < count; i++) {
    const scenario = scenarioAt(i)
    const userId = `demo-user-${Math.floor(i / MEMBERS_PER_USER) + 1}`
    sim.createUser({ id: userId })
    const memberGuid = sim.createMember({
      userId,
      institutionCode: scenario.institution ?? 'mxbank',
      // The stale password MX holds: it only matters when the member is aggregated before the user types
      // a new one (a seeded CHALLENGED / REJECTED / EXPIRED job); otherwise it connects.
      password: scenario.storedPassword ?? 'stale-password',
      status: scenario.seed,
    })
    members.push({ userId, memberGuid, scenario, ordinal: i + 1 })
  }
  return members
}
