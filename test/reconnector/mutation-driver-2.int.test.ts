import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LifecycleView, ReconnectorEvent } from '../../src/reconnector/index.js'
import { memoryStore } from '../../src/stores/index.js'
import { simEnv } from '../support/sim-env.js'
import { deniedMember, good, makeReconnector, requestsOf, type SimEnv } from './support/reconnector-env.js'

// Survivors of the Stryker runs over src/reconnector/driver.ts (docs/testing.md ²³): `settled` on a member
// that waits on a timer out of memory (reconnector.md: `settled` ends "done, or waiting on the user with a
// prompt"; memory: a lifecycle waiting on a timer longer than `evictAfterMs` is dropped from memory), and
// `resumeAll` with an MFA provider only (reconnector.md: parked ones "are asked again when a provider
// exists": either provider). Real simulator over HTTP, the real memory store.

let env: SimEnv

beforeAll(async () => {
  env = await simEnv({ seed: 101 })
})
afterAll(async () => {
  await env.close()
})

const member = (userId: string) => deniedMember(env, userId)

describe('settled on a member waiting on a timer out of memory (reconnector.md: done, or waiting on the user)', () => {
  it('every settled asked while it is evicted on a poll ends with its outcome, never with the timer view', async () => {
    const store = memoryStore()
    const m = member('md2-timer')
    const settles: Promise<LifecycleView | undefined>[] = []
    // evictAfterMs 0: every wait on a timer (each job poll) drops the lifecycle from memory. Polls at a
    // tenth of real time (a 300 ms floor): a wait of a few ms could be over before its state is stored on
    // a loaded machine (then the lifecycle stays in memory and nothing is evicted).
    const { r } = makeReconnector(env, store, {
      policy: { timeScale: 0.1, userResponseMs: 3_600_000 },
      evictAfterMs: 0,
      credentials: (p) => Promise.resolve(good(p.fields)),
      onEvent: (e: ReconnectorEvent) => {
        if (e.type === 'evicted' && e.memberGuid === m.memberGuid && !e.awaitingUser)
          settles.push(r.settled(m.memberGuid))
      },
    })
    await r.start(m)
    const last = await r.settled(m.memberGuid)
    expect(last?.outcome?.outcome).toBe('connected')
    // Reach: the lifecycle did wait on a timer out of memory (the job polls after the update).
    expect(settles.length).toBeGreaterThan(0)
    for (const view of await Promise.all(settles)) {
      expect(view?.status).toBe('done')
      expect(view?.outcome?.outcome).toBe('connected')
    }
    await r.close()
  })
})

describe('resumeAll with an MFA provider only (reconnector.md: parked ones are asked again when a provider exists)', () => {
  it('a member parked on its MFA prompt is asked again and connects', async () => {
    const store = memoryStore()
    const m = member('md2-mfa-only')
    // docs/simulator.md: the password `challenge` leads to one TEXT challenge, passed by `correct`.
    const first = makeReconnector(env, store, {
      credentials: (p) =>
        Promise.resolve(
          p.fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'challenge' : 'mxuser' })),
        ),
    })
    await first.r.start(m)
    expect((await first.r.settled(m.memberGuid))?.prompt?.type).toBe('mfa.required')
    await first.r.close()
    const asked: string[] = []
    const second = makeReconnector(env, store, {
      mfa: (p) => {
        asked.push(p.memberGuid)
        return Promise.resolve(p.challenges.map((c) => ({ guid: c.guid, value: 'correct' })))
      },
    })
    const report = await second.r.resumeAll()
    expect(asked).toEqual([m.memberGuid])
    expect(report.members).toEqual([
      expect.objectContaining({ memberGuid: m.memberGuid, outcome: 'connected' }),
    ])
    await second.r.close()
    // One update (the first reconnector's credentials); the answer went through the resume endpoint.
    const writes = requestsOf(env)
      .requests(m.memberGuid)
      .filter((q) => q.method === 'PUT')
      .map((q) => (q.path.endsWith('/resume') ? 'resume' : 'update'))
    expect(writes).toEqual(['update', 'resume'])
  })
})

describe('a parked member another live instance holds (reconnector.md: a member another process holds is re-read until it ends or its lease lapses)', () => {
  it('settled does not take it for parked while the lease holds; once the lease lapses it gives the parked view, and nothing runs here', async () => {
    const store = memoryStore()
    const m = member('md2-held')
    const first = makeReconnector(env, store)
    await first.r.start(m)
    expect((await first.r.settled(m.memberGuid))?.prompt?.type).toBe('credentials.required')
    await first.r.close()
    // Another instance (another owner: never taken over at once) leases the parked row for 3 s.
    const leasedAt = Date.now()
    expect(await store.acquire(m.memberGuid, 'elsewhere/1', 3_000)).toBe(true)
    const before = requestsOf(env).requests(m.memberGuid).length
    const second = makeReconnector(env, store, { credentials: () => Promise.resolve(undefined) })
    let resolvedAt = 0
    const settling = second.r.settled(m.memberGuid).then((view) => {
      resolvedAt = Date.now()
      return view
    })
    const view = await settling
    // Not before the lease lapsed (a settled that took the held row for parked resolves at once). A bound
    // one way only: a slow machine makes it later, never earlier.
    expect(resolvedAt).toBeGreaterThanOrEqual(leasedAt + 3_000)
    expect(view?.status).toBe('waiting')
    expect(view?.prompt?.type).toBe('credentials.required')
    await second.r.close()
    // The lapsed lease is not taken for running it here: no prompt asked, nothing sent.
    expect(second.events.filter((e) => e.type === 'prompt')).toEqual([])
    expect(requestsOf(env).requests(m.memberGuid)).toHaveLength(before)
  })
})
