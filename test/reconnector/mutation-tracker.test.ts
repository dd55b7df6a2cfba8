import { describe, expect, it } from 'vitest'
import { createTracker } from '../../src/reconnector/tracker.js'
import { createWaiters, type Settlement } from '../../src/reconnector/waiters.js'

// The tracker and the waiters as their TSDoc and docs/reconnector.md describe them: per-member counters
// kept only while a sweep reports on the member (calls: Nexus calls made here; a duration from activation
// to the finish or the park), and waiters that every path ending a wait resolves ("waiters always
// resolve"). Written against the mutants a Stryker run with the unit tests left uncovered.

describe('tracker', () => {
  it('starts counters on activation with the member’s user, and keeps them across a second activation', () => {
    let now = 1_000
    const tracker = createTracker(() => now)
    tracker.report(['A', 'B'])
    tracker.activated({ userId: 'u-a', memberGuid: 'A' })
    expect(tracker.get('A')).toEqual({ userId: 'u-a', memberGuid: 'A', calls: 0, startedAt: 1_000 })
    tracker.called('A')
    tracker.called('A')
    now = 2_000
    tracker.activated({ userId: 'u-a', memberGuid: 'A' })
    expect(tracker.get('A')).toMatchObject({ calls: 2, startedAt: 1_000 })
    // B is reported but not activated: no counters, and a call for it starts none.
    tracker.called('B')
    expect(tracker.get('B')).toBeUndefined()
  })

  it('a park sets parkedAt, a finish sets finishedAt; marking an untracked member does nothing', () => {
    let now = 10
    const tracker = createTracker(() => now)
    tracker.report(['A'])
    tracker.activated({ userId: 'u', memberGuid: 'A' })
    now = 25
    tracker.mark('A', 'parked')
    expect(tracker.get('A')?.parkedAt).toBe(25)
    expect(tracker.get('A')?.finishedAt).toBeUndefined()
    now = 40
    tracker.mark('A', 'finished')
    expect(tracker.get('A')).toMatchObject({ parkedAt: 25, finishedAt: 40 })
    expect(() => tracker.mark('Z', 'finished')).not.toThrow()
    expect(() => tracker.mark('Z', 'parked')).not.toThrow()
    expect(tracker.get('Z')).toBeUndefined()
  })

  it('reset forgets the counters; the next activation starts them afresh', () => {
    let now = 5
    const tracker = createTracker(() => now)
    tracker.report(['A'])
    tracker.activated({ userId: 'u', memberGuid: 'A' })
    tracker.called('A')
    tracker.reset('A')
    expect(tracker.get('A')).toBeUndefined()
    now = 9
    tracker.activated({ userId: 'u', memberGuid: 'A' })
    expect(tracker.get('A')).toMatchObject({ calls: 0, startedAt: 9 })
  })

  it('one report, one unreport: the counters go; the other members’ stay', () => {
    const tracker = createTracker(() => 0)
    tracker.report(['A', 'B'])
    tracker.activated({ userId: 'u', memberGuid: 'A' })
    tracker.activated({ userId: 'u', memberGuid: 'B' })
    tracker.unreport(['A'])
    expect(tracker.get('A')).toBeUndefined()
    expect(tracker.get('B')).toBeDefined()
    // No longer reported: activating A again starts nothing.
    tracker.activated({ userId: 'u', memberGuid: 'A' })
    expect(tracker.get('A')).toBeUndefined()
  })
})

describe('waiters', () => {
  const view = (memberGuid: string) => ({ memberGuid }) as unknown as Settlement['view']

  it('resolves every waiter of the member with the settlement, and forgets them', async () => {
    const waiters = createWaiters()
    expect(waiters.has('A')).toBe(false)
    expect(waiters.members()).toEqual([])
    const a1 = waiters.wait('A')
    const a2 = waiters.wait('A')
    const b = waiters.wait('B')
    expect(waiters.has('A')).toBe(true)
    expect(waiters.members()).toEqual(['A', 'B'])
    const settlement: Settlement = { view: view('A'), reason: 'leaseLost' }
    waiters.resolve('A', settlement)
    await expect(a1).resolves.toBe(settlement)
    await expect(a2).resolves.toBe(settlement)
    expect(waiters.has('A')).toBe(false)
    expect(waiters.members()).toEqual(['B'])
    // B still waits: resolving A did not touch it.
    let bDone = false
    void b.then(() => (bDone = true))
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(bDone).toBe(false)
    waiters.resolve('B', { view: undefined, reason: 'closed' })
    await expect(b).resolves.toEqual({ view: undefined, reason: 'closed' })
  })

  it('a wait begun after a resolve waits for the next one; resolving nobody is harmless', async () => {
    const waiters = createWaiters()
    expect(() => waiters.resolve('A', { view: undefined })).not.toThrow()
    expect(waiters.has('A')).toBe(false)
    const first = waiters.wait('A')
    waiters.resolve('A', { view: view('A'), reason: 'first' })
    const second = waiters.wait('A')
    expect(waiters.has('A')).toBe(true)
    waiters.resolve('A', { view: view('A'), reason: 'second' })
    await expect(first).resolves.toMatchObject({ reason: 'first' })
    await expect(second).resolves.toMatchObject({ reason: 'second' })
  })
})
