import { SEED_SCENARIOS } from '../../src/cli/commands/simulate.js'
import type { SeedMember } from './sim-process.js'

// The members the benchmarks reconnect, and the hand-counted minimum number of HTTP requests for each row
// of the simulator's outcome table (issue 7, figure 2; the counts are explained in docs/benchmarks.md).

/** Simulated job phase (simulator default `jobDurationMs`). */
export const JOB_MS = 4_000
/** Simulated DELAYED wait before CONNECTED (simulator default `delayedMs`). */
export const DELAYED_MS = 12_000
/** MX's minimum gap between two status reads (§8.1), the lifecycle's default poll floor. */
export const POLL_FLOOR_MS = 3_000

/**
 * One row of the outcome table, reconnected from DENIED by a user who answers every prompt.
 * `calls` are the requests that are not status reads: SSO token + `POST /sessions` (one user per member),
 * the first `GET /members/{guid}`, and every list / update / resume. `phases` are the simulated durations
 * of the jobs the reconnection waits on; each needs at least one `GET /members/{guid}` to see its result.
 */
export interface OutcomeScenario {
  readonly password: string
  readonly outcome: string
  readonly calls: number
  readonly phases: readonly number[]
  /** The calls, spelled out for the doc. */
  readonly trace: string
}

const session = 'SSO token, POST /sessions, GET member'
const update = 'GET credentials, PUT member'
const resume = 'GET challenges, PUT resume'

const oneRound = (password: string): OutcomeScenario => ({
  password,
  outcome: 'connected',
  calls: 7,
  phases: [JOB_MS, JOB_MS],
  trace: `${session}, ${update}, [job → CHALLENGED], ${resume}, [job → CONNECTED]`,
})

const endsAfterUpdate = (password: string, outcome: string): OutcomeScenario => ({
  password,
  outcome,
  calls: 5,
  phases: [JOB_MS],
  trace: `${session}, ${update}, [job → ${password === 'password' ? 'CONNECTED' : password}]`,
})

/** Every row of the simulator's outcome table (docs/simulator.md), `password` standing for "anything else". */
export const OUTCOME_TABLE: readonly OutcomeScenario[] = [
  endsAfterUpdate('password', 'connected'),
  oneRound('challenge'),
  oneRound('options'),
  oneRound('image'),
  oneRound('image_options'),
  oneRound('token'),
  {
    password: 'multi',
    outcome: 'connected',
    calls: 9,
    phases: [JOB_MS, JOB_MS, JOB_MS],
    trace: `${session}, ${update}, [job → CHALLENGED], ${resume}, [job → CHALLENGED], ${resume}, [job → CONNECTED]`,
  },
  {
    // The user gives the same wrong password three times; the third DENIED is PREVENTED (§4).
    password: 'UNAUTHORIZED',
    outcome: 'needsCredentials',
    calls: 9,
    phases: [JOB_MS, JOB_MS, JOB_MS],
    trace: `${session}, 3 × (${update}, [job → DENIED]), PREVENTED`,
  },
  endsAfterUpdate('LOCKED', 'needsUserAtInstitution'),
  endsAfterUpdate('IMPEDED', 'needsUserAtInstitution'),
  endsAfterUpdate('DEGRADED', 'retryLater'),
  endsAfterUpdate('DISCONNECTED', 'retryLater'),
  { ...endsAfterUpdate('BAD_REQUEST', 'retryLater'), trace: `${session}, ${update}, [job → FAILED]` },
  {
    password: 'DELAYED',
    outcome: 'connected',
    calls: 5,
    phases: [JOB_MS + DELAYED_MS],
    trace: `${session}, ${update}, [job → DELAYED → CONNECTED, one wait]`,
  },
]

/** Minimum with webhooks: one confirming read per job phase (the webhook says when to read). */
export const minimumWithWebhooks = (s: OutcomeScenario): number => s.calls + s.phases.length

/** Polling only: the reads a job forces when reads are at least the 3 s floor apart (⌈duration ÷ 3 s⌉). */
export const pollingBound = (s: OutcomeScenario): number =>
  s.calls + s.phases.reduce((sum, d) => sum + Math.ceil(d / POLL_FLOOR_MS), 0)

/** A seeded sweep member: where it starts and what the test user answers. */
export interface MixMember extends SeedMember {
  readonly scenario: string
}

/**
 * `count` members cycling through the CLI's seed mix (the same mix `mx-reconnect simulate --members` and the
 * demo use: healthy, bad credentials, MFA of every kind, EXPIRED/REJECTED, LOCKED, OAuth, DEGRADED…),
 * `perUser` members per user.
 */
export function mixedMembers(count: number, userPrefix: string, perUser = 4): MixMember[] {
  return Array.from({ length: count }, (_, i) => {
    const s = SEED_SCENARIOS[i % SEED_SCENARIOS.length]!
    return {
      userId: `${userPrefix}-${Math.floor(i / perUser) + 1}`,
      status: s.status,
      password: s.password,
      scenario: `${s.status}/${s.password || 'oauth'}`,
      ...(s.institutionCode === undefined ? {} : { institutionCode: s.institutionCode }),
    }
  })
}
