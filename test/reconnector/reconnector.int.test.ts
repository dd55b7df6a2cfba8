import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/bridge/clock.js'
import { createReconnector } from '../../src/reconnector/index.js'
import type { Reconnector, ReconnectorEvent } from '../../src/reconnector/index.js'
import { memoryStore, sqliteStore } from '../../src/stores/index.js'
import type { LifecycleStore } from '../../src/stores/index.js'
import { findInFile } from '../support/scan-file.js'
import { TIME_SCALE, seedDenied, simEnv } from '../support/sim-env.js'

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
let dir: string

beforeAll(async () => {
  env = await simEnv()
  dir = mkdtempSync(join(tmpdir(), 'mx-reconnector-'))
})
afterAll(async () => {
  await env.close()
  rmSync(dir, { recursive: true, force: true })
})

const policy = { timeScale: TIME_SCALE }
const fieldValue = (type: string | null, password: string) => (type === 'PASSWORD' ? password : 'mxuser')

function reconnector(store: LifecycleStore, extra: Partial<Parameters<typeof createReconnector>[0]> = {}) {
  const events: ReconnectorEvent[] = []
  const listeners = new Set<(e: ReconnectorEvent) => void>()
  const onEvent = (e: ReconnectorEvent) => {
    events.push(e)
    for (const listener of listeners) listener(e)
  }
  const r = createReconnector({ client: env.client, store, policy, onEvent, ...extra })
  /** Resolves on the next event matching `match` (waits on the event, never on a timer). */
  const next = (match: (e: ReconnectorEvent) => boolean) =>
    new Promise<ReconnectorEvent>((resolve) => {
      const listener = (e: ReconnectorEvent) => {
        if (!match(e)) return
        listeners.delete(listener)
        resolve(e)
      }
      listeners.add(listener)
    })
  return { r, events, next }
}

async function closeAll(r: Reconnector, store: LifecycleStore) {
  await r.close()
  await store.close()
}

describe('partner backend, user present (reconnector.md, use 1)', () => {
  it('start → credentials prompt → submit → MFA prompt → submit → connected, parked in the store between', async () => {
    const store = sqliteStore(join(dir, 'present.db'))
    const { r, events } = reconnector(store)
    const memberGuid = seedDenied(env.sim, 'present-1')
    await r.start({ userId: 'present-1', memberGuid })

    const asked = await r.settled(memberGuid)
    expect(asked?.status).toBe('waiting')
    expect(asked?.prompt?.type).toBe('credentials.required')
    expect(events.some((e) => e.type === 'evicted' && e.memberGuid === memberGuid && e.awaitingUser)).toBe(
      true,
    )
    // Evicted: the view comes from the store, and still carries the prompt.
    expect((await store.get(memberGuid))?.status).toBe('waiting')

    const fields = asked?.prompt?.type === 'credentials.required' ? asked.prompt.fields : []
    const result = await r.submitCredentials(
      { userId: 'present-1', memberGuid },
      fields.map((f) => ({ guid: f.guid, value: fieldValue(f.type, 'challenge') })),
    )
    expect(result.accepted).toBe(true)

    const mfa = await r.settled(memberGuid)
    expect(mfa?.prompt?.type).toBe('mfa.required')
    const challenges = mfa?.prompt?.type === 'mfa.required' ? mfa.prompt.challenges : []
    await r.submitMfa(
      { userId: 'present-1', memberGuid },
      challenges.map((c) => ({ guid: c.guid, value: 'correct' })),
    )
    const done = await r.settled(memberGuid)
    expect(done?.outcome?.outcome).toBe('connected')
    expect(env.sim.member(memberGuid).status).toBe('CONNECTED')

    const history = await store.history(memberGuid)
    const types = history.map((h) => h.type)
    expect(types[0]).toBe('started')
    expect(types.filter((t) => t === 'outcome')).toHaveLength(1)
    expect(types.filter((t) => t === 'submitted')).toHaveLength(2)
    expect(history.map((h) => h.seq)).toEqual(history.map((_, i) => i + 1))
    await closeAll(r, store)
  })

  it('an invalid submission is refused without a request and the prompt stays', async () => {
    const store = memoryStore()
    const { r } = reconnector(store)
    const memberGuid = seedDenied(env.sim, 'present-2')
    await r.start({ userId: 'present-2', memberGuid })
    await r.settled(memberGuid)
    const before = env.sim.requests().filter((q) => q.memberGuid === memberGuid && q.method === 'PUT').length
    const result = await r.submitCredentials({ userId: 'present-2', memberGuid }, [
      { guid: 'CRD-unknown', value: 'x' },
    ])
    expect(result.accepted).toBe(false)
    expect(result.validation?.reason).toBeDefined()
    await expect(
      r.submitCredentials({ userId: 'present-2', memberGuid }, 'nope' as never),
    ).rejects.toMatchObject({
      _tag: 'ReconnectorError',
    })
    expect(env.sim.requests().filter((q) => q.memberGuid === memberGuid && q.method === 'PUT').length).toBe(
      before,
    )
    expect((await r.view({ userId: 'present-2', memberGuid }))?.prompt?.type).toBe('credentials.required')
    await r.cancel({ userId: 'present-2', memberGuid })
    expect((await r.settled(memberGuid))?.outcome?.outcome).toBe('cancelled')
    await closeAll(r, store)
  })

  it('start is idempotent: a second start returns the running lifecycle and reads nothing more', async () => {
    const store = memoryStore()
    const { r } = reconnector(store)
    const memberGuid = seedDenied(env.sim, 'present-3')
    const first = await r.start({ userId: 'present-3', memberGuid })
    const second = await r.start({ userId: 'present-3', memberGuid })
    expect(second.memberGuid).toBe(first.memberGuid)
    await r.settled(memberGuid)
    await r.start({ userId: 'present-3', memberGuid })
    const reads = env.sim.requests().filter((q) => q.memberGuid === memberGuid && q.method === 'GET')
    // One member read and one credentials listing: one lifecycle.
    expect(reads.filter((q) => q.path === `/members/${memberGuid}`)).toHaveLength(1)
    expect(reads.filter((q) => q.path.endsWith('/credentials'))).toHaveLength(1)
    await closeAll(r, store)
  })
})

describe('webhooks', () => {
  it('rejects a bad webhook body with a typed error and changes nothing', async () => {
    const store = memoryStore()
    const { r } = reconnector(store)
    const memberGuid = seedDenied(env.sim, 'hook-1')
    await r.start({ userId: 'hook-1', memberGuid })
    await r.settled(memberGuid)
    const before = await store.get(memberGuid)
    for (const body of [{}, 'text', { type: 'CONNECTION_STATUS' }, { type: 'AGGREGATION', member_guid: 7 }]) {
      await expect(r.handleWebhook(body)).rejects.toMatchObject({
        _tag: 'ReconnectorError',
        reason: 'invalidWebhook',
      })
    }
    expect(await store.get(memberGuid)).toEqual(before)
    await expect(
      r.handleWebhook({ type: 'CONNECTION_STATUS', member_guid: 'MBR-nobody', connection_status: 'DENIED' }),
    ).resolves.toEqual({ routed: false, memberGuid: 'MBR-nobody' })
    await closeAll(r, store)
  })

  it('routes a webhook to a lifecycle waiting on its job', async () => {
    const store = memoryStore()
    // A slow job: the lifecycle is parked on its poll timer when the webhook arrives.
    const { r, next } = reconnector(store, {
      policy: { ...policy, pollFloorMs: 60_000, pollCapMs: 60_000 },
    })
    const memberGuid = seedDenied(env.sim, 'hook-2')
    await r.start({ userId: 'hook-2', memberGuid })
    const asked = await r.settled(memberGuid)
    const fields = asked?.prompt?.type === 'credentials.required' ? asked.prompt.fields : []
    // Sleeping on its poll timer: the update went out and the job is running.
    const parked = next(
      (e) => e.type === 'transition' && e.memberGuid === memberGuid && e.state === 'waitingOnJob.sleeping',
    )
    await r.submitCredentials(
      { userId: 'hook-2', memberGuid },
      fields.map((f) => ({ guid: f.guid, value: fieldValue(f.type, 'good') })),
    )
    await parked
    // The simulated job ends when simulated time moves on; then tell the lifecycle.
    env.sim.advanceTime(10_000)
    expect(env.sim.member(memberGuid).status).toBe('CONNECTED')
    const routed = await r.handleWebhook({
      type: 'CONNECTION_STATUS',
      action: 'CHANGED',
      member_guid: memberGuid,
      connection_status: 'CONNECTED',
    })
    expect(routed.routed).toBe(true)
    expect((await r.settled(memberGuid))?.outcome?.outcome).toBe('connected')
    await closeAll(r, store)
  })
})

describe('durability rules', () => {
  it('every state is stored before the request it leads to is sent', async () => {
    const inner = memoryStore()
    const stored: string[] = []
    // A slow store: if the reconnector did not wait for saves, requests would overtake them.
    const slow: LifecycleStore = {
      ...inner,
      async save(guid, update, history) {
        await new Promise((resolve) => setTimeout(resolve, 15))
        const saved = await inner.save(guid, update, history)
        stored.push(update.state)
        return saved
      },
    }
    const seen: Array<{ call: string; storedState: string | undefined }> = []
    const client = env.client
    const spy = new Proxy(client, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown
        if (typeof value !== 'function' || key === 'stats' || key === 'close') return value
        return (...args: unknown[]) => {
          seen.push({ call: String(key), storedState: stored.at(-1) })
          return (value as (...a: unknown[]) => unknown).apply(target, args)
        }
      },
    })
    const r = createReconnector({
      client: spy,
      store: slow,
      policy,
      credentials: (p) =>
        Promise.resolve(p.fields.map((f) => ({ guid: f.guid, value: fieldValue(f.type, 'good') }))),
    })
    const memberGuid = seedDenied(env.sim, 'durable-1')
    await r.start({ userId: 'durable-1', memberGuid })
    expect((await r.settled(memberGuid))?.outcome?.outcome).toBe('connected')
    // A write finds its own state stored; a read (a passing state, not saved on its own: decisions/0011)
    // finds the state it leads on from stored, so a crash before it makes the same read again.
    const firstOf = (call: string) => {
      const first = seen.find((s) => s.call === call)
      // Nothing saved yet: the row holds what `create` wrote.
      return first && { ...first, storedState: first.storedState ?? 'queued' }
    }
    expect(firstOf('readMember')?.storedState).toBe('queued')
    expect(firstOf('listMemberCredentials')?.storedState).toBe('queued')
    expect(firstOf('updateMember')?.storedState).toBe('credentials.updating')
    for (const s of seen.filter((c) => c.call === 'readMember').slice(1))
      expect(s.storedState).toBe('waitingOnJob.sleeping')
    expect(stored).not.toContain('loadingMember')
    await r.close()
  })

  it('keeps no credential value, answer, API key or token in the SQLite file', async () => {
    const path = join(dir, 'secrets.db')
    const store = sqliteStore(path)
    const password = `pw-${randomUUID()}`
    const wrongAnswers: string[] = []
    const { r } = reconnector(store, {
      credentials: (p) =>
        Promise.resolve(p.fields.map((f) => ({ guid: f.guid, value: fieldValue(f.type, password) }))),
      mfa: (p) =>
        Promise.resolve(
          p.challenges.map((c) => {
            const answer = `ans-${randomUUID()}`
            wrongAnswers.push(answer)
            return { guid: c.guid, value: answer }
          }),
        ),
    })
    const connects = seedDenied(env.sim, 'secret-1')
    const challenged = env.sim.createMember({
      userId: 'secret-1',
      password: 'challenge',
      status: 'CHALLENGED',
    })
    const report = await r.sweep({
      members: [
        { userId: 'secret-1', memberGuid: connects },
        { userId: 'secret-1', memberGuid: challenged },
      ],
    })
    expect(report.counts).toEqual({ connected: 1, needsMfa: 1 })
    expect(wrongAnswers.length).toBeGreaterThan(0)
    await closeAll(r, store)
    const secrets = [password, ...wrongAnswers, env.config.apiKey]
    expect(await findInFile(path, secrets)).toEqual([])
    // The file does hold what it should: the members and their outcomes.
    expect(await findInFile(path, [connects, 'needsMfa'])).toHaveLength(2)
  })
})

describe('sweep', () => {
  it('sweeps every member of the given users, leaving healthy ones alone', async () => {
    const store = memoryStore()
    const { r } = reconnector(store)
    const healthy = env.sim.createMember({ userId: 'sweep-1', status: 'CONNECTED' })
    const broken = seedDenied(env.sim, 'sweep-1')
    const other = env.sim.createMember({ userId: 'sweep-2', status: 'LOCKED' })
    const report = await r.sweep({ userIds: ['sweep-1', 'sweep-2'] })
    const byGuid = new Map(report.members.map((m) => [m.memberGuid, m]))
    expect(byGuid.get(healthy)?.outcome).toBe('connected')
    expect(byGuid.get(healthy)?.calls).toBe(1)
    expect(byGuid.get(broken)?.outcome).toBe('awaitingUser')
    expect(byGuid.get(other)?.outcome).toBe('needsUserAtInstitution')
    expect(report.counts).toEqual({ connected: 1, awaitingUser: 1, needsUserAtInstitution: 1 })
    const updates = env.sim.requests().filter((q) => q.memberGuid === healthy && q.method !== 'GET')
    expect(updates).toEqual([])
    await closeAll(r, store)
  })

  it('a later sweep finishes a member whose user deadline passed while it was parked', async () => {
    // A clock the test moves: time passes while the process is down, without sleeping.
    const clock = { offset: 0, now: () => Date.now() + clock.offset, sleep: systemClock.sleep }
    const store = memoryStore({ clock: () => clock.now() })
    // 60 simulated s to answer = 600 ms on the lifecycle clock.
    const { r } = reconnector(store, { clock, policy: { ...policy, userResponseMs: 60_000 } })
    const memberGuid = seedDenied(env.sim, 'sweep-3')
    const first = await r.sweep({ members: [{ userId: 'sweep-3', memberGuid }] })
    expect(first.members[0]).toMatchObject({ outcome: 'awaitingUser', connectionStatus: 'DENIED' })
    await r.close()
    clock.offset += 60_000
    // A new process (new reconnector) on the same store: the overdue deadline fires at once.
    const { r: again } = reconnector(store, { clock })
    const second = await again.sweep({ members: [{ userId: 'sweep-3', memberGuid }] })
    expect(second.members[0]).toMatchObject({
      outcome: 'needsCredentials',
      connectionStatus: 'DENIED',
      reason: 'userDeadlinePassed',
    })
    await closeAll(again, store)
  })
})
