import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { createOwnership, pidAlive } from '../../src/reconnector/ownership.js'
import { memoryStore } from '../../src/stores/index.js'
import type { LifecycleStore } from '../../src/stores/index.js'

// Ownership (reconnector.md, Durability rules): a lease names a process instance; a restart under the
// same owner takes over at once only when the old instance is provably gone (same host, pid not alive).

/** The pid of a process that has exited (and been reaped): provably gone. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(child.stdout.toString())
}

const NOW = 1_000_000

async function storeWith(holder: { id: string; owner: string; host: string; pid: number }) {
  const store = memoryStore({ clock: () => NOW })
  await store.create({
    memberGuid: 'MBR-1',
    userId: 'u-1',
    state: 'queued',
    status: 'running',
    wakeAt: null,
    snapshot: {},
  })
  await store.registerInstance({ ...holder, startedAt: NOW })
  expect(await store.acquire('MBR-1', holder.id, 60_000, NOW)).toBe(true)
  return store
}

const leaseOf = async (store: LifecycleStore) => (await store.get('MBR-1'))?.owner

describe('ownership', () => {
  it('names a process instance: owner plus a random id, different for every instance', () => {
    const store = memoryStore()
    const a = createOwnership(store, { owner: 'nightly', leaseMs: 1_000 })
    const b = createOwnership(store, { owner: 'nightly', leaseMs: 1_000 })
    expect(a.holder).toMatch(/^nightly\/[0-9a-f-]{36}$/)
    expect(b.holder).not.toBe(a.holder)
  })

  it('tells a live pid from a gone one', () => {
    expect(pidAlive(process.pid)).toBe(true)
    expect(pidAlive(deadPid())).toBe(false)
  })

  it('same owner, same host, old pid gone: takes the lease over at once', async () => {
    const store = await storeWith({ id: 'nightly/old', owner: 'nightly', host: hostname(), pid: deadPid() })
    const ownership = createOwnership(store, { owner: 'nightly', leaseMs: 60_000 })
    expect(await ownership.acquire('MBR-1', NOW + 1)).toEqual({ held: true, until: NOW + 1 + 60_000 })
    expect(await leaseOf(store)).toBe(ownership.holder)
    // Registered itself, so a later restart can tell whether it is gone.
    expect(await store.instance(ownership.holder)).toMatchObject({ owner: 'nightly', pid: process.pid })
    await ownership.close()
    expect(await store.instance(ownership.holder)).toBeUndefined()
  })

  it('waits out the lease when the old holder may be alive, is another owner, or on another host', async () => {
    const gone = deadPid()
    for (const holder of [
      { id: 'nightly/live', owner: 'nightly', host: hostname(), pid: process.pid },
      { id: 'other/old', owner: 'other', host: hostname(), pid: gone },
      { id: 'nightly/far', owner: 'nightly', host: `${hostname()}-elsewhere`, pid: gone },
    ]) {
      const store = await storeWith(holder)
      const ownership = createOwnership(store, { owner: 'nightly', leaseMs: 60_000 })
      expect(await ownership.acquire('MBR-1', NOW + 1)).toEqual({ held: false, leaseUntil: NOW + 60_000 })
      expect(await leaseOf(store)).toBe(holder.id)
      // Once the lease lapses, anyone may take it.
      expect((await ownership.acquire('MBR-1', NOW + 60_000)).held).toBe(true)
    }
  })

  it('an injected liveness check decides, and a failed registration is retried', async () => {
    const store = await storeWith({ id: 'nightly/old', owner: 'nightly', host: 'h', pid: 7 })
    let fail = true
    const flaky: LifecycleStore = {
      ...store,
      registerInstance: (i) => (fail ? Promise.reject(new Error('busy')) : store.registerInstance(i)),
    }
    const ownership = createOwnership(flaky, {
      owner: 'nightly',
      leaseMs: 10,
      host: 'h',
      isAlive: () => false,
    })
    await expect(ownership.acquire('MBR-1', NOW)).rejects.toThrow('busy')
    fail = false
    expect((await ownership.acquire('MBR-1', NOW)).held).toBe(true)
  })
})
