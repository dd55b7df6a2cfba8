import { describe, expect, it } from 'vitest'
import type { LifecycleOutput } from '../../machines/member-lifecycle/index.js'
import { reconnectMember, type ReconnectMemberOptions } from '../../src/reconnect-member.js'
import { SimClock, settle } from '../support/lifecycle-clock.js'
import { MEMBER_GUID, ScriptedServer, type ServerScript } from '../support/scripted-client.js'

// reconnectMember: one lifecycle to its outcome, with optional async providers for credentials and MFA.

const script: ServerScript = {
  initialStatus: 'PREVENTED',
  initialAggregating: false,
  isOauth: false,
  fields: [
    { optional: false, type: 'LOGIN' },
    { optional: true, type: 'TEXT' },
  ],
  jobs: [
    {
      running: 'UPDATED',
      durationMs: 6_000,
      rounds: [
        { types: ['OPTIONS'], answers: ['pass'] },
        { types: ['TOKEN'], answers: ['pass'] },
      ],
      afterMfaMs: 2_000,
      result: 'CONNECTED',
      jobStartReply: false,
    },
  ],
  faults: [],
  latencyMs: 50,
  oauthUri: true,
  challengeTtlMs: 300_000,
}

async function drive(
  overrides: Partial<ServerScript>,
  options: Omit<ReconnectMemberOptions, 'client' | 'userId' | 'memberGuid' | 'clock'>,
) {
  const clock = new SimClock()
  const server = new ScriptedServer({ ...script, ...overrides }, clock, () => ({
    state: '?',
    webhook: false,
  }))
  let output: LifecycleOutput | undefined
  let failure: unknown
  reconnectMember({ client: server, userId: 'user-1', memberGuid: MEMBER_GUID, clock, ...options }).then(
    (o) => (output = o),
    (e: unknown) => (failure = e),
  )
  for (let i = 0; i < 2_000 && output === undefined && failure === undefined; i++) {
    await settle()
    if (output === undefined && failure === undefined && !clock.advance()) await settle()
  }
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error('reconnectMember rejected')
  return { output: output!, server, clock }
}

describe('reconnectMember', () => {
  it('answers credentials and two MFA rounds through the providers and connects', async () => {
    const prompts: string[] = []
    const { output, server } = await drive(
      {},
      {
        credentials: ({ fields }) => {
          prompts.push(`credentials ${fields.map((f) => f.guid).join(',')}`)
          return Promise.resolve([{ guid: fields[0]!.guid, value: 'user-secret-value' }])
        },
        mfa: ({ challenges, round }) => {
          prompts.push(`mfa ${round} ${challenges[0]!.type}`)
          const first = challenges[0]!
          return Promise.resolve([{ guid: first.guid, value: first.options?.[0]?.value ?? '123456' }])
        },
      },
    )
    expect(output).toMatchObject({
      outcome: 'connected',
      connectionStatus: 'CONNECTED',
      attempts: { credentials: 1, mfa: 2 },
    })
    expect(prompts).toEqual(['credentials CRD-f0,CRD-f1', 'mfa 1 OPTIONS', 'mfa 2 TOKEN'])
    expect(server.log.filter((r) => r.op === 'resumeAggregation')).toHaveLength(2)
    expect(
      server.log.some((r) => r.op === 'updateMember' && r.values?.some((v) => v.guid.startsWith('CRD-j'))),
    ).toBe(false)
  })

  it('without a provider, waits until the user deadline: needsCredentials', async () => {
    const { output, clock } = await drive({}, { policy: { userResponseMs: 60_000 } })
    expect(output).toMatchObject({ outcome: 'needsCredentials', connectionStatus: 'PREVENTED' })
    expect(clock.now()).toBeGreaterThanOrEqual(1_700_000_000_000 + 60_000)
  })

  it('a provider that returns undefined or throws leaves the lifecycle waiting: needsMfa', async () => {
    const { output } = await drive(
      { initialStatus: 'CHALLENGED' },
      {
        mfa: () => {
          throw new Error('no one here')
        },
        policy: { userResponseMs: 30_000 },
      },
    )
    expect(output.outcome).toBe('needsMfa')
    const second = await drive(
      { initialStatus: 'CHALLENGED' },
      { mfa: () => Promise.resolve(undefined), policy: { userResponseMs: 30_000 } },
    )
    expect(second.output.outcome).toBe('needsMfa')
  })

  it('an aborted signal cancels the lifecycle', async () => {
    const controller = new AbortController()
    controller.abort()
    const { output, server } = await drive({}, { signal: controller.signal })
    expect(output.outcome).toBe('cancelled')
    expect(server.inflightCount()).toBe(0)
  })

  it('a PENDING OAuth member ends needsOAuth with a fresh window URI', async () => {
    const { output } = await drive({ initialStatus: 'PENDING', isOauth: true }, {})
    expect(output).toMatchObject({
      outcome: 'needsOAuth',
      oauthWindowUri: expect.stringMatching(/^https:\/\//) as string,
    })
  })
})
