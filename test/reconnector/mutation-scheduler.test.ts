import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Ownership } from '../../src/reconnector/ownership.js'
import { announceLeases, createScheduler, type Scheduler } from '../../src/reconnector/scheduler.js'

// The in-process scheduling engine and `announceLeases` as their TSDoc and docs/scale-out.md define them:
// `at` wakes a member at a time on the lifecycle clock (an overdue one at once), `cancel` forgets it,
// `held` looks again when another holder's lease lapses or after `watchMs` for waiters here, whichever is
// sooner; `every` runs a task every `ms` until `close`, which stops every timer. A lease's wake-up is
// announced to a durable engine before the lease is taken, and no lease is taken when that fails.
// Vitest's fake timers drive both the clock and the host timers: nothing waits on real time.

const T0 = 1_800_000_000_000

describe('createScheduler', () => {
  let due: string[]
  let scheduler: Scheduler
  const make = (watchMs = 1_000) =>
    createScheduler({
      clock: { now: () => Date.now(), sleep: () => Promise.resolve() },
      onDue: (memberGuid) => {
        due.push(memberGuid)
        return Promise.resolve()
      },
      watchMs,
      leaseMs: 60_000,
      watched: () => false,
    })

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 })
    due = []
  })
  afterEach(() => {
    scheduler.close()
    vi.useRealTimers()
  })

  it('wakes a member at its time, not before; an overdue time fires at once', () => {
    scheduler = make()
    scheduler.at('A', T0 + 5_000)
    scheduler.at('C', T0 + 9_000)
    scheduler.cancel('C')
    // One host timer for the queue (reconnector.md, Memory), re-set for an earlier key.
    expect(vi.getTimerCount()).toBe(1)
    scheduler.at('B', T0 - 1_000)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(0)
    expect(due).toEqual(['B'])
    vi.advanceTimersByTime(4_999)
    expect(due).toEqual(['B'])
    vi.advanceTimersByTime(1)
    expect(due).toEqual(['B', 'A'])
  })

  it('a wake-up far in the future (past the host timer’s 24.8-day limit) does not fire early', () => {
    scheduler = make()
    const farOff = T0 + 30 * 86_400_000
    scheduler.at('A', farOff)
    vi.advanceTimersByTime(1_000)
    expect(due).toEqual([])
    vi.advanceTimersByTime(2_147_483_647)
    expect(due).toEqual([])
    vi.setSystemTime(farOff)
    vi.advanceTimersByTime(30 * 86_400_000)
    expect(due).toEqual(['A'])
  })

  it('cancel forgets a wake-up', () => {
    scheduler = make()
    scheduler.at('A', T0 + 100)
    scheduler.at('B', T0 + 100)
    scheduler.cancel('A')
    vi.advanceTimersByTime(200)
    expect(due).toEqual(['B'])
  })

  it('held: looks again just after the other holder’s lease lapses, or after watchMs if that is sooner', () => {
    scheduler = make(1_000)
    scheduler.held('SHORT', T0 + 300)
    scheduler.held('LONG', T0 + 60_000)
    vi.advanceTimersByTime(300)
    expect(due).toEqual([])
    vi.advanceTimersByTime(1)
    expect(due).toEqual(['SHORT'])
    vi.advanceTimersByTime(698)
    expect(due).toEqual(['SHORT'])
    vi.advanceTimersByTime(1)
    expect(due).toEqual(['SHORT', 'LONG'])
  })

  it('held with no lease end looks again at once', () => {
    scheduler = make(1_000)
    scheduler.held('A', null)
    vi.advanceTimersByTime(1)
    expect(due).toEqual(['A'])
  })

  it('every runs its task every ms, unref’d, until close; close also stops the wake-ups', () => {
    scheduler = make()
    let runs = 0
    const spy = vi.spyOn(globalThis, 'setInterval')
    scheduler.every(100, () => void runs++)
    const handle = spy.mock.results[0]?.value as NodeJS.Timeout
    spy.mockRestore()
    expect(handle.hasRef()).toBe(false)
    scheduler.at('A', T0 + 1_000)
    vi.advanceTimersByTime(350)
    expect(runs).toBe(3)
    scheduler.close()
    // Every timer of this process stopped, the wake-up's host timer too.
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(5_000)
    expect(runs).toBe(3)
    expect(due).toEqual([])
  })
})

describe('announceLeases', () => {
  const ownership = (calls: string[]): Ownership => ({
    holder: 'owner/1',
    acquire: (memberGuid, now) => {
      calls.push(`acquire ${memberGuid} ${now}`)
      return Promise.resolve({ ok: true } as never)
    },
    register: () => Promise.resolve(void calls.push('register')),
    release: (memberGuid) => Promise.resolve(void calls.push(`release ${memberGuid}`)),
    close: () => Promise.resolve(void calls.push('close')),
  })
  const engine = (leased?: Scheduler['leased']): Scheduler => ({
    at: () => undefined,
    cancel: () => undefined,
    held: () => undefined,
    every: () => undefined,
    close: () => undefined,
    ...(leased ? { leased } : {}),
  })

  it('an engine that does not ask leaves the ownership as it is', () => {
    const own = ownership([])
    expect(announceLeases(own, engine(), 60_000)).toBe(own)
  })

  it('stores the wake-up behind the lease (its end) before taking the lease', async () => {
    const calls: string[] = []
    const wrapped = announceLeases(
      ownership(calls),
      engine((memberGuid, until) => Promise.resolve(void calls.push(`leased ${memberGuid} ${until}`))),
      60_000,
    )
    expect(wrapped.holder).toBe('owner/1')
    await expect(wrapped.acquire('MBR-1', 1_000)).resolves.toEqual({ ok: true })
    expect(calls).toEqual(['leased MBR-1 61000', 'acquire MBR-1 1000'])
    await wrapped.release('MBR-1')
    await wrapped.register()
    await wrapped.close()
    expect(calls.slice(2)).toEqual(['release MBR-1', 'register', 'close'])
  })

  it('takes no lease when the wake-up cannot be stored', async () => {
    const calls: string[] = []
    const wrapped = announceLeases(
      ownership(calls),
      engine(() => Promise.reject(new Error('pg down'))),
      60_000,
    )
    await expect(wrapped.acquire('MBR-1', 1_000)).rejects.toThrow('pg down')
    expect(calls).toEqual([])
  })

  it('the engine is asked as itself (its own state)', async () => {
    const seen: unknown[] = []
    const durable = {
      ...engine(),
      leased(this: unknown) {
        seen.push(this)
        return Promise.resolve()
      },
    }
    await announceLeases(ownership([]), durable, 1).acquire('M', 0)
    expect(seen).toEqual([durable])
  })
})
