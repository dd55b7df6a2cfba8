import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ChallengePrompt, LifecycleOutput } from '../../machines/member-lifecycle/index.js'
import { systemClock, type LifecycleClock } from '../../src/bridge/clock.js'
import { createMemberLifecycle } from '../../src/bridge/lifecycle.js'
import { createNexusClient, type NexusClient } from '../../src/client/create-nexus-client.js'
import type { KnownStatus } from '../../src/domain/connection-status.js'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'

// Issue 10 items 1–3 over real HTTP (messy simulator profile): a member nothing runs on gets an aggregation
// instead of polls to the deadline, a 409 from GET …/aggregate is waited out, DISABLED is retryLater.

const SCALE = 0.01
const USER = 'status-actions-user'

let sim: Simulator
let client: NexusClient
const clock: LifecycleClock = {
  now: () => sim.now(),
  sleep: (ms, signal) => systemClock.sleep(ms * SCALE, signal),
}

beforeAll(async () => {
  sim = await startSimulator({ seed: 23, timeScale: SCALE, profile: 'messy' })
  client = createNexusClient({
    nexusUrl: sim.nexusUrl,
    ssoUrl: sim.ssoUrl,
    clientId: sim.clientId,
    apiKey: sim.apiKey,
    clock: { now: () => sim.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms * SCALE)) },
  })
  sim.createUser({ id: USER })
})

afterAll(async () => {
  await client?.close()
  await sim?.close()
})

function correct(c: ChallengePrompt): string {
  const option = [...(c.options ?? []), ...(c.imageOptions ?? [])].find(
    (o) => o.value === 'correct' || o.guid === 'correct',
  )
  return option?.value ?? 'correct'
}

/** Runs a lifecycle on a seeded member, answering MFA correctly; returns its output and its traffic. */
async function run(status: KnownStatus) {
  const memberGuid = sim.createMember({ userId: USER, password: 'any-other-password', status })
  const lifecycle = createMemberLifecycle(client, { clock })
  const actor = lifecycle.start({ userId: USER, memberGuid, policy: { userResponseMs: 60_000 } })
  actor.on('mfa.required', ({ challenges }) => {
    lifecycle.submitMfa(
      actor,
      challenges.map((c) => ({ guid: c.guid, value: correct(c) })),
    )
  })
  const output = await new Promise<LifecycleOutput>((resolve) =>
    actor.subscribe({ complete: () => resolve(actor.getSnapshot().output!) }),
  )
  const requests = sim.requests().filter((r) => r.path.startsWith(`/members/${memberGuid}`))
  return { memberGuid, output, requests }
}

const reads = (requests: { method: string; path: string }[], memberGuid: string) =>
  requests.filter((r) => r.method === 'GET' && r.path === `/members/${memberGuid}`)

describe('every status acted on, over real HTTP', () => {
  it.each(['CREATED', 'RECONNECTED'] as const)(
    '%s with no job running: GET …/aggregate after the first read, then connected',
    async (status) => {
      const { memberGuid, output, requests } = await run(status)
      expect(output.outcome).toBe('connected')
      const aggregate = requests.findIndex((r) => r.path.endsWith('/aggregate'))
      expect(aggregate).toBeGreaterThan(0)
      expect(reads(requests.slice(0, aggregate), memberGuid)).toHaveLength(1)
    },
  )

  it('GET …/aggregate answering 409 is waited out, never unrecoverable', async () => {
    sim.faults.inject({ method: 'GET', path: '/aggregate$', status: 409, times: 1 })
    const { output, requests } = await run('RECONNECTED')
    expect(requests.some((r) => r.path.endsWith('/aggregate') && r.status === 409)).toBe(true)
    expect(output.outcome).toBe('connected')
  })

  it('DISABLED → retryLater with MX message, after one read', async () => {
    const { output, requests } = await run('DISABLED')
    expect(output).toMatchObject({ outcome: 'retryLater', connectionStatus: 'DISABLED' })
    expect(output.retryAfter).toBeGreaterThan(0)
    expect(requests).toHaveLength(1)
    expect(output.message).toMatch(/temporarily/) // MX's connection_status_message, for the user (§4)
  })
})
