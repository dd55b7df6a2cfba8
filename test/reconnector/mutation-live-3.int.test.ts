import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/bridge/clock.js'
import type { ReconnectorEvent } from '../../src/reconnector/index.js'
import { StoreError } from '../../src/stores/errors.js'
import { memoryStore, sqliteStore } from '../../src/stores/index.js'
import type { HistoryEntry, LifecycleStore } from '../../src/stores/index.js'
import { TIME_SCALE, simEnv } from '../support/sim-env.js'
import {
  deniedMember,
  good,
  hourPolicy,
  makeReconnector,
  turns,
  type SimEnv,
} from './support/reconnector-env.js'

// More survivors of the Stryker runs over src/reconnector/live.ts (docs/testing.md ²⁴), each a scenario
// from the design: a lifecycle the machine cannot run is quarantined with one reason (reconnector.md: bad
// rows never block others); `userDeadlinePassed` only for a user who did not answer in time (reconnector.md,
// Sweep report); no error without a provider (types.ts: no provider leaves the prompt to the user); one
// transition per state change, with its connection status (history); a refused submission leaves the
// member parked and its lease given back (memory); a failed save stops the lifecycle once, named by why
// (leaseLost / versionConflict / storeError), and nothing is saved after it (stored before the side
// effect); a provider answering after close submits nothing. Real simulator over HTTP, real stores,
// wrapped only to fail or watch a call.

let env: SimEnv
let dir: string
beforeAll(async () => {
  env = await simEnv({ seed: 113 })
  dir = mkdtempSync(join(tmpdir(), 'mx-live3-'))
})
afterAll(async () => {
  await env.close()
  rmSync(dir, { recursive: true, force: true })
})

const member = (userId: string) => deniedMember(env, userId)
const errorsOf = (events: readonly ReconnectorEvent[], memberGuid: string) =>
  events.flatMap((e) => (e.type === 'error' && e.memberGuid === memberGuid ? [e.error] : []))
const submissionsIn = (history: readonly HistoryEntry[]) =>
  history.filter((h) => h.type === 'submitted').map((h) => h.data)
const isLeaseLost = (guid: string) => (e: ReconnectorEvent) =>
  e.type === 'error' && e.memberGuid === guid && e.error._tag === 'LeaseLost'

describe('a stored snapshot the machine cannot run (reconnector.md: bad rows never block others)', () => {
  it('one machine error, then one Quarantined “lifecycle failed”, stored with that reason', async () => {
    const path = join(dir, 't1.db')
    const store = sqliteStore(path)
    const m = member('ml3-t1')
    const first = makeReconnector(env, store)
    await first.r.start(m)
    expect((await first.r.settled(m.memberGuid))?.prompt?.type).toBe('credentials.required')
    await first.r.close()
    const db = new Database(path)
    db.prepare(
      `UPDATE lifecycles SET snapshot = json_set(snapshot, '$.value', 'noSuchState'), wake_at = 0 WHERE member_guid = ?`,
    ).run(m.memberGuid)
    db.close()
    const second = makeReconnector(env, store)
    const report = await second.r.resumeAll()
    expect(report.quarantined.map((q) => q.memberGuid)).toEqual([m.memberGuid])
    await second.r.close()
    // Each run of the row (a settle may wake it once more before the quarantine lands): the machine's
    // error, then the quarantine it led to; nothing else.
    const errors = errorsOf(second.events, m.memberGuid).map((e) => JSON.stringify(e))
    const machine = JSON.stringify({ _tag: 'UnknownError', message: 'Error' })
    const quarantined = JSON.stringify({ _tag: 'Quarantined', message: 'lifecycle failed: Error' })
    expect(errors.length).toBeGreaterThan(0)
    expect(new Set(errors)).toEqual(new Set([machine, quarantined]))
    expect(errors.filter((e) => e === machine).length).toBe(errors.filter((e) => e === quarantined).length)
    expect(await store.quarantined()).toMatchObject([
      { memberGuid: m.memberGuid, reason: 'lifecycle failed: Error' },
    ])
    await store.close()
  })
})

describe('userDeadlinePassed only for a user who did not answer in time (reconnector.md, Sweep report)', () => {
  it('credentials refused until the budget is spent, restored after a poll: needsCredentials without a deadline reason', async () => {
    const m = member('ml3-t2')
    const bad = (fields: readonly { guid: string; type: string | null }[]) =>
      fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'good' : 'nobody' }))
    const { r, events } = makeReconnector(env, memoryStore(), {
      evictAfterMs: 0,
      credentials: (p) => Promise.resolve(bad(p.fields)),
      // Polls at a tenth of real time (a 300 ms floor), so each poll's wait is still ahead when its state
      // is stored, however loaded the machine: evictAfterMs 0 then evicts it.
      policy: { ...hourPolicy, timeScale: 0.1, attempts: { credentials: 2 } },
    })
    await r.start(m)
    const done = await r.settled(m.memberGuid)
    expect(done?.outcome?.outcome).toBe('needsCredentials')
    expect(events.some((e) => e.type === 'evicted' && e.memberGuid === m.memberGuid && !e.awaitingUser)).toBe(
      true,
    )
    expect(done?.outcome).not.toHaveProperty('reason')
    await r.close()
  })

  it('a parked member cancelled: cancelled, without a deadline reason', async () => {
    const inner = memoryStore()
    const m = member('ml3-t8')
    const { r } = makeReconnector(env, inner)
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.prompt?.type).toBe('credentials.required')
    const view = await r.cancel(m)
    expect(view.outcome?.outcome).toBe('cancelled')
    expect(view.outcome).not.toHaveProperty('reason')
    expect((await inner.get(m.memberGuid))?.outcome).not.toHaveProperty('reason')
    await r.close()
  })

  it('the user deadline passes while the lifecycle is in memory (a provider still answering): userDeadlinePassed', async () => {
    const m = member('ml3-t9')
    const { r } = makeReconnector(env, memoryStore(), {
      policy: { timeScale: TIME_SCALE, userResponseMs: 20_000 },
      credentials: () => new Promise(() => undefined),
    })
    await r.start(m)
    const done = await r.settled(m.memberGuid)
    expect(done?.outcome).toMatchObject({ outcome: 'needsCredentials', reason: 'userDeadlinePassed' })
    await r.close()
  })
})

describe('prompts, transitions and history (reconnector.md: history; types.ts: providers)', () => {
  it('no provider: a prompt is no error', async () => {
    const m = member('ml3-t3')
    const { r, events } = makeReconnector(env, memoryStore())
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.prompt?.type).toBe('credentials.required')
    await r.close()
    expect(errorsOf(events, m.memberGuid)).toEqual([])
  })

  it('a provider that declines at once: one transition to credentials.awaiting, and the history says the same', async () => {
    const store = memoryStore()
    const m = member('ml3-t4a')
    const { r, events } = makeReconnector(env, store, { credentials: () => Promise.resolve(undefined) })
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.prompt?.type).toBe('credentials.required')
    await r.close()
    const transitions = events.flatMap((e) =>
      e.type === 'transition' && e.memberGuid === m.memberGuid
        ? [{ state: e.state, connectionStatus: e.connectionStatus }]
        : [],
    )
    expect(transitions.filter((t) => t.state === 'credentials.awaiting')).toHaveLength(1)
    const states = (await store.history(m.memberGuid)).filter((h) => h.type === 'state').map((h) => h.data)
    expect(states).toEqual(transitions)
  })

  it('the transition to credentials.awaiting carries the connection status read', async () => {
    const m = member('ml3-t4b')
    const { r, events } = makeReconnector(env, memoryStore())
    await r.start(m)
    await r.settled(m.memberGuid)
    await r.close()
    const awaiting = events.find(
      (e) => e.type === 'transition' && e.memberGuid === m.memberGuid && e.state === 'credentials.awaiting',
    )
    expect(awaiting).toMatchObject({ connectionStatus: 'DENIED' })
  })
})

describe('a refused submission, and a provider that answers too late', () => {
  it('a refused (wrong kind) submission on a parked member: parked again, evicted, lease given back', async () => {
    const inner = memoryStore()
    const m = member('ml3-t5')
    const { r, events } = makeReconnector(env, inner)
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.prompt?.type).toBe('credentials.required')
    expect(await r.submitMfa(m, [{ guid: 'CHL-x', value: '1' }])).toEqual({ accepted: false })
    const again = await r.settled(m.memberGuid)
    expect(again).toMatchObject({ prompt: { type: 'credentials.required' } })
    expect(events.filter((e) => e.type === 'evicted' && e.memberGuid === m.memberGuid)).toHaveLength(2)
    expect((await inner.get(m.memberGuid))?.owner ?? null).toBeNull()
    await r.close()
  })

  it('a provider answering after close: nothing submitted, nothing recorded', async () => {
    const store = memoryStore()
    const m = member('ml3-t10')
    let answer!: () => void
    let asked!: () => void
    const prompted = new Promise<void>((resolve) => (asked = resolve))
    const { r } = makeReconnector(env, store, {
      credentials: (p) =>
        new Promise((resolve) => {
          answer = () => resolve(good(p.fields))
          asked()
        }),
    })
    await r.start(m)
    await prompted
    await r.close()
    answer()
    await turns(20)
    expect(submissionsIn(await store.history(m.memberGuid))).toEqual([])
  })
})

describe('a failed save stops the lifecycle once, named by why (reconnector.md: stored before the side effect)', () => {
  it('a save refused for its version while the parked state waits behind it: stopped once, nothing saved after', async () => {
    const inner = memoryStore()
    const m = member('ml3-t6')
    let moved = false
    let failed = false
    let savesAfter = 0
    const store: LifecycleStore = {
      ...inner,
      save: async (guid, update, history) => {
        if (guid === m.memberGuid) {
          if (failed) savesAfter += 1
          if (update.state === 'credentials.awaiting' && !moved) {
            moved = true
            const { expectedOwner: _owner, ...unowned } = update
            await inner.save(guid, unowned, [])
            try {
              return await inner.save(guid, update, history)
            } finally {
              failed = true
            }
          }
        }
        return inner.save(guid, update, history)
      },
    }
    const { r, events, event } = makeReconnector(env, store, {
      credentials: () => Promise.resolve(undefined),
    })
    await r.start(m)
    await event(isLeaseLost(m.memberGuid))
    await turns(50)
    const errors = errorsOf(events, m.memberGuid)
    expect(errors.map((e) => e._tag)).toEqual(['StoreError', 'LeaseLost'])
    expect(errors[1]).toEqual({ _tag: 'LeaseLost', message: 'stopped here: versionConflict' })
    expect(savesAfter).toBe(0)
    await r.close()
  })

  it('the lease taken by another instance before the prompt is saved: stopped here as leaseLost', async () => {
    const clock = { offset: 0, now: () => Date.now() + clock.offset, sleep: systemClock.sleep }
    const inner = memoryStore({ clock: () => clock.now() })
    const m = member('ml3-t7')
    let stolen = false
    const store: LifecycleStore = {
      ...inner,
      save: async (guid, update, history) => {
        if (guid === m.memberGuid && update.state === 'credentials.awaiting' && !stolen) {
          stolen = true
          clock.offset += 2_000
          expect(await inner.acquire(guid, 'thief/1', 60_000, clock.now())).toBe(true)
        }
        return inner.save(guid, update, history)
      },
    }
    const { r, events, event } = makeReconnector(env, store, { clock, leaseMs: 1_000 })
    await r.start(m)
    await event(isLeaseLost(m.memberGuid))
    expect(errorsOf(events, m.memberGuid).filter((e) => e._tag === 'LeaseLost')).toEqual([
      { _tag: 'LeaseLost', message: 'stopped here: leaseLost' },
    ])
    await r.close()
  })

  it('a save the store fails (io): stopped here as storeError', async () => {
    const inner = memoryStore()
    const m = member('ml3-t7b')
    const store: LifecycleStore = {
      ...inner,
      save: (guid, update, history) =>
        guid === m.memberGuid && update.state === 'credentials.awaiting'
          ? Promise.reject(new StoreError({ reason: 'io', message: 'disk gone', memberGuid: guid }))
          : inner.save(guid, update, history),
    }
    const { r, events, event } = makeReconnector(env, store)
    await r.start(m)
    await event(isLeaseLost(m.memberGuid))
    expect(errorsOf(events, m.memberGuid).filter((e) => e._tag === 'LeaseLost')).toEqual([
      { _tag: 'LeaseLost', message: 'stopped here: storeError' },
    ])
    await r.close()
  })
})
