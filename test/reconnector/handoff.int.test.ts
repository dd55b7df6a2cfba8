import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReconnector } from '../../src/reconnector/index.js'
import { memoryStore, type LifecycleStore } from '../../src/stores/index.js'
import { TIME_SCALE, seedDenied, simEnv } from '../support/sim-env.js'

// Several instances behind a load balancer (issue 14): a member parked on its user is stored `waiting` a
// moment before the instance that parked it drops its lease. A user's answer reaching another instance in
// that moment must be taken once the lease is free, not refused as "not waiting".

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
beforeAll(async () => {
  env = await simEnv({ profile: 'clean' })
})
afterAll(async () => {
  await env.close()
})

describe('hand-over between instances', () => {
  it('a submit on a waiting member leased elsewhere is taken once the other instance lets go', async () => {
    const inner = memoryStore()
    const memberGuid = seedDenied(env.sim, 'handoff-1')
    let refusals = 0
    let readsSince = 0
    // The other instance still holds the lease when our first try is refused and when we look again
    // (ownership reads the record, then the hand-over does); it lets go right after that second read.
    const store: LifecycleStore = {
      ...inner,
      acquire: async (guid, owner, leaseMs, now) => {
        const got = await inner.acquire(guid, owner, leaseMs, now)
        if (!got && guid === memberGuid) refusals++
        return got
      },
      get: async (guid) => {
        const record = await inner.get(guid)
        if (refusals === 1 && guid === memberGuid && ++readsSince === 2)
          await inner.release(guid, 'other-instance')
        return record
      },
    }
    const r = createReconnector({ client: env.client, store, policy: { timeScale: TIME_SCALE } })
    const member = { userId: 'handoff-1', memberGuid }
    await r.start(member)
    const parked = await r.settled(memberGuid)
    expect(parked?.prompt?.type).toBe('credentials.required')
    expect((await inner.get(memberGuid))?.owner).toBeNull()
    expect(await inner.acquire(memberGuid, 'other-instance', 60_000)).toBe(true)

    const fields = parked?.prompt?.type === 'credentials.required' ? parked.prompt.fields : []
    const values = fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'good' : 'mxuser' }))
    const result = await r.submitCredentials(member, values)
    expect(refusals).toBe(1)
    expect(result.accepted).toBe(true)
    expect((await r.settled(memberGuid))?.outcome?.outcome).toBe('connected')
    await r.close()
    await inner.close()
  })

  it('a member running elsewhere (not waiting) is answered at once: not waiting for it', async () => {
    const store = memoryStore()
    const memberGuid = seedDenied(env.sim, 'handoff-2')
    const r = createReconnector({ client: env.client, store, policy: { timeScale: TIME_SCALE } })
    const member = { userId: 'handoff-2', memberGuid }
    await r.start(member)
    await r.settled(memberGuid)
    const record = (await store.get(memberGuid))!
    // Another instance picked it up and is running it.
    await store.save(memberGuid, { ...record, expectedVersion: record.version, status: 'running' })
    expect(await store.acquire(memberGuid, 'other-instance', 60_000)).toBe(true)
    let tries = 0
    const acquire = store.acquire.bind(store)
    store.acquire = (guid, owner, leaseMs, now) => {
      if (guid === memberGuid && owner !== 'other-instance') tries++
      return acquire(guid, owner, leaseMs, now)
    }
    expect(await r.submitCredentials(member, [{ guid: 'CRD-1', value: 'x' }])).toEqual({ accepted: false })
    // One try, no hand-over retries: it is not waiting on its user.
    expect(tries).toBe(1)
    await r.close()
    await store.close()
  })
})
