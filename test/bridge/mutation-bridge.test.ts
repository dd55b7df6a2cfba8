import { describe, expect, it } from 'vitest'
import { createMemberLifecycle, type MemberLifecycleActor } from '../../src/bridge/lifecycle.js'
import { SimClock, settle } from '../support/lifecycle-clock.js'
import { MEMBER_GUID, ScriptedServer, type ServerScript } from '../support/scripted-client.js'

// Written against a mutant a Stryker run of src/bridge/ left alive (docs/testing.md): `send` with an
// `mfa.submit` event, lifecycle.md's host event shape `mfa.submit {answers: [{guid, value}]}`, must reach
// resume aggregation like `submitMfa` does.

const script: ServerScript = {
  initialStatus: 'CHALLENGED',
  initialAggregating: false,
  isOauth: false,
  fields: [{ optional: false, type: 'PASSWORD' }],
  jobs: [
    {
      running: 'RESUMED',
      durationMs: 4_000,
      rounds: [{ types: ['TEXT'], answers: ['pass'] }],
      afterMfaMs: 0,
      result: 'CONNECTED',
      jobStartReply: false,
    },
  ],
  faults: [],
  latencyMs: 100,
  oauthUri: false,
  challengeTtlMs: 300_000,
}

async function until(clock: SimClock, actor: MemberLifecycleActor, done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) {
    await settle()
    clock.advance()
  }
}

describe('send({ type: "mfa.submit" })', () => {
  it('answers the challenge like submitMfa: accepted, sent to resume, nothing kept', async () => {
    const clock = new SimClock()
    const server = new ScriptedServer(script, clock, () => ({ state: 'x', webhook: false }))
    const lifecycle = createMemberLifecycle(server, { clock })
    const actor = lifecycle.start({ userId: 'u', memberGuid: MEMBER_GUID })
    await until(clock, actor, () => actor.getSnapshot().matches({ mfa: 'awaiting' }))
    expect(actor.getSnapshot().matches({ mfa: 'awaiting' })).toBe(true)
    const [challenge] = actor.getSnapshot().context.challenges ?? []
    expect(challenge).toBeDefined()

    const result = lifecycle.send(actor, {
      type: 'mfa.submit',
      answers: [{ guid: challenge!.guid, value: 'blue' }],
    })
    expect(result).toEqual({ accepted: true })
    await until(clock, actor, () => actor.getSnapshot().status === 'done')
    expect(actor.getSnapshot().status).toBe('done')
    // The answer went to resume aggregation, once, as given (lifecycle.md: MFA always goes to resume).
    expect(server.log.filter((r) => r.op === 'resumeAggregation')[0]?.values).toEqual([
      { guid: challenge!.guid, value: 'blue' },
    ])
    expect(server.log.filter((r) => r.op === 'updateMember')).toEqual([])
    expect(lifecycle.vault.size()).toBe(0)
  })
})
