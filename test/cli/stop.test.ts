import { afterEach, describe, expect, it, vi } from 'vitest'
import { NPM_EXITED, stopRequest, type StopSource } from '../../src/cli/stop.js'

// The CLI's stop request (issue 17). The real thing, through npx and kill, is in
// test/package/consumer.int.test.ts; here a stand-in process and fake timers.

function fakeProcess(underNpm: boolean) {
  const listeners = new Map<string, () => void>()
  let ppid = 100
  const source: StopSource = {
    on: (signal, listener) => void listeners.set(signal, listener),
    ppid: () => ppid,
    underNpm,
    pollMs: 250,
  }
  return {
    source,
    signal: (name: 'SIGINT' | 'SIGTERM') => listeners.get(name)?.(),
    orphan: () => void (ppid = 1),
  }
}

const settled = async (promise: Promise<string>): Promise<string | undefined> =>
  Promise.race([promise, new Promise<undefined>((resolve) => queueMicrotask(() => resolve(undefined)))])

describe('stopRequest', () => {
  afterEach(() => void vi.useRealTimers())

  it.each(['SIGINT', 'SIGTERM'] as const)('resolves with %s', async (name) => {
    const p = fakeProcess(false)
    const stop = stopRequest(p.source)
    p.signal(name)
    expect(await stop).toBe(name)
  })

  it('under npm, resolves when the parent goes away (npm killed, its sh gone)', async () => {
    vi.useFakeTimers()
    const p = fakeProcess(true)
    const stop = stopRequest(p.source)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(await settled(stop)).toBeUndefined()
    p.orphan()
    await vi.advanceTimersByTimeAsync(250)
    expect(await stop).toBe(NPM_EXITED)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('outside npm, a new parent is not a stop request (nohup, systemd, containers)', async () => {
    vi.useFakeTimers()
    const p = fakeProcess(false)
    const stop = stopRequest(p.source)
    p.orphan()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(await settled(stop)).toBeUndefined()
    expect(vi.getTimerCount()).toBe(0)
    p.signal('SIGTERM')
    expect(await stop).toBe('SIGTERM')
  })

  it('a signal under npm stops the parent check', async () => {
    vi.useFakeTimers()
    const p = fakeProcess(true)
    const stop = stopRequest(p.source)
    expect(vi.getTimerCount()).toBe(1)
    p.signal('SIGINT')
    expect(await stop).toBe('SIGINT')
    expect(vi.getTimerCount()).toBe(0)
  })
})
