import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ChallengePrompt, LifecycleOutput } from '../../machines/member-lifecycle/index.js'
import type { LifecycleClock } from '../../src/bridge/clock.js'
import { createMemberLifecycle } from '../../src/bridge/lifecycle.js'
import type { NexusClient } from '../../src/client/create-nexus-client.js'
import type { NexusClientApi } from '../../src/client/types.js'
import { KNOWN_STATUSES, type KnownStatus } from '../../src/domain/connection-status.js'
import type { Member } from '../../src/domain/schemas/index.js'
import { scaledEnv, type ScaledEnv } from '../support/sim-env.js'
import type { Simulator } from '../../src/simulator/index.js'

// Issue 10 items 1–3 over real HTTP (messy simulator profile): a member nothing runs on gets an aggregation
// instead of polls to the deadline, a 409 from GET …/aggregate is waited out, DISABLED is retryLater.

const USER = 'status-actions-user'

let env: ScaledEnv
let sim: Simulator
let client: NexusClient
let clock: LifecycleClock

beforeAll(async () => {
  env = await scaledEnv({ seed: 23 })
  ;({ sim, client, clock } = env)
  sim.createUser({ id: USER })
})

afterAll(async () => {
  await env?.close()
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

/** One call the lifecycle made, as the client saw it: reads with what MX answered. */
interface Call {
  readonly op: string
  readonly idle?: boolean
}

/** The client, recording every call the lifecycle makes (and, for reads, whether MX said no job runs). */
function recording(calls: Call[]): NexusClientApi {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver)
      if (typeof value !== 'function') return value
      return async (...args: unknown[]) => {
        const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
        const op = String(prop)
        calls.push(
          op === 'readMember' ? { op, idle: (result as Member).is_being_aggregated === false } : { op },
        )
        return result
      }
    },
  })
}

const TEMPORARY: ReadonlySet<string | null> = new Set(
  KNOWN_STATUSES.filter((s) => s !== 'DISCONTINUED' && s !== 'CLOSED'),
)

describe('property (issue 10): every status and `null`, messy MX, a user who may answer or not', () => {
  it('no temporary status ends unrecoverable; an idle member is read at most 3× without an action; every run ends', async () => {
    const policy = { userResponseMs: 60_000, jobMs: 300_000 }
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<KnownStatus | null>(...KNOWN_STATUSES, null),
        fc.boolean(),
        fc.option(fc.constantFrom('any-other-password', 'challenge', 'UNAUTHORIZED', 'LOCKED', 'DELAYED'), {
          nil: undefined,
        }),
        async (status, aggregating, password) => {
          const memberGuid = sim.createMember({
            userId: USER,
            password: password ?? 'any-other-password',
            status,
            aggregating: status !== null && aggregating,
          })
          const calls: Call[] = []
          const lifecycle = createMemberLifecycle(recording(calls), { clock })
          const startedAt = sim.now()
          const actor = lifecycle.start({ userId: USER, memberGuid, policy })
          actor.on('credentials.required', ({ fields }) => {
            if (password === undefined) return
            lifecycle.submitCredentials(
              actor,
              fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? password : 'mxuser' })),
            )
          })
          actor.on('mfa.required', ({ challenges }) => {
            lifecycle.submitMfa(
              actor,
              challenges.map((c) => ({ guid: c.guid, value: correct(c) })),
            )
          })
          const output = await new Promise<LifecycleOutput>((resolve) =>
            actor.subscribe({ complete: () => resolve(actor.getSnapshot().output!) }),
          )
          if (TEMPORARY.has(status)) expect(output.outcome, String(status)).not.toBe('unrecoverable')
          expect(output.outcome).not.toBe('failed')
          // Consecutive reads that each said no job runs, with no other call between them.
          let idleRun = 0
          for (const call of calls) {
            idleRun = call.op === 'readMember' && call.idle === true ? idleRun + 1 : 0
            expect(idleRun, `${String(status)}: ${calls.map((c) => c.op).join(' ')}`).toBeLessThanOrEqual(3)
          }
          // Ends by its deadlines: each trigger, prompt and job is bounded by the policy and the budgets.
          const budget = 3 + 5 + 1
          expect(sim.now() - startedAt).toBeLessThanOrEqual(budget * (policy.jobMs + policy.userResponseMs))
        },
      ),
      { seed: 0x0010, numRuns: 40, endOnFailure: true },
    )
  }, 120_000)
})
