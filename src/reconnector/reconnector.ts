import { createMemberLifecycle } from '../bridge/lifecycle.js'
import { systemClock } from '../bridge/clock.js'
import { createNexusClient } from '../client/create-nexus-client.js'
import type { NexusClientApi } from '../client/types.js'
import { schemas } from '../domain/schemas/index.js'
import { resolvePolicy } from '../../machines/member-lifecycle/index.js'
import { memoryStore } from '../stores/memory.js'
import {
  guidForError,
  memberGuidSchema,
  memberRefSchema,
  parseArg,
  progressOptionsSchema,
  reconnectorOptionsSchema,
  secretsSchema,
  startSchema,
  sweepTargetSchema,
} from './args.js'
import { codecStore } from './codec-store.js'
import { createDriver } from './driver.js'
import { notFound, ReconnectorError } from './errors.js'
import { gateClient } from './gate.js'
import { createHandoff } from './handoff.js'
import { createLimiter } from './limiter.js'
import { createLives } from './live.js'
import { createOwnership } from './ownership.js'
import { createReporting } from './reporting.js'
import { announceLeases, createScheduler } from './scheduler.js'
import { createTracker } from './tracker.js'
import type { MemberRef, Reconnector, ReconnectorOptions } from './types.js'
import { createWaiters } from './waiters.js'

const isClient = (value: ReconnectorOptions['client']): value is NexusClientApi =>
  typeof (value as Partial<NexusClientApi>).readMember === 'function'

/**
 * Creates a reconnector: many member lifecycles with bounded concurrency, stored after every state
 * change, evicted from memory while they wait, and resumable after a crash (reconnector.md). It is put
 * together from named parts: the lifecycle driver (driver.ts, live.ts), the scheduler, ownership
 * (leases), reporting (sweeps and the sweep journal) and the waiters.
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
  const checked = parseArg(reconnectorOptionsSchema, options, 'options')
  const client = isClient(options.client) ? options.client : createNexusClient(options.client)
  const ownsClient = !isClient(options.client)
  // Snapshots are stored slim and read back whole (issue 15, docs/decisions/0017).
  const store = codecStore(options.store ?? memoryStore(), { policy: resolvePolicy(options.policy), client })
  const clock = options.clock ?? systemClock
  const leaseMs = checked.leaseMs ?? 60_000
  const emit = options.onEvent ?? (() => undefined)
  let closed = false

  const waiters = createWaiters()
  const tracker = createTracker(() => clock.now())
  const watchMs = Math.max(10, Math.min(1_000, Math.floor(leaseMs / 4)))
  // The scheduling engine: in-process timers by default, pg-boss jobs for workers (docs/scale-out.md).
  const scheduler = (options.scheduler ?? createScheduler)({
    clock,
    onDue: (memberGuid) => driver.wake(memberGuid),
    watchMs,
    leaseMs,
    watched: (memberGuid) => waiters.has(memberGuid),
  })
  const ownership = announceLeases(
    createOwnership(store, { owner: checked.owner ?? 'reconnector', leaseMs }),
    scheduler,
    leaseMs,
  )
  const gated = gateClient(
    client,
    (memberGuid) => driver.gate(memberGuid),
    (memberGuid) => tracker.called(memberGuid),
  )
  const lifecycle = createMemberLifecycle(gated, { clock })
  const lives = createLives({
    store,
    clock,
    lifecycle,
    ownership,
    scheduler,
    waiters,
    tracker,
    emit,
    options,
    evictAfterMs: checked.evictAfterMs ?? 5_000,
  })
  const driver = createDriver({
    store,
    clock,
    lives,
    ownership,
    scheduler,
    waiters,
    tracker,
    limiter: createLimiter(checked.concurrency ?? 32),
    emit,
    options,
    leaseMs,
    isClosed: () => closed,
  })
  const reporting = createReporting({
    store,
    client,
    clock,
    driver,
    lives,
    tracker,
    holder: ownership.holder,
    emit,
  })
  // Leases are renewed for every live lifecycle by one interval, not one timer per actor.
  scheduler.every(Math.max(20, Math.floor(leaseMs / 3)), () => driver.renewAll())

  const open = (memberGuid: string) => {
    if (closed) throw new ReconnectorError({ reason: 'closed', memberGuid, message: 'reconnector is closed' })
  }
  const guid = (value: unknown) =>
    parseArg(memberGuidSchema, value, 'memberGuid', 'invalid', guidForError(value))

  const onLive = createHandoff({ driver, lives, store, clock })

  /** The checked `{ userId, memberGuid }` of a user-facing call. */
  const refOf = (value: unknown): MemberRef =>
    parseArg(
      memberRefSchema,
      value,
      'member',
      'invalid',
      guidForError((value as { memberGuid?: unknown } | null)?.memberGuid),
    )

  /**
   * The user check: the member's lifecycle must exist under this user. An unknown member and another
   * user's member are refused alike (`notFound`), so member guids cannot be probed. The user of a record
   * is fixed at creation, so this check cannot go stale.
   */
  async function owned(ref: MemberRef): Promise<void> {
    const entry = lives.live.get(ref.memberGuid)
    const userId = entry ? entry.ref.userId : (await store.get(ref.memberGuid))?.userId
    if (userId !== ref.userId) throw notFound(ref.memberGuid)
  }

  async function submit(value: unknown, kind: 'credentials' | 'mfa', values: unknown) {
    const ref = refOf(value)
    const member = ref.memberGuid
    const secrets = parseArg(secretsSchema, values, kind, 'invalid', member)
    open(member)
    await owned(ref)
    const result = await onLive(member, (entry) =>
      kind === 'credentials'
        ? lifecycle.submitCredentials(entry.actor!, secrets)
        : lifecycle.submitMfa(entry.actor!, secrets),
    )
    if (!result) return { accepted: false }
    lives.recordSubmission(member, `${kind}.submit`, secrets, result)
    return result
  }

  return {
    async start(member) {
      const args = parseArg(
        startSchema,
        member,
        'member',
        'invalid',
        guidForError((member as { memberGuid?: unknown } | null)?.memberGuid),
      )
      open(args.memberGuid)
      return driver.begin(member)
    },
    submitCredentials: (member, credentials) => submit(member, 'credentials', credentials),
    submitMfa: (member, answers) => submit(member, 'mfa', answers),
    async handleWebhook(body) {
      const decoded = schemas.webhook.safeParse(body)
      const member = decoded.success ? memberGuidSchema.safeParse(decoded.data.memberGuid) : undefined
      if (!decoded.success || !member?.success)
        throw new ReconnectorError({
          reason: 'invalidWebhook',
          memberGuid: '',
          message: decoded.success
            ? 'invalid MX webhook body: member_guid is not a member guid'
            : `invalid MX webhook body: ${decoded.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
        })
      const { memberGuid } = decoded.data
      const routed = await driver.withLive(memberGuid, (entry) => lifecycle.webhook(entry.actor!, body))
      return { routed: routed === true, memberGuid }
    },
    async cancel(member) {
      const ref = refOf(member)
      await owned(ref)
      const entry = await onLive(ref.memberGuid, (e) => {
        e.actor!.send({ type: 'cancel' })
        return e
      })
      if (entry) await entry.chain
      const view = await driver.view(ref.memberGuid)
      if (!view) throw notFound(ref.memberGuid)
      return view
    },
    async view(member) {
      const ref = refOf(member)
      const view = await driver.view(ref.memberGuid)
      return view?.userId === ref.userId ? view : undefined
    },
    settled: async (memberGuid) => (await driver.settle(guid(memberGuid))).view,
    async sweep(target, sweepOptions) {
      const parsed = parseArg(sweepTargetSchema, target, 'target')
      const opts = parseArg(progressOptionsSchema, sweepOptions, 'options')
      open('')
      return reporting.sweep(parsed, opts?.onProgress)
    },
    async resumeAll(resumeOptions) {
      const opts = parseArg(progressOptionsSchema, resumeOptions, 'options')
      open('')
      return reporting.resumeAll(opts?.onProgress)
    },
    async close() {
      if (closed) return
      closed = true
      scheduler.close()
      await lives.closeAll()
      await ownership.close().catch(() => undefined)
      for (const memberGuid of waiters.members()) lives.settleFromStore(memberGuid, { reason: 'closed' })
      if (ownsClient) await client.close()
    },
  }
}
