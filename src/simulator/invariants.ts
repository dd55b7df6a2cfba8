import { isKnownStatus } from '../domain/index.js'
import { isBeingAggregated } from './render.js'
import type { SimState } from './state.js'

/**
 * Consistency rules every member must satisfy after any request sequence (the model property tests check
 * them after every step, with every member advanced to `now`). Returns one line per violation; empty when
 * consistent.
 *
 * @example
 * ```ts
 * expect(checkInvariants(state, now)).toEqual([])
 * ```
 */
export function checkInvariants(state: SimState, now: number): string[] {
  const problems: string[] = []
  const max = state.options.maxDenials
  for (const [guid, m] of state.members) {
    const say = (text: string): void => {
      problems.push(`${guid}: ${text}`)
    }
    if (m.guid !== guid) say('keyed under another guid')
    const user = state.users.get(m.userGuid)
    if (user === undefined) say('user missing')
    else if (!user.memberGuids.has(guid)) say('not listed on its user')
    if (m.status !== null && !isKnownStatus(m.status)) say(`unknown status ${String(m.status)}`)
    if (!Number.isInteger(m.denials) || m.denials < 0 || m.denials > max)
      say(`denials out of range: ${m.denials}`)
    if (!Number.isInteger(m.revision) || m.revision < 1) say('bad revision')
    if (m.isOauth && m.credentials.length > 0) say('OAuth member with credentials')
    if (new Set(m.credentials.map((c) => c.guid)).size !== m.credentials.length)
      say('duplicate credential guids')
    if (m.aggregatedAt !== null && m.aggregatedAt > now) say('aggregated_at in the future')
    if (m.successfullyAggregatedAt !== null && m.successfullyAggregatedAt > now)
      say('successfully_aggregated_at in the future')
    if (m.externalGuid !== null && state.externalGuids.get(m.externalGuid) !== guid)
      say('external_guid index out of sync')
    const job = m.jobGuid === null ? undefined : state.jobs.get(m.jobGuid)
    if (m.jobGuid !== null && job === undefined) say('most recent job missing')
    if (job !== undefined && job.memberGuid !== guid) say('job belongs to another member')
    if (m.jobGuid !== null && m.jobGuids[m.jobGuids.length - 1] !== m.jobGuid) say('job history out of order')
    for (const old of m.jobGuids) {
      const other = state.jobs.get(old)
      if (other === undefined) say(`job ${old} missing`)
      else if (old !== m.jobGuid && other.phase !== 'done') say(`older job ${old} still open`)
    }
    const phase = job?.phase ?? 'done'
    if (phase !== 'done' && job !== undefined && job.phaseEnd <= now) say('job phase overdue after advancing')
    if ((m.status === 'CHALLENGED') !== (phase === 'challenged'))
      say(`status ${String(m.status)} with job phase ${phase}`)
    if (phase === 'challenged' && (job?.challenges ?? []).length === 0) say('CHALLENGED without challenges')
    if (phase !== 'challenged' && job?.challenges != null) say('challenges outside CHALLENGED')
    if (phase === 'delayed' && m.status !== 'DELAYED') say('delayed phase without DELAYED status')
    if (phase === 'done' && (m.status === 'RESUMED' || m.status === 'UPDATED') && job?.kind !== 'seed') {
      say(`transient ${m.status} with no job running`)
    }
    if (phase === 'done' && m.status === 'PREVENTED' && m.denials !== max && job?.kind !== 'seed') {
      say('PREVENTED without the full DENIED streak')
    }
    if (isBeingAggregated(state, m) && phase === 'done') say('is_being_aggregated without an open job')
  }
  for (const [guid, job] of state.jobs) {
    const member = state.members.get(job.memberGuid)
    if (member === undefined) problems.push(`${guid}: job of a deleted member`)
    else if (!member.jobGuids.includes(guid)) problems.push(`${guid}: job not in its member's history`)
  }
  for (const [, s] of state.sessions)
    if (!state.users.has(s.userGuid)) problems.push('session of an unknown user')
  for (const [, t] of state.apiTokens)
    if (!state.users.has(t.userGuid)) problems.push('api token of an unknown user')
  return problems
}
