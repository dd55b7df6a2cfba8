import { afterEach, describe, expect, it, vi } from 'vitest'
import { createTimerQueue, realTimerHost, type TimerHost } from '../../src/reconnector/timer-queue.js'

// The timer queue as its TSDoc and docs/reconnector.md ("Memory": one timer queue, a heap, one host timer)
// define it: a single host timer, set for the earliest key; `close` stops it and forgets everything, after
// which nothing fires; the real host clamps a delay to what `setTimeout` can hold. Written against the
// survivors of a Stryker run with the unit tests. The host here keeps every timer it was asked for, so a
// second live host timer shows.

function multiHost() {
  let now = 0
  let ids = 0
  const timers = new Map<number, { at: number; callback: () => void }>()
  const host: TimerHost = {
    now: () => now,
    setTimer: (callback, ms) => {
      timers.set(++ids, { at: now + Math.max(0, ms), callback })
      return ids
    },
    clearTimer: (id) => void timers.delete(id as number),
  }
  return {
    host,
    live: () => timers.size,
    advanceTo(target: number) {
      for (;;) {
        const next = [...timers.entries()]
          .filter(([, t]) => t.at <= target)
          .sort((a, b) => a[1].at - b[1].at)[0]
        if (!next) break
        timers.delete(next[0])
        now = Math.max(now, next[1].at)
        next[1].callback()
      }
      now = target
    },
  }
}

describe('one host timer', () => {
  it('an earlier key replaces the armed host timer instead of adding one', () => {
    const h = multiHost()
    const fired: string[] = []
    const queue = createTimerQueue((key) => fired.push(key), h.host)
    queue.schedule('late', 300)
    queue.schedule('early', 100)
    expect(h.live()).toBe(1)
    queue.schedule('earliest', 50)
    expect(h.live()).toBe(1)
    queue.cancel('earliest')
    expect(h.live()).toBe(1)
    h.advanceTo(150)
    expect(fired).toEqual(['early'])
    expect(h.live()).toBe(1)
    h.advanceTo(1_000)
    expect(fired).toEqual(['early', 'late'])
    expect(h.live()).toBe(0)
  })
})

describe('close', () => {
  it('stops the host timer and forgets everything: nothing fires afterwards', () => {
    const h = multiHost()
    const fired: string[] = []
    const queue = createTimerQueue((key) => fired.push(key), h.host)
    queue.schedule('a', 100)
    queue.schedule('b', 200)
    queue.close()
    expect(h.live()).toBe(0)
    expect(queue.size).toBe(0)
    expect(queue.next()).toBeUndefined()
    h.advanceTo(1_000)
    expect(fired).toEqual([])
  })

  it('a closed queue schedules nothing', () => {
    const h = multiHost()
    const fired: string[] = []
    const queue = createTimerQueue((key) => fired.push(key), h.host)
    queue.close()
    queue.schedule('a', 100)
    expect(queue.size).toBe(0)
    expect(queue.next()).toBeUndefined()
    expect(h.live()).toBe(0)
    h.advanceTo(1_000)
    expect(fired).toEqual([])
  })
})

describe('realTimerHost', () => {
  afterEach(() => vi.useRealTimers())

  it('fires after the delay, an overdue one at once, and one past setTimeout’s limit not early', () => {
    vi.useFakeTimers({ now: 0 })
    const fired: string[] = []
    realTimerHost.setTimer(() => fired.push('soon'), 1_000)
    realTimerHost.setTimer(() => fired.push('overdue'), -5_000)
    realTimerHost.setTimer(() => fired.push('far'), 30 * 86_400_000)
    vi.advanceTimersByTime(1)
    expect(fired).toEqual(['overdue'])
    vi.advanceTimersByTime(998)
    expect(fired).toEqual(['overdue'])
    vi.advanceTimersByTime(1)
    expect(fired).toEqual(['overdue', 'soon'])
    vi.advanceTimersByTime(86_400_000)
    expect(fired).toEqual(['overdue', 'soon'])
  })
})
