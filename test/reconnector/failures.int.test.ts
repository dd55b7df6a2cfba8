import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/bridge/clock.js'
import { createReconnector } from '../../src/reconnector/index.js'
import type { ReconnectorEvent, ReconnectorOptions } from '../../src/reconnector/index.js'
import { StoreError } from '../../src/stores/errors.js'
import { memoryStore, sqliteStore } from '../../src/stores/index.js'
import type { LifecycleStore } from '../../src/stores/index.js'
import { TIME_SCALE, seedDenied, simEnv } from '../support/sim-env.js'

// Reconnector failure paths the other suites do not reach (issue 12, coverage of src/reconnector): a store
// that fails while a member is begun, read, renewed or settled; close while a lifecycle is in memory; a
// reconnector that builds (and closes) its own client. Real simulator over HTTP; no sleeps: tests wait on
// promises and events, and let time pass by shifting an injected clock.

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
let dir: string
let files = 0

beforeAll(async () => {
  env = await simEnv({ seed: 41 })
  dir = mkdtempSync(join(tmpdir(), 'mx-failures-'))
})
afterAll(async () => {
  await env.close()
  rmSync(dir, { recursive: true, force: true })
})

const policy = { timeScale: TIME_SCALE }
const dbPath = () => join(dir, `f-${++files}.db`)
const good = (fields: readonly { guid: string; type: string | null }[]) =>
  fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'good' : 'mxuser' }))
const puts = (memberGuid: string) =>
  env.sim.requests().filter((q) => q.memberGuid === memberGuid && q.method === 'PUT').length

function make(store: LifecycleStore, extra: Partial<ReconnectorOptions> = {}) {
  const events: ReconnectorEvent[] = []
  const r = createReconnector({
    client: env.client,
    store,
    policy,
    onEvent: (e) => events.push(e),
    ...extra,
  })
  return { r, events }
}

/** A credentials provider that answers only when the test says so; `asked` resolves on the prompt. */
function heldProvider() {
  let answer: (() => void) | undefined
  let markAsked: (() => void) | undefined
  const asked = new Promise<void>((resolve) => (markAsked = resolve))
  const credentials: ReconnectorOptions['credentials'] = (p) =>
    new Promise((resolve) => {
      answer = () => resolve(good(p.fields))
      markAsked!()
    })
  return { credentials, asked, answer: () => answer!() }
}

/** A clock `offset` ms ahead of the system clock. */
function shiftedClock() {
  const clock = { offset: 0, now: () => Date.now() + clock.offset, sleep: systemClock.sleep }
  return clock
}

const ioError = (memberGuid: string) => new StoreError({ reason: 'io', message: 'disk gone', memberGuid })

describe('store failures while beginning and settling', () => {
  it('a sweep reports a member whose row cannot be written as storeError and one unreadable as quarantined', async () => {
    const inner = memoryStore()
    const [ok, unwritable, unreadable] = ['ok', 'unwritable', 'unreadable'].map((u) => ({
      userId: `fb-${u}`,
      memberGuid: seedDenied(env.sim, `fb-${u}`),
    }))
    const corrupt = (guid: string) =>
      Promise.reject(new StoreError({ reason: 'corrupt', message: 'row is not JSON', memberGuid: guid }))
    // The unreadable row exists: `create` returns it (created: false), so it fails to read it as `get` does.
    const store: LifecycleStore = {
      ...inner,
      create: (rec, history, lease) =>
        rec.memberGuid === unwritable!.memberGuid
          ? Promise.reject(ioError(rec.memberGuid))
          : rec.memberGuid === unreadable!.memberGuid
            ? corrupt(rec.memberGuid)
            : inner.create(rec, history, lease),
      get: (guid) => (guid === unreadable!.memberGuid ? corrupt(guid) : inner.get(guid)),
    }
    const { r, events } = make(store, { credentials: (p) => Promise.resolve(good(p.fields)) })
    await expect(r.start(unwritable!)).rejects.toMatchObject({ _tag: 'StoreError', reason: 'io' })
    const report = await r.sweep({ members: [ok!, unwritable!, unreadable!] })
    const line = (guid: string) => report.members.find((m) => m.memberGuid === guid)
    expect(line(ok!.memberGuid)).toMatchObject({ outcome: 'connected' })
    expect(line(unwritable!.memberGuid)).toMatchObject({ outcome: 'unfinished', reason: 'storeError' })
    expect(line(unreadable!.memberGuid)).toBeUndefined()
    expect(report.quarantined).toEqual([{ memberGuid: unreadable!.memberGuid, reason: 'row is not JSON' }])
    expect(events.some((e) => e.type === 'error' && e.memberGuid === unwritable!.memberGuid)).toBe(true)
    expect(puts(unwritable!.memberGuid)).toBe(0)
    expect(puts(unreadable!.memberGuid)).toBe(0)
    await r.close()
  })

  it('settled on a member the store cannot read resolves (no view) instead of throwing or hanging', async () => {
    const inner = memoryStore()
    let failReads = false
    const store: LifecycleStore = {
      ...inner,
      get: (guid) => (failReads ? Promise.reject(ioError(guid)) : inner.get(guid)),
    }
    const { r } = make(store)
    const member = { userId: 'fs-1', memberGuid: seedDenied(env.sim, 'fs-1') }
    await r.start(member)
    const parked = await r.settled(member.memberGuid)
    expect(parked?.prompt?.type).toBe('credentials.required')
    failReads = true
    await expect(r.settled(member.memberGuid)).resolves.toBeUndefined()
    await expect(r.view(member)).rejects.toMatchObject({ reason: 'io' })
    failReads = false
    expect((await r.settled(member.memberGuid))?.prompt?.type).toBe('credentials.required')
    await r.close()
  })
})

describe('lease renewal failures', () => {
  it('a store that fails to renew the lease stops the lifecycle before its next request; its waiter resolves', async () => {
    const inner = sqliteStore(dbPath())
    let failStore = false
    const store: LifecycleStore = {
      ...inner,
      acquire: (...args) => (failStore ? Promise.reject(ioError(args[0])) : inner.acquire(...args)),
      get: (guid) => (failStore ? Promise.reject(ioError(guid)) : inner.get(guid)),
    }
    const clock = shiftedClock()
    const held = heldProvider()
    const { r, events } = make(store, { clock, leaseMs: 1_000, credentials: held.credentials })
    const member = { userId: 'fr-1', memberGuid: seedDenied(env.sim, 'fr-1') }
    await r.start(member)
    await held.asked
    const settled = r.settled(member.memberGuid)
    // Time passes beyond half the lease; the store now fails every renewal and read.
    clock.offset += 2_000
    failStore = true
    held.answer()
    const view = await settled
    // The store could not be read: the waiter gets the last view held in memory, still unfinished.
    expect(view?.memberGuid).toBe(member.memberGuid)
    expect(view?.status).not.toBe('done')
    expect(puts(member.memberGuid)).toBe(0)
    const lost = events.filter((e) => e.type === 'error' && e.error._tag === 'LeaseLost')
    expect(lost.map((e) => (e.type === 'error' ? e.error.message : ''))).toContain('stopped here: storeError')
    failStore = false
    await r.close()
    await inner.close()
  })
})

describe('close with lifecycles in memory', () => {
  it('close waits for pending saves, stops the lifecycle and releases its lease; a late answer sends nothing', async () => {
    const store = sqliteStore(dbPath())
    const held = heldProvider()
    const { r } = make(store, { credentials: held.credentials })
    const member = { userId: 'fc-1', memberGuid: seedDenied(env.sim, 'fc-1') }
    await r.start(member)
    await held.asked
    expect((await store.get(member.memberGuid))?.owner).not.toBeNull()
    await r.close()
    const row = await store.get(member.memberGuid)
    expect(row?.owner).toBeNull()
    expect(row?.status).not.toBe('done')
    held.answer()
    // The answer lands on a stopped lifecycle: after its provider promise settles nothing was sent.
    await Promise.resolve()
    expect(puts(member.memberGuid)).toBe(0)
    // The next process finds the member unfinished and can drive it.
    const next = make(store, { credentials: (p) => Promise.resolve(good(p.fields)) })
    const report = await next.r.resumeAll()
    expect(report.members.find((m) => m.memberGuid === member.memberGuid)).toMatchObject({
      outcome: 'connected',
    })
    expect(puts(member.memberGuid)).toBe(1)
    await next.r.close()
    await store.close()
  })
})

describe('a reconnector given client settings', () => {
  it('builds its own client from the config, drives a member with it and closes it on close', async () => {
    const store = memoryStore()
    const r = createReconnector({ client: env.config, store, policy })
    const member = { userId: 'fo-1', memberGuid: seedDenied(env.sim, 'fo-1') }
    await r.start(member)
    const view = await r.settled(member.memberGuid)
    expect(view?.prompt?.type).toBe('credentials.required')
    expect(env.sim.requests().some((q) => q.memberGuid === member.memberGuid && q.method === 'GET')).toBe(
      true,
    )
    await r.close()
    // Closing twice is a no-op.
    await r.close()
    await expect(r.start(member)).rejects.toMatchObject({ reason: 'closed' })
  })
})
