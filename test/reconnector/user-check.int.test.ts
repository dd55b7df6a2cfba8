import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReconnector } from '../../src/reconnector/index.js'
import { memoryStore } from '../../src/stores/index.js'
import { TIME_SCALE, seedDenied, simEnv } from '../support/sim-env.js'

// Issue 14: the reconnector's own API checks the user. A member stored under one user cannot be started,
// answered, cancelled or viewed by another; the refusal is the same as for an unknown member.

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
beforeAll(async () => {
  env = await simEnv({ profile: 'clean' })
})
afterAll(async () => {
  await env.close()
})

describe('the user check', () => {
  it("refuses another user's member exactly like an unknown one, and changes nothing", async () => {
    const store = memoryStore()
    const r = createReconnector({ client: env.client, store, policy: { timeScale: TIME_SCALE } })
    const memberGuid = seedDenied(env.sim, 'owner-1')
    const owner = { userId: 'owner-1', memberGuid }
    const intruder = { userId: 'someone-else', memberGuid }
    const unknown = { userId: 'someone-else', memberGuid: 'MBR-unknown' }
    await r.start(owner)
    expect((await r.settled(memberGuid))?.prompt?.type).toBe('credentials.required')
    const before = { record: await store.get(memberGuid), history: await store.history(memberGuid) }
    const requests = env.sim.requests().length

    const refusal = async (call: () => Promise<unknown>) => {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toMatchObject({ _tag: 'ReconnectorError', reason: 'notFound' })
      return (error as Error).message
    }
    // Start: today's bug returned the owner's view and prompt to anyone naming the guid.
    expect(await refusal(() => r.start(intruder))).toBe('no lifecycle for this member and user')
    const answers = [{ guid: 'CRD-1', value: 'secret-value-9' }]
    for (const [name, call] of [
      ['submitCredentials', (m: typeof owner) => r.submitCredentials(m, answers)],
      ['submitMfa', (m: typeof owner) => r.submitMfa(m, answers)],
      ['cancel', (m: typeof owner) => r.cancel(m)],
    ] as const) {
      const forOther = await refusal(() => call(intruder))
      const forUnknown = await refusal(() => call(unknown))
      expect(forOther, name).toBe(forUnknown)
      expect(forOther).not.toContain('secret-value-9')
    }
    expect(await r.view(intruder)).toBeUndefined()
    expect(await r.view(unknown)).toBeUndefined()
    expect((await r.view(owner))?.userId).toBe('owner-1')
    // Nothing stored changed and nothing was sent to MX for the refused calls.
    expect(await store.get(memberGuid)).toEqual(before.record)
    expect(await store.history(memberGuid)).toEqual(before.history)
    expect(await store.get('MBR-unknown')).toBeUndefined()
    expect(env.sim.requests().length).toBe(requests)
    // The owner still can.
    expect((await r.cancel(owner)).outcome?.outcome).toBe('cancelled')
    await r.close()
    await store.close()
  })

  it('a sweep naming a member under the wrong user reports it notFound and runs the others', async () => {
    const store = memoryStore()
    const r = createReconnector({
      client: env.client,
      store,
      policy: { timeScale: TIME_SCALE },
      credentials: (p) =>
        Promise.resolve(
          p.fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'good' : 'mxuser' })),
        ),
    })
    const mine = seedDenied(env.sim, 'sweep-owner')
    await r.start({ userId: 'sweep-owner', memberGuid: mine })
    await r.settled(mine)
    const other = seedDenied(env.sim, 'sweep-other')
    const report = await r.sweep({
      members: [
        { userId: 'sweep-intruder', memberGuid: mine },
        { userId: 'sweep-other', memberGuid: other },
      ],
    })
    const byGuid = new Map(report.members.map((m) => [m.memberGuid, m]))
    expect(byGuid.get(mine)).toMatchObject({ outcome: 'unfinished', reason: 'notFound' })
    expect(byGuid.get(other)?.outcome).toBe('connected')
    expect((await store.get(mine))?.userId).toBe('sweep-owner')
    await r.close()
    await store.close()
  })
})
