import { randomUUID } from 'node:crypto'
import type { Snapshot } from 'xstate'
import {
  promptOf,
  type CredentialsRequiredEvent,
  type LifecycleOutput,
  type MfaRequiredEvent,
} from '../../machines/member-lifecycle/index.js'
import { systemClock } from '../bridge/clock.js'
import { createMemberLifecycle, type MemberLifecycleActor, type SubmitResult } from '../bridge/lifecycle.js'
import { createNexusClient } from '../client/create-nexus-client.js'
import type { NexusClientApi, SecretValue } from '../client/types.js'
import { toErrorData } from '../domain/errors.js'
import { schemas } from '../domain/schemas/index.js'
import { memoryStore } from '../stores/memory.js'
import { allUnfinished } from '../stores/iterate.js'
import type { LifecycleRecord } from '../stores/types.js'
import { gateClient } from './gate.js'
import { createLimiter } from './limiter.js'
import {
  awaitsUser,
  isQueued,
  statePath,
  storeStatus,
  viewOfRecord,
  viewOfSnapshot,
  type LifecycleSnapshotLike,
  type QueuedSnapshot,
} from './record.js'
import { buildReport, type Tracked } from './report.js'
import { createTimerQueue } from './timer-queue.js'
import { ReconnectorError } from './errors.js'
import type { LifecycleView, MemberRef, Reconnector, ReconnectorOptions, SweepProgress } from './types.js'

/** One lifecycle held in memory. */
interface Live {
  readonly ref: MemberRef
  actor: MemberLifecycleActor | undefined
  version: number
  /** The tail of this member's save chain: resolves when every snapshot seen so far is stored. */
  chain: Promise<void>
  lastState: string
  /** Provider calls and host events in flight: a busy lifecycle is never evicted. */
  busy: number
  lost: boolean
  release: () => void
  unsubscribe: () => void
}

const isSecretValue = (v: unknown): v is SecretValue =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { guid?: unknown }).guid === 'string' &&
  typeof (v as { value?: unknown }).value === 'string'

const isClient = (value: ReconnectorOptions['client']): value is NexusClientApi =>
  typeof (value as Partial<NexusClientApi>).readMember === 'function'

/**
 * Creates a reconnector: many member lifecycles with bounded concurrency, stored after every state
 * change, evicted from memory while they wait, and resumable after a crash (reconnector.md).
 *
 * @example
 * ```ts
 * import { createNexusClient, createReconnector, sqliteStore } from 'mx-reconnect'
 * const reconnector = createReconnector({ client: createNexusClient(config), store: sqliteStore('./mx.db') })
 * const view = await reconnector.start({ userId: 'u-1', memberGuid: 'MBR-1' })
 * if (view.prompt?.type === 'credentials.required') showForm(view.prompt.fields)
 * ```
 */
export function createReconnector(options: ReconnectorOptions): Reconnector {
  const client = isClient(options.client) ? options.client : createNexusClient(options.client)
  const ownsClient = !isClient(options.client)
  const store = options.store ?? memoryStore()
  const clock = options.clock ?? systemClock
  const owner = options.owner ?? `reconnector-${randomUUID()}`
  const leaseMs = options.leaseMs ?? 60_000
  const evictAfterMs = options.evictAfterMs ?? 5_000
  const emit = options.onEvent ?? (() => undefined)
  const limiter = createLimiter(options.concurrency ?? 32)

  const live = new Map<string, Live>()
  const activating = new Map<string, Promise<Live | undefined>>()
  // Per-member counters for sweep reports, kept only while a sweep (or resumeAll) reports on the member,
  // so a long-lived process does not keep an entry for every member it ever ran.
  const tracked = new Map<string, Tracked>()
  const reporting = new Map<string, number>()
  const waiters = new Map<string, Array<(view: LifecycleView | undefined) => void>>()
  let closed = false

  const gated = gateClient(
    client,
    async (memberGuid) => {
      const entry = live.get(memberGuid)
      if (!entry) return
      await entry.chain
      if (entry.lost) throw new ReconnectorError({ reason: 'leaseLost', memberGuid, message: 'lease lost' })
    },
    (memberGuid) => {
      const t = tracked.get(memberGuid)
      if (t) t.calls += 1
    },
  )
  const lifecycle = createMemberLifecycle(gated, { clock })

  // The real host timer, on the lifecycle's clock, but kept referenced (unlike `realTimerHost`): a sweep
  // whose lifecycles are all parked on timers must keep the process alive until they wake.
  const timers = createTimerQueue((memberGuid) => void wake(memberGuid), {
    now: () => clock.now(),
    setTimer: (callback, ms) => setTimeout(callback, Math.max(0, Math.min(ms, 2_147_483_647))),
    clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
  })

  // Leases are renewed for every live lifecycle by one interval, not one timer per actor.
  const renewal = setInterval(
    () => {
      for (const entry of live.values()) {
        store.acquire(entry.ref.memberGuid, owner, leaseMs, clock.now()).then(
          (held) => {
            if (!held) lose(entry)
          },
          () => undefined,
        )
      }
    },
    Math.max(1_000, Math.floor(leaseMs / 3)),
  )
  renewal.unref()

  const notify = (memberGuid: string, view: LifecycleView | undefined) => {
    const list = waiters.get(memberGuid)
    if (!list) return
    waiters.delete(memberGuid)
    for (const resolve of list) resolve(view)
  }

  const track = (ref: MemberRef) => {
    if (reporting.has(ref.memberGuid) && !tracked.has(ref.memberGuid))
      tracked.set(ref.memberGuid, { ...ref, calls: 0, startedAt: clock.now() })
  }

  function detach(entry: Live) {
    entry.unsubscribe()
    if (live.get(entry.ref.memberGuid) === entry) live.delete(entry.ref.memberGuid)
    entry.release()
  }

  function lose(entry: Live) {
    if (entry.lost) return
    entry.lost = true
    emit({
      type: 'error',
      memberGuid: entry.ref.memberGuid,
      error: { _tag: 'LeaseLost', message: 'another owner took this member' },
    })
    detach(entry)
    entry.actor?.stop()
  }

  /** Stores one snapshot (chained after the previous one), then evicts or finishes the lifecycle. */
  function persist(entry: Live, snapshot: LifecycleSnapshotLike) {
    const actor = entry.actor
    if (!actor || entry.lost) return
    const now = clock.now()
    const state = statePath(snapshot.value)
    const status = storeStatus(snapshot, now, evictAfterMs)
    const stored = actor.getPersistedSnapshot()
    const output = snapshot.status === 'done' ? (snapshot.output as LifecycleOutput) : undefined
    const changed = state !== entry.lastState
    entry.lastState = state
    const history = [
      ...(changed
        ? [
            {
              type: 'state',
              at: now,
              data: { state, connectionStatus: snapshot.context.member?.status ?? null },
            },
          ]
        : []),
      ...(output ? [{ type: 'outcome', at: now, data: output }] : []),
    ]
    if (changed) {
      emit({
        type: 'transition',
        ...entry.ref,
        state,
        connectionStatus: snapshot.context.member?.status ?? null,
      })
    }
    entry.chain = entry.chain.then(async () => {
      if (entry.lost) return
      try {
        const record = await store.save(
          entry.ref.memberGuid,
          {
            expectedVersion: entry.version,
            state,
            status,
            wakeAt: snapshot.context.wakeAt,
            snapshot: stored,
            ...(output ? { outcome: output } : {}),
          },
          history,
        )
        entry.version = record.version
      } catch (error) {
        emit({ type: 'error', memberGuid: entry.ref.memberGuid, error: toErrorData(error) })
        // A version conflict means another owner moved the record; any other store failure means the
        // next side effect could not be preceded by its state. Either way this actor must stop.
        lose(entry)
        return
      }
      if (output) return finish(entry, output)
      maybeEvict(entry)
    })
  }

  function finish(entry: Live, output: LifecycleOutput) {
    detach(entry)
    const t = tracked.get(entry.ref.memberGuid)
    if (t) t.finishedAt = clock.now()
    emit({ type: 'outcome', ...entry.ref, output })
    notify(entry.ref.memberGuid, viewOf(entry, entry.actor!.getSnapshot()))
  }

  function maybeEvict(entry: Live) {
    const actor = entry.actor
    if (!actor || entry.busy > 0 || entry.lost || live.get(entry.ref.memberGuid) !== entry) return
    const snapshot = actor.getSnapshot()
    if (snapshot.status !== 'active') return
    if (storeStatus(snapshot, clock.now(), evictAfterMs) !== 'waiting') return
    const wakeAt = snapshot.context.wakeAt ?? clock.now()
    const awaitingUser = awaitsUser(snapshot)
    // Its latest state is stored (we run at the end of the save chain): drop it from memory.
    detach(entry)
    actor.stop()
    void store.release(entry.ref.memberGuid, owner).catch(() => undefined)
    timers.schedule(entry.ref.memberGuid, wakeAt)
    emit({ type: 'evicted', memberGuid: entry.ref.memberGuid, wakeAt, awaitingUser })
    if (awaitingUser) {
      const t = tracked.get(entry.ref.memberGuid)
      if (t) t.parkedAt = clock.now()
      notify(entry.ref.memberGuid, viewOf(entry, snapshot))
    }
  }

  const viewOf = (entry: Live, snapshot: LifecycleSnapshotLike) =>
    viewOfSnapshot(entry.ref, snapshot, clock.now(), evictAfterMs)

  /** Asks the automated provider, if any, and submits what it returns. */
  function ask(entry: Live, prompt: CredentialsRequiredEvent | MfaRequiredEvent) {
    const full = { ...prompt, userId: entry.ref.userId }
    emit({ type: 'prompt', ...entry.ref, prompt: full })
    const provider =
      prompt.type === 'credentials.required'
        ? options.credentials && (() => options.credentials!(full as typeof full & CredentialsRequiredEvent))
        : options.mfa && (() => options.mfa!(full as typeof full & MfaRequiredEvent))
    if (!provider) return
    entry.busy += 1
    provider()
      .then(
        (values) => {
          const actor = entry.actor
          if (!values || !actor || live.get(entry.ref.memberGuid) !== entry) return
          const result =
            prompt.type === 'credentials.required'
              ? lifecycle.submitCredentials(actor, values)
              : lifecycle.submitMfa(actor, values)
          recordSubmission(entry.ref.memberGuid, prompt.type, values, result)
        },
        (error: unknown) =>
          emit({ type: 'error', memberGuid: entry.ref.memberGuid, error: toErrorData(error) }),
      )
      .finally(() => {
        unbusy(entry)
      })
  }

  function recordSubmission(
    memberGuid: string,
    kind: string,
    values: readonly SecretValue[],
    result: SubmitResult,
  ) {
    const data = { kind, guids: values.map((v) => v.guid), accepted: result.accepted }
    const entry = live.get(memberGuid)
    const write = () =>
      store.append(memberGuid, [{ type: 'submitted', at: clock.now(), data }]).then(() => undefined)
    if (entry) entry.chain = entry.chain.then(write, write)
    else void write().catch(() => undefined)
  }

  /** One busy reason fewer; the lifecycle may be evicted once its stored state says it waits. */
  function unbusy(entry: Live) {
    entry.busy -= 1
    entry.chain = entry.chain.then(() => maybeEvict(entry))
  }

  /** Brings a stored lifecycle into memory (start or restore), holding its lease. */
  function activate(record: LifecycleRecord, release: () => void, pinned = false): Promise<Live | undefined> {
    const memberGuid = record.memberGuid
    const existing = live.get(memberGuid)
    if (existing) {
      release()
      if (pinned) existing.busy += 1
      return Promise.resolve(existing)
    }
    const pending = activating.get(memberGuid)
    if (pending) {
      release()
      return pinned
        ? pending.then((entry) => {
            if (entry) entry.busy += 1
            return entry
          })
        : pending
    }
    const run = (async (): Promise<Live | undefined> => {
      if (closed) return undefined
      const held = await store.acquire(memberGuid, owner, leaseMs, clock.now())
      if (!held) {
        const current = await store.get(memberGuid)
        if (current && current.status !== 'done')
          timers.schedule(memberGuid, (current.leaseUntil ?? clock.now()) + 1)
        return undefined
      }
      const fresh = await store.get(memberGuid)
      if (!fresh || fresh.status === 'done') {
        await store.release(memberGuid, owner)
        return undefined
      }
      timers.cancel(memberGuid)
      track({ userId: fresh.userId, memberGuid })
      const entry: Live = {
        ref: { userId: fresh.userId, memberGuid },
        actor: undefined,
        version: fresh.version,
        chain: Promise.resolve(),
        lastState: fresh.state,
        busy: pinned ? 1 : 0,
        lost: false,
        release,
        unsubscribe: () => undefined,
      }
      live.set(memberGuid, entry)
      const actorOptions = options.inspect ? { inspect: options.inspect } : {}
      const actor = isQueued(fresh.snapshot)
        ? (() => {
            const { queued } = fresh.snapshot
            const policy = queued.policy ?? options.policy
            return lifecycle.start(
              { userId: queued.userId, memberGuid: queued.memberGuid, ...(policy ? { policy } : {}) },
              actorOptions,
            )
          })()
        : lifecycle.restore(fresh.snapshot as Snapshot<unknown>, actorOptions)
      entry.actor = actor
      const sub = actor.subscribe({
        next: (snapshot) => persist(entry, snapshot),
        error: (error) => emit({ type: 'error', memberGuid, error: toErrorData(error) }),
      })
      const onCredentials = actor.on('credentials.required', (prompt) => ask(entry, prompt))
      const onMfa = actor.on('mfa.required', (prompt) => ask(entry, prompt))
      entry.unsubscribe = () => {
        sub.unsubscribe()
        onCredentials.unsubscribe()
        onMfa.unsubscribe()
      }
      // The first snapshot of a started actor is not always delivered to a late subscriber: store it now.
      persist(entry, actor.getSnapshot())
      // A restored lifecycle waiting on the user does not emit its prompt again (entry actions do not re-run).
      const restoredPrompt = isQueued(fresh.snapshot) ? undefined : promptOf(actor.getSnapshot())
      if (restoredPrompt) ask(entry, restoredPrompt)
      return entry
    })().finally(() => activating.delete(memberGuid))
    activating.set(memberGuid, run)
    return run
  }

  /** Activates through the concurrency limiter; the slot is held until the lifecycle is done or evicted. */
  function schedule(record: LifecycleRecord): Promise<Live | undefined> {
    return new Promise((resolveLive) => {
      void limiter
        .run(
          () =>
            new Promise<void>((releaseSlot) => {
              activate(record, releaseSlot).then(
                (entry) => {
                  if (!entry || entry.release !== releaseSlot) releaseSlot()
                  resolveLive(entry)
                },
                (error: unknown) => {
                  emit({ type: 'error', memberGuid: record.memberGuid, error: toErrorData(error) })
                  releaseSlot()
                  resolveLive(undefined)
                },
              )
            }),
        )
        .catch(() => undefined)
    })
  }

  async function wake(memberGuid: string) {
    if (closed || live.has(memberGuid)) return
    const record = await store.get(memberGuid)
    if (record && record.status !== 'done') await schedule(record)
  }

  /**
   * Runs `use` on the member's live lifecycle, rehydrated at once if it was evicted (host events do not
   * queue behind a sweep); the lifecycle is not evicted while `use` runs.
   */
  async function withLive<T>(
    memberGuid: string,
    use: (entry: Live, actor: MemberLifecycleActor) => T,
  ): Promise<T | undefined> {
    let entry = live.get(memberGuid)
    if (entry) entry.busy += 1
    else {
      const record = await store.get(memberGuid)
      if (!record || record.status === 'done') return undefined
      entry = await activate(record, () => undefined, true)
    }
    if (!entry) return undefined
    try {
      return entry.actor ? use(entry, entry.actor) : undefined
    } finally {
      unbusy(entry)
    }
  }

  async function view(memberGuid: string): Promise<LifecycleView | undefined> {
    const entry = live.get(memberGuid)
    if (entry?.actor) return viewOf(entry, entry.actor.getSnapshot())
    const record = await store.get(memberGuid)
    return record ? viewOfRecord(record) : undefined
  }

  async function start(member: MemberRef & { readonly policy?: ReconnectorOptions['policy'] }) {
    if (closed)
      throw new ReconnectorError({
        reason: 'closed',
        memberGuid: member.memberGuid,
        message: 'reconnector is closed',
      })
    if (
      typeof member.userId !== 'string' ||
      member.userId === '' ||
      typeof member.memberGuid !== 'string' ||
      member.memberGuid === ''
    )
      throw new ReconnectorError({
        reason: 'invalid',
        memberGuid: String(member.memberGuid),
        message: 'userId and memberGuid are required',
      })
    const current = await view(member.memberGuid)
    if (current && current.status !== 'done') {
      if (!live.has(member.memberGuid)) {
        const record = await store.get(member.memberGuid)
        // A parked lifecycle wakes on its own time (an overdue one at once); a running one is resumed.
        if (record?.status === 'running') void schedule(record)
        else if (record?.status === 'waiting')
          timers.schedule(record.memberGuid, record.wakeAt ?? clock.now())
      }
      return current
    }
    const policy = member.policy ?? options.policy
    const snapshot: QueuedSnapshot = {
      queued: { userId: member.userId, memberGuid: member.memberGuid, ...(policy ? { policy } : {}) },
    }
    const history = [{ type: 'started', at: clock.now(), data: { userId: member.userId } }]
    const existing = await store.get(member.memberGuid)
    const record = existing
      ? await store.save(
          member.memberGuid,
          {
            expectedVersion: existing.version,
            state: 'queued',
            status: 'running',
            wakeAt: null,
            snapshot,
            outcome: null,
          },
          history,
        )
      : (
          await store.create(
            {
              memberGuid: member.memberGuid,
              userId: member.userId,
              state: 'queued',
              status: 'running',
              wakeAt: null,
              snapshot,
            },
            history,
          )
        ).record
    tracked.delete(member.memberGuid)
    void schedule(record)
    return viewOfRecord(record)
  }

  async function submit(memberGuid: string, kind: 'credentials' | 'mfa', values: readonly SecretValue[]) {
    if (!Array.isArray(values) || !(values as readonly unknown[]).every(isSecretValue))
      throw new ReconnectorError({
        reason: 'invalid',
        memberGuid,
        message: `${kind} must be an array of { guid, value } strings`,
      })
    const result = await withLive(memberGuid, (_entry, actor) =>
      kind === 'credentials'
        ? lifecycle.submitCredentials(actor, values)
        : lifecycle.submitMfa(actor, values),
    )
    if (!result) return { accepted: false }
    recordSubmission(memberGuid, `${kind}.submit`, values, result)
    return result
  }

  async function settled(memberGuid: string): Promise<LifecycleView | undefined> {
    const current = await view(memberGuid)
    if (!current || current.status === 'done') return current
    if (current.status === 'waiting' && current.prompt && !live.has(memberGuid)) {
      // Parked on the user: settled, unless its deadline has passed (then it is about to end).
      const wakeAt = current.wakeAt ?? clock.now()
      if (wakeAt > clock.now()) return current
      timers.schedule(memberGuid, wakeAt)
    }
    return new Promise((resolve) => {
      const list = waiters.get(memberGuid) ?? []
      list.push(resolve)
      waiters.set(memberGuid, list)
    })
  }

  const report = (guids: readonly string[]) => {
    for (const guid of guids) {
      reporting.set(guid, (reporting.get(guid) ?? 0) + 1)
      const entry = live.get(guid)
      if (entry) track(entry.ref)
    }
  }
  const unreport = (guids: readonly string[]) => {
    for (const guid of guids) {
      const left = (reporting.get(guid) ?? 1) - 1
      if (left > 0) reporting.set(guid, left)
      else {
        reporting.delete(guid)
        tracked.delete(guid)
      }
    }
  }

  async function settleAll(guids: readonly string[], onProgress?: (p: SweepProgress) => void) {
    let count = 0
    const total = guids.length
    onProgress?.({ total, settled: 0 })
    const started = clock.now()
    const views = await Promise.all(
      guids.map(async (guid) => {
        const v = await settled(guid)
        count += 1
        onProgress?.({ total, settled: count })
        return v
      }),
    )
    const report = buildReport(guids, views, tracked, clock.now() - started)
    unreport(guids)
    return report
  }

  return {
    start,
    submitCredentials: (memberGuid, credentials) => submit(memberGuid, 'credentials', credentials),
    submitMfa: (memberGuid, answers) => submit(memberGuid, 'mfa', answers),
    async handleWebhook(body) {
      const decoded = schemas.webhook.safeParse(body)
      if (!decoded.success)
        throw new ReconnectorError({
          reason: 'invalidWebhook',
          memberGuid: '',
          message: `invalid MX webhook body: ${decoded.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
        })
      const { memberGuid } = decoded.data
      const routed = await withLive(memberGuid, (_entry, actor) => lifecycle.webhook(actor, body))
      return { routed: routed === true, memberGuid }
    },
    async cancel(memberGuid) {
      const entry = await withLive(memberGuid, (e, actor) => {
        actor.send({ type: 'cancel' })
        return e
      })
      if (entry) await entry.chain
      return view(memberGuid)
    },
    view,
    settled,
    async sweep(target, sweepOptions) {
      const members: MemberRef[] =
        'members' in target
          ? [...target.members]
          : (
              await Promise.all(
                target.userIds.map(async (userId) =>
                  (await client.listMembers({ userId })).map((m) => ({ userId, memberGuid: m.guid })),
                ),
              )
            ).flat()
      const unique = [...new Map(members.map((m) => [m.memberGuid, m])).values()]
      const guids = unique.map((m) => m.memberGuid)
      report(guids)
      try {
        for (const member of unique) await start(member)
      } catch (error) {
        unreport(guids)
        throw error
      }
      return settleAll(
        unique.map((m) => m.memberGuid),
        sweepOptions?.onProgress,
      )
    },
    async resumeAll(resumeOptions) {
      const guids: string[] = []
      for await (const record of allUnfinished(store)) {
        guids.push(record.memberGuid)
        report([record.memberGuid])
        if (live.has(record.memberGuid)) continue
        const parkedOnUser = record.status === 'waiting' && viewOfRecord(record).prompt !== undefined
        const canAnswer = parkedOnUser && (options.credentials !== undefined || options.mfa !== undefined)
        if (record.status === 'waiting' && record.wakeAt !== null && !canAnswer)
          timers.schedule(record.memberGuid, record.wakeAt)
        else void schedule(record)
      }
      return settleAll(guids, resumeOptions?.onProgress)
    },
    async close() {
      closed = true
      clearInterval(renewal)
      timers.close()
      const entries = [...live.values()]
      await Promise.all(entries.map((e) => e.chain))
      for (const entry of entries) {
        detach(entry)
        entry.actor?.stop()
        await store.release(entry.ref.memberGuid, owner).catch(() => undefined)
      }
      for (const guid of [...waiters.keys()]) notify(guid, undefined)
      if (ownsClient) await client.close()
    },
  }
}
