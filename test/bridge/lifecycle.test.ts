import type { InspectionEvent } from 'xstate'
import { describe, expect, it } from 'vitest'
import { promptOf } from '../../machines/member-lifecycle/index.js'
import { createMemberLifecycle, type MemberLifecycleActor } from '../../src/bridge/lifecycle.js'
import { SimClock, settle } from '../support/lifecycle-clock.js'
import { inspectionJson } from '../support/lifecycle-harness.js'
import { MEMBER_GUID, ScriptedServer, type ServerScript } from '../support/scripted-client.js'

// createMemberLifecycle: the host-side helpers (submit, webhook, send), the vault's lifetime, restore,
// and the size of what a host persists.

const SECRET = 'pw-Zq8!kT3#vR9'
const ANSWER = 'answer-Mx7$Lp2@'

const script: ServerScript = {
  initialStatus: 'DENIED',
  initialAggregating: false,
  isOauth: false,
  fields: [
    { optional: false, type: 'LOGIN' },
    { optional: false, type: 'PASSWORD' },
  ],
  jobs: [
    {
      running: 'UPDATED',
      durationMs: 4_000,
      rounds: [{ types: ['TEXT'], answers: ['pass'] }],
      afterMfaMs: 4_000,
      result: 'CONNECTED',
      jobStartReply: false,
    },
  ],
  faults: [],
  latencyMs: 100,
  oauthUri: true,
  challengeTtlMs: 300_000,
}

function setup(overrides: Partial<ServerScript> = {}) {
  const clock = new SimClock()
  const ref: { actor?: MemberLifecycleActor } = {}
  const server = new ScriptedServer({ ...script, ...overrides }, clock, () => ({
    state: ref.actor ? JSON.stringify(ref.actor.getSnapshot().value) : 'none',
    webhook: false,
  }))
  const lifecycle = createMemberLifecycle(server, { clock })
  const inspection: string[] = []
  const actor = (ref.actor = lifecycle.start(
    { userId: 'user-1', memberGuid: MEMBER_GUID },
    { inspect: (e: InspectionEvent) => inspection.push(inspectionJson(e)) },
  ))
  const until = async (predicate: () => boolean) => {
    for (let i = 0; i < 500 && !predicate(); i++) {
      await settle()
      if (!predicate() && !clock.advance()) break
    }
    expect(predicate()).toBe(true)
  }
  return { clock, server, lifecycle, actor, inspection, until }
}

const credentials = [
  { guid: 'CRD-f0', value: 'mxuser' },
  { guid: 'CRD-f1', value: SECRET },
]

describe('createMemberLifecycle', () => {
  it('runs DENIED → credentials → MFA → CONNECTED with secrets only in the requests', async () => {
    const { server, lifecycle, actor, inspection, until } = setup()
    const snapshots: string[] = []
    actor.subscribe(() => snapshots.push(JSON.stringify(actor.getPersistedSnapshot())))
    await until(() => actor.getSnapshot().matches({ credentials: 'awaiting' }))
    expect(lifecycle.submitCredentials(actor, credentials)).toEqual({ accepted: true })
    await until(() => actor.getSnapshot().matches({ mfa: 'awaiting' }))
    const prompt = promptOf(actor.getSnapshot())
    expect(prompt).toMatchObject({ type: 'mfa.required', challenges: [{ type: 'TEXT' }], round: 1 })
    expect(
      lifecycle.submitMfa(actor, [
        { guid: prompt!.type === 'mfa.required' ? prompt!.challenges[0]!.guid : '', value: ANSWER },
      ]),
    ).toEqual({
      accepted: true,
    })
    await until(() => actor.getSnapshot().status === 'done')
    expect(actor.getSnapshot().output).toMatchObject({
      outcome: 'connected',
      attempts: { credentials: 1, mfa: 1 },
    })
    expect(server.log.find((r) => r.op === 'updateMember')?.values).toEqual(credentials)
    expect(server.log.find((r) => r.op === 'resumeAggregation')?.values?.[0]?.value).toBe(ANSWER)
    const everything = [...snapshots, ...inspection].join('\n')
    expect(everything).not.toContain(SECRET)
    expect(everything).not.toContain(ANSWER)
    expect(inspection.length).toBeGreaterThan(20)
    expect(Math.max(...snapshots.map((s) => s.length))).toBeLessThanOrEqual(2_048) // benchmark goal
    expect(lifecycle.vault.size()).toBe(0)
  })

  it('refuses submissions it cannot use and says why, holding nothing', async () => {
    const { lifecycle, actor, until } = setup()
    expect(lifecycle.submitCredentials(actor, credentials)).toEqual({ accepted: false }) // not asked yet
    await until(() => actor.getSnapshot().matches({ credentials: 'awaiting' }))
    expect(lifecycle.submitCredentials(actor, [{ guid: 'CRD-f0', value: 'mxuser' }])).toEqual({
      accepted: false,
      validation: { reason: 'missingField', guids: ['CRD-f1'] },
    })
    expect(
      lifecycle.submitCredentials(actor, [credentials[0]!, { guid: 'CRD-f1', value: '' }]),
    ).toMatchObject({
      validation: { reason: 'emptyValue' },
    })
    expect(lifecycle.vault.size()).toBe(0)
    expect(actor.getSnapshot().matches({ credentials: 'awaiting' })).toBe(true)
  })

  it('takes a submission made from inside a prompt handler (queued behind the current step)', async () => {
    const { lifecycle, actor, server, until } = setup({ jobs: [{ ...script.jobs[0]!, rounds: [] }] })
    const results: unknown[] = []
    actor.on('credentials.required', () => results.push(lifecycle.submitCredentials(actor, credentials)))
    await until(() => actor.getSnapshot().status === 'done')
    expect(results).toEqual([{ accepted: true }])
    expect(actor.getSnapshot().output?.outcome).toBe('connected')
    expect(server.log.filter((r) => r.op === 'updateMember')).toHaveLength(1)
    expect(lifecycle.vault.size()).toBe(0)
  })

  it('accepts the design-shaped host events, values included, and cancels', async () => {
    const { lifecycle, actor, server, until } = setup()
    await until(() => actor.getSnapshot().matches({ credentials: 'awaiting' }))
    expect(lifecycle.send(actor, { type: 'credentials.submit', credentials })).toEqual({ accepted: true })
    expect(server.log.at(-1)).toMatchObject({ op: 'updateMember', values: credentials })
    expect(lifecycle.send(actor, { type: 'cancel' })).toEqual({ accepted: true })
    expect(actor.getSnapshot().output?.outcome).toBe('cancelled')
    expect(lifecycle.send(actor, { type: 'cancel' })).toEqual({ accepted: false })
    await settle()
    expect(server.inflightCount()).toBe(0)
    expect(lifecycle.vault.size()).toBe(0)
  })

  it('decodes webhooks and reads at once only for this member (§8.2)', async () => {
    const { lifecycle, actor, server, until, clock } = setup({
      initialStatus: 'UPDATED',
      initialAggregating: true,
    })
    await until(() => actor.getSnapshot().matches({ waitingOnJob: 'sleeping' }))
    const reads = () => server.log.filter((r) => r.op === 'readMember').length
    const before = reads()
    expect(lifecycle.webhook(actor, { type: 'AGGREGATION', member_guid: 'MBR-other' })).toBe(false)
    expect(lifecycle.webhook(actor, { nonsense: true })).toBe(false)
    expect(reads()).toBe(before)
    expect(
      lifecycle.webhook(actor, {
        type: 'AGGREGATION',
        action: 'member_data_updated',
        member_guid: MEMBER_GUID,
      }),
    ).toBe(true)
    expect(reads()).toBe(before + 1)
    expect(server.log.at(-1)?.at).toBe(clock.now())
  })

  it('restores from a persisted snapshot mid-update: re-reads instead of sending again', async () => {
    const { lifecycle, actor, server, until } = setup({ latencyMs: 1_000 })
    await until(() => actor.getSnapshot().matches({ credentials: 'awaiting' }))
    lifecycle.submitCredentials(actor, credentials)
    expect(actor.getSnapshot().matches({ credentials: 'updating' })).toBe(true)
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as Parameters<
      typeof lifecycle.restore
    >[0]
    expect(JSON.stringify(persisted)).not.toContain(SECRET)
    actor.stop()
    expect(lifecycle.vault.size()).toBe(0)
    const restored = lifecycle.restore(persisted)
    await settle()
    // The update reached the server before the stop: the re-read sees the job it started and waits on it.
    expect(server.log.filter((r) => r.op === 'updateMember')).toHaveLength(1)
    expect(restored.getSnapshot().matches('loadingMember')).toBe(true)
    await until(() => restored.getSnapshot().matches({ mfa: 'awaiting' }))
    expect(server.log.filter((r) => r.op === 'updateMember')).toHaveLength(1)
    expect(restored.getSnapshot().context.attempts.credentials).toBe(1) // the update counted once
  })

  it('restores mid-update when MX never got the values: asks the user again', async () => {
    const { lifecycle, actor, server, until } = setup({
      latencyMs: 1_000,
      faults: [{ op: 'updateMember', nth: 1, kind: 'reset' }],
    })
    await until(() => actor.getSnapshot().matches({ credentials: 'awaiting' }))
    const prompts: number[] = []
    lifecycle.submitCredentials(actor, credentials)
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as Parameters<
      typeof lifecycle.restore
    >[0]
    actor.stop()
    const restored = lifecycle.restore(persisted)
    restored.on('credentials.required', (prompt) => prompts.push(prompt.attempt))
    await until(() => restored.getSnapshot().matches({ credentials: 'awaiting' }))
    expect(prompts).toEqual([1]) // the same attempt, asked again
    expect(server.log.filter((r) => r.op === 'updateMember')).toHaveLength(1)
  })
})
