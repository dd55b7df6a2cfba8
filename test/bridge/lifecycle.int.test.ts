import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InspectionEvent } from 'xstate'
import type { ChallengePrompt, LifecycleOutput, PolicyInput } from '../../machines/member-lifecycle/index.js'
import type { LifecycleClock } from '../../src/bridge/clock.js'
import { createMemberLifecycle } from '../../src/bridge/lifecycle.js'
import type { NexusClient } from '../../src/client/create-nexus-client.js'
import type { SecretValue } from '../../src/client/types.js'
import type { KnownStatus } from '../../src/domain/connection-status.js'
import { reconnectMember } from '../../src/reconnect-member.js'
import { scaledEnv, type ScaledEnv } from '../support/sim-env.js'
import type { Simulator } from '../../src/simulator/index.js'
import { inspectionJson } from '../support/lifecycle-harness.js'

// The lifecycle over real HTTP: real client (undici) against the loopback simulator, one row of the
// simulator's outcome table per test (simulator.md), session expiry mid-flow (§1.5) and 503/429 bursts, in
// the simulator's `messy` profile (what real MX sends: "null" strings, missing keys, short replies; issue 10).
// Lifecycle, client and simulator share the simulator's scaled clock: 1 simulated second = 10 real ms.

const USER = 'partner-user-1'
const POLICY: PolicyInput = { userResponseMs: 60_000 }

let env: ScaledEnv
let sim: Simulator
let client: NexusClient
let clock: LifecycleClock

beforeAll(async () => {
  env = await scaledEnv({ seed: 7 })
  ;({ sim, client, clock } = env)
  sim.createUser({ id: USER })
})

afterAll(async () => {
  await env?.close()
})

type Answer = (challenge: ChallengePrompt, round: number) => string

/** The answer the simulator takes (`correct`, or the option whose value or guid is `correct`). */
const correct: Answer = (c) => {
  const option = [...(c.options ?? []), ...(c.imageOptions ?? [])].find(
    (o) => o.value === 'correct' || o.guid === 'correct',
  )
  return option?.value ?? 'correct'
}

interface Run {
  readonly output: LifecycleOutput
  readonly memberGuid: string
  readonly texts: string[]
  readonly requests: ReturnType<Simulator['requests']>
}

/** Runs one lifecycle on a member seeded by `seed`, answering like a test user would. */
async function run(
  memberGuid: string,
  options: { password?: string; answer?: Answer; onCredentials?: () => void; policy?: PolicyInput } = {},
): Promise<Run> {
  const lifecycle = createMemberLifecycle(client, { clock })
  const texts: string[] = []
  const actor = lifecycle.start(
    { userId: USER, memberGuid, policy: options.policy ?? POLICY },
    { inspect: (e: InspectionEvent) => texts.push(inspectionJson(e)) },
  )
  actor.subscribe(() => texts.push(JSON.stringify(actor.getPersistedSnapshot())))
  actor.on('*', (e) => texts.push(JSON.stringify(e)))
  actor.on('credentials.required', ({ fields }) => {
    if (options.password === undefined) return
    options.onCredentials?.()
    const values: SecretValue[] = fields.map((f) => ({
      guid: f.guid,
      value: f.type === 'PASSWORD' ? options.password! : 'mxuser',
    }))
    lifecycle.submitCredentials(actor, values)
  })
  actor.on('mfa.required', ({ challenges, round }) => {
    if (!options.answer) return
    lifecycle.submitMfa(
      actor,
      challenges.map((c) => ({ guid: c.guid, value: options.answer!(c, round) })),
    )
  })
  const output = await new Promise<LifecycleOutput>((resolve) =>
    actor.subscribe({ complete: () => resolve(actor.getSnapshot().output!) }),
  )
  expect(lifecycle.vault.size()).toBe(0)
  // Faulted and 401 answers carry no member guid in the log: match on the path too.
  const requests = sim.requests().filter((r) => r.memberGuid === memberGuid || r.path.includes(memberGuid))
  return { output, memberGuid, texts, requests }
}

function seed(status: KnownStatus, extra: Record<string, unknown> = {}): string {
  return sim.createMember({ userId: USER, password: 'old-password', status, ...extra })
}

/** Checks every run keeps to the update/resume rules (invariants 1–2, §3.4) and the poll floor (3). */
function checkTraffic(r: Run): void {
  for (const request of r.requests) {
    if (request.method === 'PUT' && !request.path.endsWith('/resume')) {
      const body = request.body as { member?: Record<string, unknown> }
      expect(Object.keys(body.member ?? {})).toEqual(['credentials']) // rooted, credentials only (§3.4)
    }
  }
  // After each trigger, reads of the member keep at least the floor from the previous request.
  const member = r.requests.filter((q) => q.api === 'nexus' && q.status !== 401)
  const triggered = member.findIndex((q) => q.method === 'PUT' || q.path.endsWith('/aggregate'))
  if (triggered < 0) return
  member.slice(triggered + 1).forEach((q, i, rest) => {
    const previous = i === 0 ? member[triggered]! : rest[i - 1]!
    if (
      q.method === 'GET' &&
      q.path === `/members/${r.memberGuid}` &&
      previous.status !== 405 &&
      !previous.path.endsWith('/challenges')
    ) {
      expect(q.at - previous.at).toBeGreaterThanOrEqual(3_000)
    }
  })
}

describe('lifecycle against the simulator (real HTTP)', () => {
  // simulator.md outcome table: a DENIED member, the user gives `mxuser` / <password>.
  const rows: [password: string, outcome: string, status: string, answer?: Answer][] = [
    ['any-other-password', 'connected', 'CONNECTED'],
    ['challenge', 'connected', 'CONNECTED', correct],
    ['options', 'connected', 'CONNECTED', correct],
    ['image', 'connected', 'CONNECTED', correct],
    ['image_options', 'connected', 'CONNECTED', correct],
    ['token', 'connected', 'CONNECTED', correct],
    ['multi', 'connected', 'CONNECTED', correct],
    ['UNAUTHORIZED', 'needsCredentials', 'PREVENTED'],
    ['LOCKED', 'needsUserAtInstitution', 'LOCKED'],
    ['IMPEDED', 'needsUserAtInstitution', 'IMPEDED'],
    ['DEGRADED', 'retryLater', 'DEGRADED'],
    ['DISCONNECTED', 'retryLater', 'DISCONNECTED'],
    ['BAD_REQUEST', 'retryLater', 'FAILED'],
    ['DELAYED', 'connected', 'CONNECTED'],
  ]

  it.each(rows)('password %s → %s (%s)', async (password, outcome, status, answer) => {
    const r = await run(seed('DENIED'), { password, ...(answer ? { answer } : {}) })
    expect(r.output).toMatchObject({ outcome, connectionStatus: status })
    checkTraffic(r)
    if (password === 'multi') expect(r.output.attempts.mfa).toBe(2)
    if (password === 'UNAUTHORIZED') expect(r.output.attempts.credentials).toBe(3)
    if (answer) {
      // MFA answers only through resume, never through update member (§3.4, §3.7).
      expect(r.requests.filter((q) => q.path.endsWith('/resume')).length).toBe(r.output.attempts.mfa)
      expect(r.requests.filter((q) => q.method === 'PUT' && !q.path.endsWith('/resume'))).toHaveLength(1)
    }
  })

  it('a wrong MFA answer gives REJECTED, a fresh aggregation, and a second chance', async () => {
    const r = await run(seed('DENIED'), {
      password: 'challenge',
      answer: (c, round) => (round === 1 ? 'wrong' : correct(c, round)),
    })
    expect(r.output).toMatchObject({ outcome: 'connected', attempts: { mfa: 3 } })
    expect(r.requests.some((q) => q.path.endsWith('/aggregate'))).toBe(true)
  })

  it('always wrong: MFA rounds run out → needsMfa', async () => {
    const r = await run(seed('DENIED'), { password: 'challenge', answer: () => 'wrong' })
    expect(r.output).toMatchObject({
      outcome: 'needsMfa',
      connectionStatus: 'REJECTED',
      attempts: { mfa: 5 },
    })
  })

  it('nobody answers: needsCredentials at the user deadline, with nothing sent', async () => {
    const r = await run(seed('DENIED'))
    expect(r.output).toMatchObject({ outcome: 'needsCredentials', connectionStatus: 'DENIED' })
    expect(r.requests.filter((q) => q.method === 'PUT')).toHaveLength(0)
  })

  it.each([
    ['CONNECTED', 'connected'],
    ['DISCONTINUED', 'unrecoverable'],
    ['CLOSED', 'unrecoverable'],
    ['DISABLED', 'retryLater'],
    ['LOCKED', 'needsUserAtInstitution'],
    ['DEGRADED', 'retryLater'],
  ] as const)('a member seeded %s ends %s after one read', async (status, outcome) => {
    const r = await run(seed(status))
    expect(r.output.outcome).toBe(outcome)
    expect(r.requests.filter((q) => q.api === 'nexus' && q.path.startsWith('/members'))).toHaveLength(1)
  })

  it('a seeded CHALLENGED member is answered through resume', async () => {
    const r = await run(sim.createMember({ userId: USER, password: 'challenge', status: 'CHALLENGED' }), {
      answer: correct,
    })
    expect(r.output.outcome).toBe('connected')
  })

  it('an OAuth member waiting on the user → needsOAuth with a fresh window URI (§3.8)', async () => {
    const r = await run(sim.createMember({ userId: USER, institutionCode: 'mx_bank_oauth' }))
    expect(r.output.outcome).toBe('needsOAuth')
    expect(r.output.oauthWindowUri).toMatch(/^https?:\/\//)
  })

  it('session expiry (4011) mid-flow: the client renews, the lifecycle does not notice', async () => {
    const r = await run(seed('DENIED'), {
      password: 'challenge',
      answer: correct,
      onCredentials: () => sim.expireSessions(),
    })
    expect(r.output.outcome).toBe('connected')
    expect(r.output.attempts.service).toBe(0)
    const expired = r.requests.find((q) => q.status === 401)
    expect(expired).toBeDefined()
    const all = sim.requests()
    expect(
      all
        .slice(all.indexOf(expired!))
        .some((q) => q.method === 'POST' && q.path === '/sessions' && q.status === 200),
    ).toBe(true)
    checkTraffic(r)
  })

  it('a 503 burst longer than the client retries: the lifecycle backs off and connects', async () => {
    const memberGuid = seed('DENIED')
    const fault = sim.faults.inject({
      method: 'GET',
      path: new RegExp(`/members/${memberGuid}$`),
      status: 503,
      times: 9,
    })
    const r = await run(memberGuid, { password: 'any-other-password' })
    fault.remove()
    expect(r.output.outcome).toBe('connected')
    expect(r.output.attempts.service).toBeGreaterThan(0)
    expect(r.requests.filter((q) => q.status === 503)).toHaveLength(9)
  })

  it('a 429 burst with Retry-After: honoured, then connected', async () => {
    const memberGuid = seed('DENIED')
    const fault = sim.faults.inject({
      method: 'GET',
      path: new RegExp(`/members/${memberGuid}/credentials$`),
      status: 429,
      retryAfterSeconds: 20,
      times: 4,
    })
    const r = await run(memberGuid, { password: 'any-other-password' })
    fault.remove()
    expect(r.output.outcome).toBe('connected')
    const throttled = r.requests.filter((q) => q.status === 429)
    // Longer than the client waits itself (5 s): each 429 reaches the lifecycle, which waits it out.
    expect(throttled).toHaveLength(4)
    expect(r.output.attempts.service).toBe(4)
    const next = r.requests[r.requests.indexOf(throttled.at(-1)!) + 1]!
    expect(next.at - throttled.at(-1)!.at).toBeGreaterThanOrEqual(20_000)
  })

  it('503 beyond every budget → failed, carrying the tagged error', async () => {
    const memberGuid = seed('DENIED')
    const fault = sim.faults.inject({
      method: 'GET',
      path: new RegExp(`/members/${memberGuid}$`),
      status: 503,
    })
    const r = await run(memberGuid)
    fault.remove()
    expect(r.output).toMatchObject({
      outcome: 'failed',
      error: { _tag: 'HttpError', status: 503 },
      attempts: { service: 5 },
    })
  })

  it('no secret reaches a snapshot, an emitted or an inspection event', async () => {
    const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`
    const r = await run(seed('DENIED'), { password })
    expect(r.output.outcome).toBe('connected')
    const all = r.texts.join('\n')
    expect(all).not.toContain(password)
    expect(all).not.toContain(sim.apiKey)
    expect(r.texts.length).toBeGreaterThan(20)
  })

  it('reconnectMember runs the same lifecycle to its output', async () => {
    const output = await reconnectMember({
      client,
      userId: USER,
      memberGuid: seed('DENIED'),
      clock,
      policy: POLICY,
      credentials: ({ fields }) =>
        Promise.resolve(
          fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'multi' : 'mxuser' })),
        ),
      mfa: ({ challenges }) =>
        Promise.resolve(challenges.map((c) => ({ guid: c.guid, value: correct(c, 0) }))),
    })
    expect(output).toMatchObject({ outcome: 'connected', attempts: { credentials: 1, mfa: 2 } })
  })
})
