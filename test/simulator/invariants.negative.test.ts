import { describe, expect, it } from 'vitest'
import { checkInvariants, createState, type SimState } from '../../src/simulator/index.js'
import type { JobRec, MemberRec } from '../../src/simulator/state.js'
import { seedMember } from '../../src/simulator/seed.js'

// The oracle of model.property.test.ts is `checkInvariants`: it is worth only as much as it is seen to
// fire. Each case below breaks one rule in a consistent model and expects that rule's report (issue 12).
// One branch cannot fire and has no case: "is_being_aggregated without an open job" reads the same job
// as the phase it is compared with, so it is dead code (docs/testing.md, reported to the simulator's owner).

const NOW = Date.UTC(2024, 0, 1)

interface World {
  readonly state: SimState
  /** A CONNECTED member with a finished seed job. */
  readonly connected: MemberRec
  /** A CHALLENGED member with its open seed job. */
  readonly challenged: MemberRec
  /** A DENIED member with a finished seed job. */
  readonly denied: MemberRec
}

function world(): World {
  const state = createState({ seed: 7 })
  const connected = seedMember(state, { userId: 'alice', status: 'CONNECTED' }, NOW)
  const challenged = seedMember(state, { userId: 'alice', status: 'CHALLENGED' }, NOW)
  const denied = seedMember(state, { userId: 'bob', status: 'DENIED', externalGuid: 'ext-1' }, NOW)
  return { state, connected, challenged, denied }
}

const jobOf = (w: World, m: MemberRec): JobRec => w.state.jobs.get(m.jobGuid!)!

type Breaker = (w: World) => void

const CASES: [rule: string, expected: string, breaker: Breaker][] = [
  ['key', 'keyed under another guid', (w) => w.state.members.set('MBR-elsewhere', w.connected)],
  ['user', 'user missing', (w) => w.state.users.delete(w.connected.userGuid)],
  [
    'user listing',
    'not listed on its user',
    (w) => w.state.users.get(w.connected.userGuid)!.memberGuids.delete(w.connected.guid),
  ],
  ['status', 'unknown status NEW_IN_2030', (w) => (w.connected.status = 'NEW_IN_2030' as never)],
  ['denials < 0', 'denials out of range: -1', (w) => (w.denied.denials = -1)],
  ['denials > max', 'denials out of range: 4', (w) => (w.denied.denials = 4)],
  ['denials integer', 'denials out of range: 1.5', (w) => (w.denied.denials = 1.5)],
  ['revision', 'bad revision', (w) => (w.connected.revision = 0)],
  ['revision integer', 'bad revision', (w) => (w.connected.revision = 1.5)],
  ['oauth', 'OAuth member with credentials', (w) => ((w.connected as { isOauth: boolean }).isOauth = true)],
  [
    'credential guids',
    'duplicate credential guids',
    (w) => w.connected.credentials.push({ ...w.connected.credentials[0]! }),
  ],
  ['aggregated_at', 'aggregated_at in the future', (w) => (w.connected.aggregatedAt = NOW + 1)],
  [
    'successfully_aggregated_at',
    'successfully_aggregated_at in the future',
    (w) => (w.connected.successfullyAggregatedAt = NOW + 1),
  ],
  ['external index', 'external_guid index out of sync', (w) => w.state.externalGuids.delete('ext-1')],
  ['external guid', 'external_guid index out of sync', (w) => (w.connected.externalGuid = 'ext-1')],
  [
    'job missing',
    'most recent job missing',
    (w) => {
      w.connected.jobGuid = 'JOB-gone'
      w.connected.jobGuids.push('JOB-gone')
    },
  ],
  [
    'job owner',
    'job belongs to another member',
    (w) => {
      // The denied member's job, listed last in the connected member's history too.
      w.connected.jobGuid = w.denied.jobGuid
      w.connected.jobGuids.push(w.denied.jobGuid!)
    },
  ],
  [
    'job history',
    'job history out of order',
    (w) => w.connected.jobGuids.unshift(w.connected.jobGuids.pop()!, 'x'),
  ],
  [
    'older job open',
    'still open',
    (w) => {
      const older = jobOf(w, w.connected)
      const newer = { ...older, guid: 'JOB-newer' }
      w.state.jobs.set('JOB-newer', newer)
      w.connected.jobGuids.push('JOB-newer')
      w.connected.jobGuid = 'JOB-newer'
      older.phase = 'running'
      older.phaseEnd = NOW + 60_000
    },
  ],
  [
    'phase overdue',
    'job phase overdue after advancing',
    (w) => {
      const job = jobOf(w, w.challenged)
      job.phaseEnd = NOW
    },
  ],
  [
    'challenged status',
    'status CONNECTED with job phase challenged',
    (w) => (w.challenged.status = 'CONNECTED'),
  ],
  ['challenged job', 'status CHALLENGED with job phase done', (w) => (w.connected.status = 'CHALLENGED')],
  ['challenges', 'CHALLENGED without challenges', (w) => (jobOf(w, w.challenged).challenges = [])],
  [
    'challenges outside',
    'challenges outside CHALLENGED',
    (w) => (jobOf(w, w.connected).challenges = jobOf(w, w.challenged).challenges),
  ],
  [
    'delayed',
    'delayed phase without DELAYED status',
    (w) => {
      const job = jobOf(w, w.connected)
      job.phase = 'delayed'
      job.phaseEnd = NOW + 60_000
    },
  ],
  [
    'transient',
    'transient UPDATED with no job running',
    (w) => {
      w.connected.status = 'UPDATED'
      ;(jobOf(w, w.connected) as { kind: string }).kind = 'update'
    },
  ],
  [
    'prevented',
    'PREVENTED without the full DENIED streak',
    (w) => {
      w.denied.status = 'PREVENTED'
      ;(jobOf(w, w.denied) as { kind: string }).kind = 'update'
    },
  ],
  [
    'job of deleted member',
    'job of a deleted member',
    (w) => {
      w.state.members.delete(w.denied.guid)
      w.state.users.get(w.denied.userGuid)!.memberGuids.delete(w.denied.guid)
      w.state.externalGuids.delete('ext-1')
    },
  ],
  [
    'job history',
    "job not in its member's history",
    (w) => {
      const job = jobOf(w, w.connected)
      w.state.jobs.set('JOB-orphan', { ...job, guid: 'JOB-orphan' })
    },
  ],
  [
    'session user',
    'session of an unknown user',
    (w) => w.state.sessions.set('tok', { userGuid: 'USR-gone', expiresAt: NOW + 1 }),
  ],
  [
    'api token user',
    'api token of an unknown user',
    (w) => w.state.apiTokens.set('tok', { userGuid: 'USR-gone', expiresAt: NOW + 1 }),
  ],
]

describe('simulator checkInvariants fires on each broken rule', () => {
  it('a freshly seeded model is consistent (the baseline every case breaks)', () => {
    expect(checkInvariants(world().state, NOW)).toEqual([])
  })

  it.each(CASES)('%s: reports "%s"', (_rule, expected, breaker) => {
    const w = world()
    breaker(w)
    const problems = checkInvariants(w.state, NOW)
    expect(
      problems.some((p) => p.includes(expected)),
      JSON.stringify(problems),
    ).toBe(true)
  })
})
