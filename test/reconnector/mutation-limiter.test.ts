import { describe, expect, it } from 'vitest'
import { createLimiter } from '../../src/reconnector/limiter.js'

// The limiter as its interface documents it (limiter.ts): a counting semaphore, FIFO waiters, `tryAcquire`
// (a slot now or nothing, idempotent release) and `whenFree`. Written against the mutants a Stryker run with
// the unit tests left without coverage. No timers: every wait is on a promise this test resolves.

/** Lets every queued promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('createLimiter', () => {
  it('refuses a limit that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => createLimiter(bad)).toThrow(/concurrency must be a positive integer/)
    expect(createLimiter(1).active).toBe(0)
  })

  it('tryAcquire takes a free slot now, or nothing; its release is idempotent', () => {
    const limiter = createLimiter(2)
    const a = limiter.tryAcquire()
    const b = limiter.tryAcquire()
    expect(a).toBeTypeOf('function')
    expect(b).toBeTypeOf('function')
    expect(limiter.active).toBe(2)
    expect(limiter.tryAcquire()).toBeUndefined()
    a!()
    a!()
    expect(limiter.active).toBe(1)
    const c = limiter.tryAcquire()
    expect(c).toBeTypeOf('function')
    expect(limiter.active).toBe(2)
    b!()
    c!()
    expect(limiter.active).toBe(0)
  })

  it('a slot released while tasks wait goes to the first waiter, not to tryAcquire', async () => {
    const limiter = createLimiter(1)
    const hold = limiter.tryAcquire()!
    const order: string[] = []
    const queued = limiter.run(() => Promise.resolve(void order.push('queued')))
    expect(limiter.waiting).toBe(1)
    expect(limiter.tryAcquire()).toBeUndefined()
    hold()
    await queued
    expect(order).toEqual(['queued'])
    expect(limiter.active).toBe(0)
    expect(limiter.waiting).toBe(0)
  })

  it('whenFree resolves at once when a slot is free, else when one comes free with nobody waiting', async () => {
    const limiter = createLimiter(1)
    let early = false
    await limiter.whenFree().then(() => (early = true))
    expect(early).toBe(true)
    const hold = limiter.tryAcquire()!
    let freed = 0
    const waits = [limiter.whenFree(), limiter.whenFree()].map((p) => p.then(() => freed++))
    let release: (() => void) | undefined
    const queued = limiter.run(() => new Promise<void>((resolve) => (release = resolve)))
    await settle()
    expect(freed).toBe(0)
    // Handed to the queued task: still no free slot.
    hold()
    await settle()
    expect(limiter.active).toBe(1)
    expect(freed).toBe(0)
    release!()
    await queued
    await Promise.all(waits)
    expect(freed).toBe(2)
    expect(limiter.active).toBe(0)
  })

  it('runs thousands of waiters in FIFO order (the queue compacts as it drains), counting as it goes', async () => {
    const limiter = createLimiter(1)
    const n = 3_000
    const order: number[] = []
    const seen: number[] = []
    const all = Array.from({ length: n }, (_, i) =>
      limiter.run(() => {
        order.push(i)
        if (i % 500 === 0) seen.push(limiter.waiting)
        return Promise.resolve()
      }),
    )
    expect(limiter.waiting).toBe(n - 1)
    await Promise.all(all)
    expect(order).toEqual(Array.from({ length: n }, (_, i) => i))
    expect(seen).toEqual([0, 500, 1000, 1500, 2000, 2500].map((i) => (i === 0 ? 0 : n - 1 - i)))
    expect(limiter.active).toBe(0)
    expect(limiter.waiting).toBe(0)
    // Reusable after draining.
    await expect(limiter.run(() => Promise.resolve('again'))).resolves.toBe('again')
  })
})
