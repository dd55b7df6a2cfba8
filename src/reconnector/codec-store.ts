import type { LifecyclePolicy } from '../../machines/member-lifecycle/index.js'
import type { NexusClientApi } from '../client/types.js'
import type { Challenge } from '../domain/schemas/index.js'
import type { LifecycleRecord, LifecycleStore } from '../stores/types.js'
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js'
import { needsImages, withImages } from './snapshot-images.js'

// The reconnector's view of its store (issue 15, docs/decisions/0017): snapshots go in slim
// (snapshot-codec.ts) and come out whole, so nothing above this line knows the stored form. `get`, the read
// every restore and every stored view goes through, also re-reads the challenge images of a lifecycle
// waiting on MFA answers; `unfinished` and `due` only decode (the driver reads each member again with
// `get` before running it).

/** What the codec store needs. */
export interface CodecStoreOptions {
  /** The reconnector's resolved policy: the reference a stored snapshot's policy is left out against. */
  readonly policy: LifecyclePolicy
  /** Reads challenges again for their images (a read: no side effect, so not behind the client gate). */
  readonly client: Pick<NexusClientApi, 'listMemberChallenges'>
}

/** Re-reads kept, by `memberGuid@version`: a parked prompt viewed again costs no second read. */
const CACHE_SIZE = 256

/**
 * Wraps `inner` so snapshots are stored in their slim form and read back whole.
 *
 * @example
 * ```ts
 * const store = codecStore(sqliteStore('./mx.db'), { policy: resolvePolicy(options.policy), client })
 * ```
 */
export function codecStore(inner: LifecycleStore, options: CodecStoreOptions): LifecycleStore {
  const at = (r: { userId: string; memberGuid: string }) => ({
    userId: r.userId,
    memberGuid: r.memberGuid,
    policy: options.policy,
  })
  const decoded = (r: LifecycleRecord): LifecycleRecord => {
    const snapshot = decodeSnapshot(r.snapshot, at(r))
    return snapshot === r.snapshot ? r : { ...r, snapshot }
  }
  const reads = new Map<string, Promise<readonly Challenge[] | undefined>>()

  /** MX's challenges for a record's images (undefined when the read fails: the issue stays). */
  function challengesFor(r: LifecycleRecord): Promise<readonly Challenge[] | undefined> {
    const key = `${r.memberGuid}@${r.version}`
    const cached = reads.get(key)
    if (cached) return cached
    const read = options.client.listMemberChallenges({ userId: r.userId, memberGuid: r.memberGuid }).then(
      (list) => list,
      () => {
        reads.delete(key)
        return undefined
      },
    )
    reads.set(key, read)
    if (reads.size > CACHE_SIZE) reads.delete(reads.keys().next().value!)
    return read
  }

  async function whole(r: LifecycleRecord | undefined): Promise<LifecycleRecord | undefined> {
    if (!r) return r
    const record = decoded(r)
    if (record.status === 'done' || !needsImages(record.snapshot)) return record
    const challenges = await challengesFor(record)
    return challenges ? { ...record, snapshot: withImages(record.snapshot, challenges) } : record
  }

  const overrides: Partial<LifecycleStore> = {
    get: (memberGuid) => inner.get(memberGuid).then(whole),
    create: async (record, ...rest) => {
      const result = await inner.create(
        { ...record, snapshot: encodeSnapshot(record.snapshot, at(record)) },
        ...rest,
      )
      return { ...result, record: decoded(result.record) }
    },
    save: (memberGuid, update, ...rest) => {
      const userId = (update.snapshot as { context?: { userId?: unknown } } | null)?.context?.userId
      const ids = { userId: typeof userId === 'string' ? userId : '', memberGuid }
      return inner.save(
        memberGuid,
        { ...update, snapshot: encodeSnapshot(update.snapshot, at(ids)) },
        ...rest,
      )
    },
    unfinished: (page) => inner.unfinished(page).then((rs) => rs.map(decoded)),
    due: (when, limit) => inner.due(when, limit).then((rs) => rs.map(decoded)),
  }
  return new Proxy(inner, {
    get(target, key) {
      if (typeof key === 'string' && key in overrides) return overrides[key as keyof LifecycleStore]
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
}
