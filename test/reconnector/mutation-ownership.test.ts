import { describe, expect, it } from 'vitest'
import { createOwnership } from '../../src/reconnector/ownership.js'
import { memoryStore } from '../../src/stores/index.js'

// Ownership (reconnector.md, Durability rules): "A restart under the same owner name takes over at once only
// when the store can tell the old instance is gone; otherwise it waits for the lease to lapse." Written
// against a mutant a Stryker run left in ownership.ts: a lease whose holder the store has no instance row
// for (an older process, another writer) cannot be told gone, so it is waited out, not taken and not a crash.

const NOW = 1_000_000

describe('ownership: a holder the store cannot describe', () => {
  it('waits out a lease held by an instance with no registration, then takes it', async () => {
    const store = memoryStore({ clock: () => NOW })
    await store.create({
      memberGuid: 'MBR-1',
      userId: 'u-1',
      state: 'queued',
      status: 'running',
      wakeAt: null,
      snapshot: {},
    })
    expect(await store.acquire('MBR-1', 'nightly/unregistered', 60_000, NOW)).toBe(true)
    // Every registered instance would count as gone: only the missing registration keeps the lease.
    const ownership = createOwnership(store, { owner: 'nightly', leaseMs: 60_000, isAlive: () => false })
    expect(await ownership.acquire('MBR-1', NOW + 1)).toEqual({ held: false, leaseUntil: NOW + 60_000 })
    expect((await store.get('MBR-1'))?.owner).toBe('nightly/unregistered')
    expect(await ownership.acquire('MBR-1', NOW + 60_000)).toEqual({ held: true, until: NOW + 120_000 })
    expect((await store.get('MBR-1'))?.owner).toBe(ownership.holder)
  })

  it('a live instance of our owner keeps its lease on every try, not only the first', async () => {
    const store = memoryStore({ clock: () => NOW })
    await store.create({
      memberGuid: 'MBR-1',
      userId: 'u-1',
      state: 'queued',
      status: 'running',
      wakeAt: null,
      snapshot: {},
    })
    await store.registerInstance({
      id: 'nightly/live',
      owner: 'nightly',
      host: 'h',
      pid: 4242,
      startedAt: NOW,
    })
    expect(await store.acquire('MBR-1', 'nightly/live', 60_000, NOW)).toBe(true)
    const ownership = createOwnership(store, {
      owner: 'nightly',
      leaseMs: 60_000,
      host: 'h',
      isAlive: () => true,
    })
    for (const at of [NOW + 1, NOW + 2, NOW + 3])
      expect(await ownership.acquire('MBR-1', at)).toEqual({ held: false, leaseUntil: NOW + 60_000 })
    expect((await store.get('MBR-1'))?.owner).toBe('nightly/live')
  })

  it('a lease taken over from a gone instance runs leaseMs from now; a released lease is free at once', async () => {
    const store = memoryStore({ clock: () => NOW })
    await store.create({
      memberGuid: 'MBR-1',
      userId: 'u-1',
      state: 'queued',
      status: 'running',
      wakeAt: null,
      snapshot: {},
    })
    await store.registerInstance({
      id: 'nightly/old',
      owner: 'nightly',
      host: 'h',
      pid: 4242,
      startedAt: NOW,
    })
    expect(await store.acquire('MBR-1', 'nightly/old', 60_000, NOW)).toBe(true)
    const a = createOwnership(store, { owner: 'nightly', leaseMs: 30_000, host: 'h', isAlive: () => false })
    expect(await a.acquire('MBR-1', NOW + 5)).toEqual({ held: true, until: NOW + 30_005 })
    expect((await store.get('MBR-1'))?.owner).toBe(a.holder)
    await a.release('MBR-1')
    const b = createOwnership(store, { owner: 'other', leaseMs: 30_000, isAlive: () => true })
    expect(await b.acquire('MBR-1', NOW + 6)).toEqual({ held: true, until: NOW + 30_006 })
  })
})
