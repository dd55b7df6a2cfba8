// The durable-store contract the reconnector runs on (design/reconnector.md, "Stores"). Async and small on
// purpose, so a Postgres store can implement it later; every implementation must behave identically (the
// shared contract suite in test/stores/ runs against each one).

/** Where a lifecycle is: `running` (a process works on it), `waiting` (evicted: on the user or a long timer), `done`. */
export type LifecycleStatus = 'running' | 'waiting' | 'done'

/** The statuses, in a fixed order (for counts and validation). */
export const LIFECYCLE_STATUSES: readonly LifecycleStatus[] = ['running', 'waiting', 'done']

/**
 * One member's lifecycle as stored. JSON fields (`snapshot`, `outcome`) come back as fresh plain data,
 * never the object that was saved.
 *
 * @example
 * ```ts
 * const record = await store.get('MBR-1')
 * if (record?.status === 'waiting') log(record.state, new Date(record.wakeAt ?? 0))
 * ```
 */
export interface LifecycleRecord {
  readonly memberGuid: string
  /** The partner user whose session the lifecycle runs in. Fixed at creation. */
  readonly userId: string
  /** The machine state value as a string path, e.g. `credentials.awaiting`. */
  readonly state: string
  readonly status: LifecycleStatus
  /** When the lifecycle wants to be woken (epoch ms), or null when only an event can wake it. */
  readonly wakeAt: number | null
  /** The persisted machine snapshot: JSON data, never a secret (house rule 8). */
  readonly snapshot: unknown
  /** The final outcome (JSON), or null while unfinished. */
  readonly outcome: unknown
  /** The lease holder (a process / worker id), or null. */
  readonly owner: string | null
  /** When the current lease lapses (epoch ms), or null when there is no lease. */
  readonly leaseUntil: number | null
  /** Optimistic-concurrency version: 1 on create, +1 on every `save`. Leases and `append` do not bump it. */
  readonly version: number
  readonly createdAt: number
  /** The time of the last state change (`create` / `save`). */
  readonly updatedAt: number
}

/** What `create` needs. `version`, times and the lease are set by the store. */
export interface NewLifecycleRecord {
  readonly memberGuid: string
  readonly userId: string
  readonly state: string
  readonly status: LifecycleStatus
  readonly wakeAt: number | null
  readonly snapshot: unknown
  readonly outcome?: unknown
}

/** A state change for `save`: compare-and-set on `expectedVersion`. */
export interface LifecycleUpdate {
  /** The version the caller last read; the save fails with a `conflict` if the stored one differs. */
  readonly expectedVersion: number
  readonly state: string
  readonly status: LifecycleStatus
  readonly wakeAt: number | null
  readonly snapshot: unknown
  /** Omitted: keep the stored outcome. `null`: clear it (e.g. a finished member started again). */
  readonly outcome?: unknown
}

/**
 * One entry of a member's append-only history, as stored.
 *
 * @example
 * ```ts
 * for (const entry of await store.history('MBR-1')) log(entry.seq, entry.type, entry.data)
 * ```
 */
export interface HistoryEntry {
  readonly memberGuid: string
  /** 1, 2, 3… per member, in append order, without gaps. */
  readonly seq: number
  /** Epoch ms. */
  readonly at: number
  /** What happened, e.g. `transition`, `prompt`, `outcome`. */
  readonly type: string
  /** JSON data, never a secret (house rule 8). */
  readonly data: unknown
}

/** A history entry to append. `at` defaults to the store's clock; `data` to null. */
export interface HistoryInput {
  readonly type: string
  readonly data?: unknown
  readonly at?: number
}

/** Keyset paging over members, ordered by `memberGuid` (code-point order, as SQLite's BINARY collation). */
export interface PageOptions {
  /** At most this many (default 1000). */
  readonly limit?: number
  /** Only members whose guid sorts after this one (the last guid of the previous page). */
  readonly after?: string
}

/** Paging over one member's history. */
export interface HistoryOptions {
  /** Only entries with a larger `seq`. */
  readonly afterSeq?: number
  /** At most this many (default: all). */
  readonly limit?: number
}

/** How many lifecycles are in each status. */
export type LifecycleCounts = Readonly<Record<LifecycleStatus, number>>

/**
 * Durable storage for member lifecycles: the current snapshot, the outcome, a lease, and an append-only
 * history per member. Every method validates its input before writing anything; bad input rejects with a
 * `StoreError` (`reason: 'invalid'`) and the stored data stays exactly as it was.
 *
 * @example
 * ```ts
 * const store: LifecycleStore = sqliteStore('./mx-reconnect.db')
 * const { record } = await store.create({ memberGuid: 'MBR-1', userId: 'u-1', state: 'loadingMember', status: 'running', wakeAt: null, snapshot })
 * await store.save('MBR-1', { expectedVersion: record.version, state: 'mfa.awaiting', status: 'waiting', wakeAt: deadline, snapshot: next }, [{ type: 'prompt', data: { challenges } }])
 * for (const due of await store.due(Date.now(), 100)) wake(due)
 * ```
 */
export interface LifecycleStore {
  /** The record, or undefined when the member has none. */
  get(memberGuid: string): Promise<LifecycleRecord | undefined>
  /**
   * Insert when absent (idempotent start: one lifecycle per member). When a record exists, nothing is
   * written (not even the history) and it is returned with `created: false`, whatever its status.
   */
  create(
    record: NewLifecycleRecord,
    history?: readonly HistoryInput[],
  ): Promise<{ readonly created: boolean; readonly record: LifecycleRecord }>
  /**
   * One transaction: compare-and-set the new state on `expectedVersion` (version + 1) and append the
   * history entries. Rejects with `StoreError` `conflict` when the version moved, `notFound` when there is
   * no record. Saving `status: 'done'` also drops the lease.
   */
  save(
    memberGuid: string,
    update: LifecycleUpdate,
    history?: readonly HistoryInput[],
  ): Promise<LifecycleRecord>
  /** Append history entries without a state change (version unchanged). `notFound` when there is no record. */
  append(memberGuid: string, history: readonly HistoryInput[]): Promise<readonly HistoryEntry[]>
  /** The member's history in `seq` order ([] for an unknown member). */
  history(memberGuid: string, options?: HistoryOptions): Promise<readonly HistoryEntry[]>
  /** Unfinished records (`status !== 'done'`), one keyset page ordered by `memberGuid`: for `resumeAll`. */
  unfinished(options?: PageOptions): Promise<readonly LifecycleRecord[]>
  /**
   * The timer queue's source: unfinished records with `wakeAt <= at` that nobody leases at `at` (no owner,
   * or the lease lapsed), ordered by `wakeAt` then `memberGuid`, at most `limit`.
   */
  due(at: number, limit: number): Promise<readonly LifecycleRecord[]>
  /**
   * The earliest time at which `due` can return something (max of `wakeAt` and a held lease's end, over
   * unfinished records with a `wakeAt`), or null: what the reconnector's single timer sleeps until.
   */
  nextWake(): Promise<number | null>
  /**
   * Lease the member to `owner` until `now + leaseMs`, so two processes never run the same lifecycle.
   * True when granted: no lease, a lapsed one, or `owner` already holds it (renewal). `notFound` when
   * there is no record. Does not change the version.
   */
  acquire(memberGuid: string, owner: string, leaseMs: number, now?: number): Promise<boolean>
  /** Drop the lease if `owner` holds it (no-op otherwise, and for unknown members). */
  release(memberGuid: string, owner: string): Promise<void>
  counts(): Promise<LifecycleCounts>
  /** Idempotent. Any later call rejects with `StoreError` `closed`. */
  close(): Promise<void>
}

/** Options every store takes. */
export interface StoreOptions {
  /** The clock for `createdAt`/`updatedAt`, history `at` and `acquire`'s default `now` (house rule 7). Default `Date.now`. */
  readonly clock?: () => number
  /** The largest snapshot / outcome / history `data` accepted, in UTF-8 bytes of JSON. Default 1 MiB. */
  readonly maxJsonBytes?: number
}
