import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createTimerQueue, type TimerHost } from '../../src/reconnector/timer-queue.js'
import { createLimiter } from '../../src/reconnector/limiter.js'

/**
 * A host with a manual clock and at most one pending timer, like the real one. `late`: the host timer
 * fires only when the clock reaches the advance target (a busy event loop), so several keys are due at
 * once and the queue, not the host, must order them.
 */
function manualHost(late = false) {
  let now = 0
  let timer: { at: number; callback: () => void; id: number } | undefined
  let ids = 0
  let armed = 0
  const host: TimerHost = {
    now: () => now,
    setTimer: (callback, ms) => {
      armed += 1
      timer = { at: now + Math.max(0, ms), callback, id: ++ids }
      return timer.id
    },
    clearTimer: (id) => {
      if (timer?.id === id) timer = undefined
    },
  }
  return {
    host,
    pending: () => (timer ? 1 : 0),
    armed: () => armed,
    advanceTo(target: number) {
      while (timer && timer.at <= target) {
        now = late ? Math.max(now, target) : Math.max(now, timer.at)
        const { callback } = timer
        timer = undefined
        callback()
      }
      now = target
    },
  }
}

describe('timer queue', () => {
  it('fires each key once, in time order, with one host timer', () => {
    const clock = manualHost()
    const fired: Array<[string, number]> = []
    const queue = createTimerQueue((key) => fired.push([key, clock.host.now()]), clock.host)
    queue.schedule('b', 200)
    queue.schedule('a', 100)
    queue.schedule('c', 300)
    expect(clock.pending()).toBe(1)
    clock.advanceTo(1000)
    expect(fired).toEqual([
      ['a', 100],
      ['b', 200],
      ['c', 300],
    ])
    expect(queue.size).toBe(0)
  })

  it('re-scheduling replaces, cancel forgets, overdue fires at once', () => {
    const clock = manualHost()
    const fired: string[] = []
    const queue = createTimerQueue((key) => fired.push(key), clock.host)
    queue.schedule('a', 100)
    queue.schedule('a', 500)
    queue.schedule('b', 150)
    queue.cancel('b')
    clock.advanceTo(400)
    expect(fired).toEqual([])
    queue.schedule('late', -5)
    clock.advanceTo(400)
    expect(fired).toEqual(['late'])
    clock.advanceTo(600)
    expect(fired).toEqual(['late', 'a'])
  })

  it('fires keys due at once in time order, then registration order (a late host timer)', () => {
    const clock = manualHost(true)
    const fired: string[] = []
    const queue = createTimerQueue((key) => fired.push(key), clock.host)
    queue.schedule('c', 300)
    queue.schedule('a', 100)
    queue.schedule('tie-1', 200)
    queue.schedule('tie-2', 200)
    queue.schedule('b', 150)
    queue.schedule('a', 250) // re-registered: its new time and its new place among equals
    clock.advanceTo(1000)
    expect(fired).toEqual(['b', 'tie-1', 'tie-2', 'a', 'c'])
  })

  it('matches a simple model for any schedule/cancel/advance sequence, in order', () => {
    const command = fc.oneof(
      fc.record({
        op: fc.constant('schedule' as const),
        key: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
        // Relative to the current time, sometimes overdue; few distinct offsets, so ties (fired in
        // registration order) are common.
        in: fc.oneof(fc.integer({ min: -50, max: 600 }), fc.constantFrom(100, 200, 300)),
      }),
      fc.record({ op: fc.constant('cancel' as const), key: fc.constantFrom('a', 'b', 'c', 'd', 'e') }),
      fc.record({ op: fc.constant('advance' as const), by: fc.nat(300) }),
    )
    let reordered = 0
    fc.assert(
      fc.property(
        fc.array(command, { minLength: 10, maxLength: 60, size: 'max' }),
        fc.boolean(),
        (commands, late) => {
          const clock = manualHost(late)
          const fired: string[] = []
          const queue = createTimerQueue((key) => fired.push(key), clock.host)
          // key → [time, registration number]
          const model = new Map<string, readonly [number, number]>()
          const expected: string[] = []
          let registrations = 0
          let now = 0
          for (const c of commands) {
            if (c.op === 'schedule') {
              model.set(c.key, [now + c.in, ++registrations])
              queue.schedule(c.key, now + c.in)
            } else if (c.op === 'cancel') {
              model.delete(c.key)
              queue.cancel(c.key)
            } else {
              now += c.by
            }
            // Anything due by `now` fires, in time order, then registration order.
            const due = [...model.entries()]
              .filter(([, [at]]) => at <= now)
              .sort(([, x], [, y]) => x[0] - y[0] || x[1] - y[1])
            if (due.length > 1) reordered++
            for (const [key] of due) {
              model.delete(key)
              expected.push(key)
            }
            clock.advanceTo(now)
            expect(fired).toEqual(expected)
            expect(queue.size).toBe(model.size)
            expect(clock.pending()).toBe(model.size > 0 ? 1 : 0)
          }
        },
      ),
      { numRuns: 200, seed: 0x7e11 },
    )
    // The runs reach the case the order matters for: several keys due at one firing.
    expect(reordered).toBeGreaterThan(100)
  })
})

describe('limiter', () => {
  it('never runs more than the limit at once and runs everything', async () => {
    const limiter = createLimiter(3)
    let running = 0
    let peak = 0
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limiter.run(async () => {
          running += 1
          peak = Math.max(peak, running)
          await new Promise((resolve) => setImmediate(resolve))
          running -= 1
          return i
        }),
      ),
    )
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(peak).toBe(3)
    expect(limiter.active).toBe(0)
  })

  it('releases the slot when a task fails, and rejects bad limits', async () => {
    const limiter = createLimiter(1)
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    await expect(limiter.run(() => Promise.resolve(7))).resolves.toBe(7)
    expect(() => createLimiter(0)).toThrow(RangeError)
  })
})
