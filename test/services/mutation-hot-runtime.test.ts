import { describe, expect, it } from 'vitest'
import { SharedScheduler } from '../../src/services/hot-runtime.js'

// Written against the mutants Stryker left alive in src/services/hot-runtime.ts (docs/testing.md). The
// oracle is the scheduler's documented contract: it runs every task it is given, in order, and drains them in
// microtasks but "so the event loop is never starved": a program that keeps scheduling work still lets
// timers and I/O run (Effect's schedulers give the same guarantee).

const timer = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

describe('SharedScheduler', () => {
  it('runs tasks in the order they were scheduled, including tasks scheduled by a task', async () => {
    const scheduler = new SharedScheduler()
    const seen: string[] = []
    const done = new Promise<void>((resolve) => {
      scheduler.scheduleTask(() => {
        seen.push('a')
        scheduler.scheduleTask(() => {
          seen.push('c')
          resolve()
        }, 0)
      }, 0)
      scheduler.scheduleTask(() => seen.push('b'), 0)
    })
    await done
    expect(seen).toEqual(['a', 'b', 'c'])
  })

  it('never starves the event loop: a timer fires while a task keeps rescheduling itself', async () => {
    const scheduler = new SharedScheduler()
    let spins = 0
    let stop = false
    const spin = () => {
      spins++
      if (!stop) scheduler.scheduleTask(spin, 0)
    }
    scheduler.scheduleTask(spin, 0)
    await timer() // never resolves if the drains never give way to a timer
    stop = true
    expect(spins).toBeGreaterThan(0)
    // The scheduler still runs new work after it gave way to the timer.
    const after = await new Promise<string>((resolve) => scheduler.scheduleTask(() => resolve('ran'), 0))
    expect(after).toBe('ran')
  })
})
