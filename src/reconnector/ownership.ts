import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { LifecycleStore } from '../stores/types.js'

/** What `acquire` found: the lease is ours until `until`, or another holder has it until `leaseUntil`. */
export type LeaseResult =
  | { readonly held: true; readonly until: number }
  | { readonly held: false; readonly leaseUntil: number | null }

/**
 * Ownership: the leases of one process instance (reconnector.md, Durability rules). A lease names the
 * instance (`owner/random id`), not just the owner name, so two live processes given the same owner name
 * never drive the same member. A lease held by an instance of the same owner on this host whose process
 * is gone is taken over at once; any other lease is waited out.
 *
 * @example
 * ```ts
 * const ownership = createOwnership(store, { owner: 'nightly', leaseMs: 60_000 })
 * const lease = await ownership.acquire('MBR-1', Date.now())
 * if (lease.held) run()
 * ```
 */
export interface Ownership {
  /** The lease holder id: `owner/instance id`. */
  readonly holder: string
  /** Takes (or renews) the member's lease; takes over one held by a provably gone instance of our owner. */
  acquire(memberGuid: string, now: number): Promise<LeaseResult>
  /** Registers this instance in the store, once: needed before a lease taken by `store.create`. */
  register(): Promise<void>
  /** Drops our lease on the member (no-op when we do not hold it). */
  release(memberGuid: string): Promise<void>
  /** Forgets this instance in the store (a clean close: nobody needs to check it is gone). */
  close(): Promise<void>
}

/** Options of `createOwnership`. */
export interface OwnershipOptions {
  readonly owner: string
  readonly leaseMs: number
  /** Whether a pid on this host is alive (default: `process.kill(pid, 0)`). */
  readonly isAlive?: (pid: number) => boolean
  /** This host's name (default `os.hostname()`). */
  readonly host?: string
}

/** True unless the OS says no such process (EPERM means it exists under another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/** Creates the ownership part for one process instance. */
export function createOwnership(store: LifecycleStore, options: OwnershipOptions): Ownership {
  const holder = `${options.owner}/${randomUUID()}`
  const host = options.host ?? hostname()
  const isAlive = options.isAlive ?? pidAlive
  const gone = new Set<string>()
  let registered: Promise<void> | undefined

  const register = () =>
    (registered ??= store
      .registerInstance({
        id: holder,
        owner: options.owner,
        host,
        pid: process.pid,
        startedAt: Date.now(),
      })
      .catch((error: unknown) => {
        registered = undefined
        throw error
      }))

  /** True when `other` is an instance of our owner on this host whose process no longer exists. */
  async function isGone(other: string): Promise<boolean> {
    if (gone.has(other)) return true
    const instance = await store.instance(other)
    const dead =
      instance !== undefined &&
      instance.owner === options.owner &&
      instance.host === host &&
      instance.id !== holder &&
      !isAlive(instance.pid)
    if (dead) gone.add(other)
    return dead
  }

  return {
    holder,
    async acquire(memberGuid, now) {
      await register()
      if (await store.acquire(memberGuid, holder, options.leaseMs, now))
        return { held: true, until: now + options.leaseMs }
      const record = await store.get(memberGuid)
      const other = record?.owner ?? null
      if (other !== null && (await isGone(other))) {
        if (await store.takeOver(memberGuid, other, holder, options.leaseMs, now))
          return { held: true, until: now + options.leaseMs }
      }
      return { held: false, leaseUntil: record?.leaseUntil ?? null }
    },
    register,
    release: (memberGuid) => store.release(memberGuid, holder),
    async close() {
      if (registered) await store.removeInstance(holder)
    },
  }
}
