// The durable-store contract the reconnector runs on (design/reconnector.md, "Stores"). Async and small on
// purpose, so a Postgres store can implement it later; every implementation must behave identically (the
// shared contract suite in test/stores/ runs against each one).

/**
 * Where a lifecycle is: `running` (a process works on it), `waiting` (evicted: on the user or a long timer), `done`.
 *
 * @example
 * ```ts
 * const counts = await store.counts()
 * const statuses: LifecycleStatus[] = ['running', 'waiting', 'done']
 * for (const status of statuses) console.log(status, counts[status])
 * ```
 */
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

/**
 * What `create` needs. `version`, times and the lease are set by the store.
 *
 * @example
 * ```ts
 * const record: NewLifecycleRecord = { memberGuid: 'MBR-1', userId: 'u-1', state: 'queued', status: 'running', wakeAt: null, snapshot: null }
 * const { created } = await store.create(record)
 * ```
 */
export interface NewLifecycleRecord {
  readonly memberGuid: string
  readonly userId: string
  readonly state: string
  readonly status: LifecycleStatus
  readonly wakeAt: number | null
  readonly snapshot: unknown
  readonly outcome?: unknown
}

/**
 * What `create` may take besides the record: a lease for `owner`, so a process that creates a lifecycle to
 * run it at once needs no separate `acquire` (issue 15: acquire folded into create).
 *
 * @example
 * ```ts
 * const lease: CreateLease = { owner: 'worker-1', leaseMs: 60_000 }
 * const { record } = await store.create(newRecord, [{ type: 'start' }], lease) // leased to worker-1 at once
 * ```
 */
export interface CreateLease {
  /** The lease holder (a process / worker id). */
  readonly owner: string
  /** The lease runs until `now` + `leaseMs`. */
  readonly leaseMs: number
  /** When the lease starts (epoch ms), as `acquire`'s `now`. Default: the store's clock. */
  readonly now?: number
}

/**
 * What `save` answers: the new version only. The caller already has everything else it saved, so stores
 * neither read the row back nor parse its snapshot again (issue 15).
 *
 * @example
 * ```ts
 * const { version } = await store.save('MBR-1', { expectedVersion: 3, state, status, wakeAt, snapshot })
 * ```
 */
export interface SaveResult {
  /** The record's version after the save (`expectedVersion + 1`). */
  readonly version: number
}

/**
 * A state change for `save`: compare-and-set on `expectedVersion`.
 *
 * @example
 * ```ts
 * const update: LifecycleUpdate = { expectedVersion: record.version, state: 'mfa.awaiting', status: 'waiting', wakeAt: deadline, snapshot }
 * await store.save(record.memberGuid, update, [{ type: 'prompt' }])
 * ```
 */
export interface LifecycleUpdate {
  /** The version the caller last read; the save fails with a `conflict` if the stored one differs. */
  readonly expectedVersion: number
  /**
   * When given, the lease holder the caller believes it is: the save fails with a `conflict` (`field:
   * 'owner'`) when the member is leased to anyone else, so only the current holder can write.
   */
  readonly expectedOwner?: string
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

/**
 * A history entry to append. `at` defaults to the store's clock; `data` to null.
 *
 * @example
 * ```ts
 * const entries: HistoryInput[] = [{ type: 'note', data: { by: 'support', text: 'user called in' } }]
 * await store.append('MBR-1', entries)
 * ```
 */
export interface HistoryInput {
  readonly type: string
  readonly data?: unknown
  readonly at?: number
}

/**
 * Keyset paging over members, ordered by `memberGuid` (code-point order, as SQLite's BINARY collation).
 *
 * @example
 * ```ts
 * let page: PageOptions = { limit: 500 }
 * for (let rows = await store.unfinished(page); rows.length > 0; rows = await store.unfinished(page)) {
 *   rows.forEach(resume)
 *   page = { limit: 500, after: rows.at(-1)!.memberGuid }
 * }
 * ```
 */
export interface PageOptions {
  /** At most this many (default 1000). */
  readonly limit?: number
  /** Only members whose guid sorts after this one (the last guid of the previous page). */
  readonly after?: string
}

/**
 * Paging over one member's history.
 *
 * @example
 * ```ts
 * const options: HistoryOptions = { afterSeq: lastSeen, limit: 100 }
 * const newer = await store.history('MBR-1', options)
 * ```
 */
export interface HistoryOptions {
  /** Only entries with a larger `seq`. */
  readonly afterSeq?: number
  /** At most this many (default: all). */
  readonly limit?: number
}

/**
 * How many lifecycles are in each status.
 *
 * @example
 * ```ts
 * const counts: LifecycleCounts = await store.counts()
 * console.log(`${counts.running} running, ${counts.waiting} waiting, ${counts.done} done`)
 * ```
 */
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
   * written (not even the history or the lease) and it is returned with `created: false`, whatever its
   * status. With `lease`, a record it inserts is leased to `lease.owner` in the same write.
   */
  create(
    record: NewLifecycleRecord,
    history?: readonly HistoryInput[],
    lease?: CreateLease,
  ): Promise<{ readonly created: boolean; readonly record: LifecycleRecord }>
  /**
   * One transaction: compare-and-set the new state on `expectedVersion` (version + 1) and append the
   * history entries. Rejects with `StoreError` `conflict` when the version moved, `notFound` when there is
   * no record. Saving `status: 'done'` also drops the lease.
   */
  save(memberGuid: string, update: LifecycleUpdate, history?: readonly HistoryInput[]): Promise<SaveResult>
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
  /**
   * Guids of unfinished, not quarantined members, one keyset page in `memberGuid` order, without reading
   * their JSON: `resumeAll` reads each one on its own, so one unreadable row cannot hide the others.
   */
  unfinishedGuids(options?: PageOptions): Promise<readonly string[]>
  /** Record (or refresh) a live process instance, so a restart can tell whether a lease holder is gone. */
  registerInstance(instance: InstanceRecord): Promise<void>
  /** The instance registered under `id`, if any. */
  instance(id: string): Promise<InstanceRecord | undefined>
  /** Forget an instance (on a clean close). No-op when unknown. */
  removeInstance(id: string): Promise<void>
  /**
   * Move a lease from `from` (a holder known to be gone) to `to`, whatever its expiry: compare-and-set on
   * the holder. False when `from` no longer holds it. `notFound` when there is no record.
   */
  takeOver(memberGuid: string, from: string, to: string, leaseMs: number, now?: number): Promise<boolean>
  /** Journal a sweep before it runs: its id, holder, start time and members (reconnector.md, Sweep journal). */
  openSweep(sweep: SweepJournal): Promise<void>
  /** Sweeps journaled and not closed, oldest first, with their members in the order given. */
  openSweeps(): Promise<readonly SweepJournal[]>
  /** Mark a sweep finished (no-op when unknown or already closed). */
  closeSweep(id: string): Promise<void>
  /**
   * Set a member's row aside: it can no longer be read or restored. `unfinished`, `unfinishedGuids`,
   * `due` and `nextWake` skip it from then on. Works on a row whose JSON is unreadable; `notFound` when
   * there is no row.
   */
  quarantine(memberGuid: string, reason: string): Promise<void>
  /** Quarantined members, by guid. */
  quarantined(): Promise<readonly QuarantineEntry[]>
  /** Idempotent. Any later call rejects with `StoreError` `closed`. */
  close(): Promise<void>
}

/**
 * A process instance that may hold leases: `id` is what the lease names (owner name + a random instance
 * id), `host` and `pid` let a restart on the same host tell whether it is still alive.
 *
 * @example
 * ```ts
 * await store.registerInstance({ id: 'nightly/4f1c…', owner: 'nightly', host: hostname(), pid: process.pid, startedAt: Date.now() })
 * ```
 */
export interface InstanceRecord {
  readonly id: string
  readonly owner: string
  readonly host: string
  readonly pid: number
  readonly startedAt: number
}

/**
 * A sweep's intent, written before it runs any member, so `resumeAll` can finish it after a crash.
 *
 * @example
 * ```ts
 * await store.openSweep({ id: randomUUID(), holder, startedAt: Date.now(), members: [{ userId: 'u-1', memberGuid: 'MBR-1' }] })
 * ```
 */
export interface SweepJournal {
  readonly id: string
  /** The lease holder that ran it. */
  readonly holder: string
  /** Epoch ms; members finished at or after it count as done by this sweep. */
  readonly startedAt: number
  readonly members: readonly { readonly userId: string; readonly memberGuid: string }[]
}

/**
 * A member whose stored row could not be read or restored, set aside with why.
 *
 * @example
 * ```ts
 * for (const q of await store.quarantined()) log(q.memberGuid, q.reason)
 * ```
 */
export interface QuarantineEntry {
  readonly memberGuid: string
  readonly reason: string
  readonly at: number
}

/**
 * Options every store takes.
 *
 * @example
 * ```ts
 * const options: StoreOptions = { clock: () => Date.now(), maxJsonBytes: 256 * 1024 }
 * const store = sqliteStore('./mx-reconnect.db', options)
 * ```
 */
export interface StoreOptions {
  /** The clock for `createdAt`/`updatedAt`, history `at` and `acquire`'s default `now` (house rule 7). Default `Date.now`. */
  readonly clock?: () => number
  /** The largest snapshot / outcome / history `data` accepted, in UTF-8 bytes of JSON. Default 1 MiB. */
  readonly maxJsonBytes?: number
}
