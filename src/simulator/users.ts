import { newGuid } from './random.js'
import type { SimState, UserRec } from './state.js'

/** Creates the partner user `id`, or returns the existing one (MDX Real Time, Nexus reference §1.2). */
export function ensureUser(
  state: SimState,
  id: string,
  email: string | null,
  now: number,
): { user: UserRec; created: boolean } {
  const existing = state.usersById.get(id)
  if (existing !== undefined) return { user: existing, created: false }
  const user: UserRec = { id, guid: newGuid(state.rng, 'USR'), email, memberGuids: new Set(), createdAt: now }
  state.users.set(user.guid, user)
  state.usersById.set(id, user)
  state.counters.usersCreated += 1
  return { user, created: true }
}
