import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/stores/index.js'
import type { LifecycleStore, HistoryEntry } from '../../src/stores/index.js'
import { simEnv } from '../support/sim-env.js'
import {
  deniedMember,
  good,
  hold,
  makeReconnector,
  requestsOf,
  turns,
  type SimEnv,
} from './support/reconnector-env.js'

// Survivors of the Stryker runs over src/reconnector/live.ts (docs/testing.md ²³): a submission the
// lifecycle refuses, whose history entry no save takes (reconnector.md: "every ... submission (guids only)
// ... is appended to the member's history"); close with a save still in flight (reconnector.md: "stored
// before the side effect"; the lease is given back only once the state is stored); and saves nobody needs
// (issue 15: no store write that stores nothing new). Real simulator over HTTP, the real memory store,
// wrapped only to watch or hold a call.

let env: SimEnv

beforeAll(async () => {
  env = await simEnv({ seed: 97 })
})
afterAll(async () => {
  await env.close()
})

const member = (userId: string) => deniedMember(env, userId)
const submissionsIn = (history: readonly HistoryEntry[]) =>
  history.filter((h) => h.type === 'submitted').map((h) => h.data)

describe('a submission the lifecycle refuses (reconnector.md: every submission is appended to history)', () => {
  it('is recorded, guids only and not accepted, though no state change stores it; a later one follows it', async () => {
    const store = memoryStore()
    const m = member('ml2-refused')
    const { r } = makeReconnector(env, store)
    await r.start(m)
    const parked = await r.settled(m.memberGuid)
    expect(parked?.prompt?.type).toBe('credentials.required')
    // An MFA answer for a member that waits on credentials: refused, nothing sent, nothing changes.
    const refused = await r.submitMfa(m, [{ guid: 'CHL-none', value: '424242' }])
    expect(refused.accepted).toBe(false)
    const fields = parked?.prompt?.type === 'credentials.required' ? parked.prompt.fields : []
    const accepted = await r.submitCredentials(m, good(fields))
    expect(accepted.accepted).toBe(true)
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    await r.close()
    const history = await store.history(m.memberGuid)
    expect(submissionsIn(history)).toEqual([
      { kind: 'mfa.submit', guids: ['CHL-none'], accepted: false },
      { kind: 'credentials.submit', guids: fields.map((f) => f.guid), accepted: true },
    ])
    expect(JSON.stringify(history)).not.toContain('424242')
    expect(requestsOf(env).puts(m.memberGuid)).toBe(1)
  })

  it('is recorded when no save follows it (a provider still answering keeps the member in memory)', async () => {
    const store = memoryStore()
    const m = member('ml2-refused-live')
    let asked!: () => void
    const prompted = new Promise<void>((resolve) => (asked = resolve))
    const { r } = makeReconnector(env, store, {
      credentials: () => {
        asked()
        return new Promise(() => undefined)
      },
    })
    await r.start(m)
    await prompted
    expect((await r.submitMfa(m, [{ guid: 'CHL-late', value: '1' }])).accepted).toBe(false)
    await r.close()
    expect(submissionsIn(await store.history(m.memberGuid))).toEqual([
      { kind: 'mfa.submit', guids: ['CHL-late'], accepted: false },
    ])
  })

  it('an accepted one is stored with the save of the state it led to, not by an append of its own', async () => {
    const inner = memoryStore()
    const m = member('ml2-append')
    let appends = 0
    const store: LifecycleStore = {
      ...inner,
      append: (guid, entries) => {
        if (guid === m.memberGuid) appends += 1
        return inner.append(guid, entries)
      },
    }
    const { r } = makeReconnector(env, store, { credentials: (p) => Promise.resolve(good(p.fields)) })
    await r.start(m)
    expect((await r.settled(m.memberGuid))?.outcome?.outcome).toBe('connected')
    await r.close()
    expect(submissionsIn(await inner.history(m.memberGuid))).toHaveLength(1)
    expect(appends).toBe(0)
  })
})

describe('close with a save in flight (the lease is given back only once the state is stored)', () => {
  it('waits for the member’s pending save before it releases the lease', async () => {
    const inner = memoryStore()
    const m = member('ml2-close-save')
    const order: string[] = []
    let held: ReturnType<typeof hold> | undefined
    const store: LifecycleStore = {
      ...inner,
      save: async (guid, update, history) => {
        // Holds the save of the credential prompt (the provider below never answers).
        if (guid === m.memberGuid && update.state === 'credentials.awaiting' && held === undefined) {
          held = hold()
          held.reached()
          await held.opened
          const saved = await inner.save(guid, update, history)
          order.push('saved')
          return saved
        }
        return inner.save(guid, update, history)
      },
      release: (guid, holder) => {
        if (guid === m.memberGuid) order.push('released')
        return inner.release(guid, holder)
      },
    }
    let asked!: () => void
    const prompted = new Promise<void>((resolve) => (asked = resolve))
    // A provider that never answers keeps the lifecycle in memory.
    const { r } = makeReconnector(env, store, {
      credentials: () => {
        asked()
        return new Promise(() => undefined)
      },
    })
    await r.start(m)
    await prompted
    while (held === undefined) await turns(1)
    await held.seen
    const closing = r.close()
    // Many turns for a close that does not wait to give the lease back while the save is held.
    await turns(50)
    expect(order).toEqual([])
    held.open()
    await closing
    expect(order).toEqual(['saved', 'released'])
    const row = await inner.get(m.memberGuid)
    expect(row?.state).toBe('credentials.awaiting')
    expect(row?.owner ?? null).toBeNull()
  })
})

describe('no save that stores nothing new (issue 15: fewer store operations per member)', () => {
  async function savesOf(userId: string, answer: 'good' | 'decline') {
    const inner = memoryStore()
    const m = member(userId)
    const saves: string[] = []
    const store: LifecycleStore = {
      ...inner,
      save: (guid, update, history) => {
        if (guid === m.memberGuid)
          saves.push(
            JSON.stringify({ state: update.state, status: update.status, snapshot: update.snapshot }),
          )
        return inner.save(guid, update, history)
      },
    }
    const { r } = makeReconnector(env, store, {
      credentials: (p) => Promise.resolve(answer === 'good' ? good(p.fields) : undefined),
    })
    await r.start(m)
    const settled = await r.settled(m.memberGuid)
    await r.close()
    return { saves, settled }
  }

  it('a provider that answers: every save differs from the one before it', async () => {
    const { saves, settled } = await savesOf('ml2-saves-good', 'good')
    expect(settled?.outcome?.outcome).toBe('connected')
    expect(saves.length).toBeGreaterThan(2)
    for (let i = 1; i < saves.length; i++) expect(saves[i], `save ${i}`).not.toBe(saves[i - 1])
  })

  it('a provider that declines: the parked state is stored once, and every save differs from the one before', async () => {
    const { saves, settled } = await savesOf('ml2-saves-decline', 'decline')
    expect(settled?.prompt?.type).toBe('credentials.required')
    for (let i = 1; i < saves.length; i++) expect(saves[i], `save ${i}`).not.toBe(saves[i - 1])
    const waiting = saves.filter((s) => (JSON.parse(s) as { status: string }).status === 'waiting')
    expect(waiting).toHaveLength(1)
  })
})
