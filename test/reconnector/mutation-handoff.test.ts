import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Driver } from '../../src/reconnector/driver.js'
import { createHandoff, HANDOFF_MS } from '../../src/reconnector/handoff.js'
import type { Lives } from '../../src/reconnector/live.js'
import type { LifecycleRecord, LifecycleStore } from '../../src/stores/index.js'

// The hand-over between instances (reconnector.md, "Several instances"; decisions/0016; handoff.ts's TSDoc):
// a host event runs on the member's live lifecycle; when there is none here and the stored member waits
// while another instance holds its lease, it tries again 5, 10, 20 … 200 ms apart for at most 5 s;
// anything else (done, running elsewhere, unknown, a lapsed lease, live here) answers at once. Fake timers
// (setTimeout and performance.now) drive the waits; the parts around it are stand-ins.

const NOW = 1_000_000

function setup(
  record: Partial<LifecycleRecord> | undefined,
  opts: { liveHere?: boolean; answerAfter?: number } = {},
) {
  const calls: number[] = []
  const reads: string[] = []
  const start = performance.now()
  const driver = {
    withLive: <T>(memberGuid: string, use: (entry: never) => T) => {
      expect(memberGuid).toBe('MBR-1')
      calls.push(performance.now() - start)
      const ready = opts.answerAfter !== undefined && performance.now() - start >= opts.answerAfter
      return Promise.resolve(ready ? use({} as never) : undefined)
    },
  } as unknown as Driver
  const lives = { live: new Map(opts.liveHere ? [['MBR-1', {}]] : []) } as unknown as Lives
  const store = {
    get: (memberGuid: string) => {
      reads.push(memberGuid)
      return Promise.resolve(
        record &&
          ({
            memberGuid,
            status: 'waiting',
            owner: 'other/2',
            leaseUntil: NOW + 60_000,
            ...record,
          } as LifecycleRecord),
      )
    },
  } as unknown as LifecycleStore
  const clock = { now: () => NOW, sleep: () => Promise.resolve() }
  const onLive = createHandoff({ driver, lives, store, clock })
  return { onLive, calls, reads }
}

describe('createHandoff', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] }))
  afterEach(() => vi.useRealTimers())

  it('a live lifecycle here: the result at once, no store read', async () => {
    const { onLive, calls, reads } = setup({}, { answerAfter: 0 })
    await expect(onLive('MBR-1', () => 'sent')).resolves.toBe('sent')
    expect(calls).toEqual([0])
    expect(reads).toEqual([])
  })

  it('answers at once when the member is not parked on its user under another live lease', async () => {
    for (const record of [
      undefined,
      { status: 'done' as const },
      { status: 'running' as const },
      { owner: null },
      { leaseUntil: null },
      { leaseUntil: NOW - 1 },
      { leaseUntil: NOW },
    ]) {
      const { onLive, calls, reads } = setup(record)
      await expect(onLive('MBR-1', () => 'sent')).resolves.toBeUndefined()
      expect(calls, JSON.stringify(record)).toEqual([0])
      expect(reads).toEqual(['MBR-1'])
    }
  })

  it('a member live here that gives no result answers at once, whatever the store says', async () => {
    const { onLive, calls } = setup({}, { liveHere: true })
    await expect(onLive('MBR-1', () => 'sent')).resolves.toBeUndefined()
    expect(calls).toEqual([0])
  })

  it('parked elsewhere: tries again 5, 10, 20 … 200 ms apart until the other instance lets go', async () => {
    const { onLive, calls } = setup({}, { answerAfter: 700 })
    const result = onLive('MBR-1', () => 'sent')
    await vi.advanceTimersByTimeAsync(1_000)
    await expect(result).resolves.toBe('sent')
    const gaps = calls.slice(1).map((t, i) => t - calls[i]!)
    expect(gaps).toEqual([5, 10, 20, 40, 80, 160, 200, 200])
  })

  it('gives up after HANDOFF_MS (5 s): the last try is at the deadline, none after', async () => {
    expect(HANDOFF_MS).toBe(5_000)
    const { onLive, calls } = setup({})
    const result = onLive('MBR-1', () => 'sent')
    await vi.advanceTimersByTimeAsync(10_000)
    await expect(result).resolves.toBeUndefined()
    const last = calls.at(-1)!
    expect(last).toBeGreaterThanOrEqual(HANDOFF_MS)
    expect(last).toBeLessThan(HANDOFF_MS + 200)
    expect(calls.at(-2)!).toBeLessThan(HANDOFF_MS)
  })
})
