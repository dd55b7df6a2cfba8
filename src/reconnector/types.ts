import type { InspectionEvent, Observer } from 'xstate'
import type {
  CredentialsRequiredEvent,
  LifecycleOutput,
  MfaRequiredEvent,
  Outcome,
  PolicyInput,
} from '../../machines/member-lifecycle/index.js'
import type { LifecycleClock } from '../bridge/clock.js'
import type { SubmitResult } from '../bridge/lifecycle.js'
import type { NexusClientApi, SecretValue } from '../client/types.js'
import type { ErrorData } from '../domain/errors.js'
import type { NexusClientConfig } from '../services/config.js'
import type { LifecycleStatus, LifecycleStore } from '../stores/types.js'
import type { SchedulerFactory } from './scheduler.js'

/**
 * A member to reconnect: the partner's user id (it keys the session) and MX's member guid.
 *
 * @example
 * ```ts
 * const member: MemberRef = { userId: 'partner-user-1', memberGuid: 'MBR-1' }
 * const view = await reconnector.start(member)
 * ```
 */
export interface MemberRef {
  readonly userId: string
  readonly memberGuid: string
}

/**
 * A prompt the reconnector asks a provider (or the partner's user) to answer.
 *
 * @example
 * ```ts
 * const reconnector = createReconnector({
 *   client,
 *   onEvent: (event) => {
 *     if (event.type === 'prompt') notifyUser(event.prompt.userId, event.prompt.memberGuid, event.prompt.type)
 *   },
 * })
 * ```
 */
export type Prompt = (CredentialsRequiredEvent | MfaRequiredEvent) & { readonly userId: string }

/**
 * An automated answer source: values, or `undefined` to leave the lifecycle waiting for the user.
 *
 * @example
 * ```ts
 * // Answer from a password vault the partner already has; undefined leaves the member waiting for its user.
 * const credentials: Provider<Prompt & CredentialsRequiredEvent> = async (prompt) =>
 *   (await partnerVault.lookup(prompt.userId, prompt.memberGuid)) ?? undefined
 * const reconnector = createReconnector({ client, credentials })
 * ```
 */
export type Provider<P> = (prompt: P) => Promise<readonly SecretValue[] | undefined>

/**
 * What the reconnector reports through `onEvent`. Never carries a secret.
 *
 * @example
 * ```ts
 * const onEvent = (event: ReconnectorEvent) => {
 *   if (event.type === 'outcome') metrics.increment(event.output.outcome)
 *   else if (event.type === 'error') log.warn(event.memberGuid, event.error.message)
 * }
 * const reconnector = createReconnector({ client, onEvent })
 * ```
 */
export type ReconnectorEvent =
  | { readonly type: 'prompt'; readonly memberGuid: string; readonly userId: string; readonly prompt: Prompt }
  | {
      readonly type: 'transition'
      readonly memberGuid: string
      readonly userId: string
      readonly state: string
      readonly connectionStatus: string | null
    }
  | {
      readonly type: 'outcome'
      readonly memberGuid: string
      readonly userId: string
      readonly output: LifecycleOutput
    }
  | {
      readonly type: 'evicted'
      readonly memberGuid: string
      readonly wakeAt: number
      readonly awaitingUser: boolean
    }
  | { readonly type: 'error'; readonly memberGuid: string; readonly error: ErrorData }

/**
 * Options of `createReconnector` (reconnector.md, Library API).
 *
 * @example
 * ```ts
 * const options: ReconnectorOptions = {
 *   client: { nexusUrl, ssoUrl, clientId, apiKey: process.env.MX_API_KEY! },
 *   store: sqliteStore('./mx-reconnect.db'),
 *   concurrency: 16,
 *   policy: { userResponseMs: 24 * 60 * 60_000 },
 * }
 * const reconnector = createReconnector(options)
 * ```
 */
export interface ReconnectorOptions {
  /** A Nexus client, or the config to create one (then closed by `close()`). */
  readonly client: NexusClientApi | NexusClientConfig
  /** Where lifecycles live between steps (default `memoryStore()`). */
  readonly store?: LifecycleStore
  /**
   * The scheduling engine (default: in-process timers). `pgBossEngine(...).scheduler` runs lifecycles on
   * worker processes over PostgreSQL (docs/scale-out.md).
   */
  readonly scheduler?: SchedulerFactory
  /** Lifecycles running at once (default 32). Lifecycles parked on the user or a long timer do not count. */
  readonly concurrency?: number
  /** Automated credentials provider; `undefined` from it leaves the lifecycle waiting for the user. */
  readonly credentials?: Provider<Prompt & CredentialsRequiredEvent>
  /** Automated MFA provider; same contract. */
  readonly mfa?: Provider<Prompt & MfaRequiredEvent>
  /** Prompts, transitions and outcomes; never secrets. */
  readonly onEvent?: (event: ReconnectorEvent) => void
  /** Lifecycle policy for lifecycles this reconnector starts (lifecycle.md, Policy). */
  readonly policy?: PolicyInput
  /** Clock for the lifecycles and the timer queue (default: the system clock). */
  readonly clock?: LifecycleClock
  /**
   * Owner name. Leases name this owner plus a random id per instance; a restart under the same owner
   * takes its old leases back at once when the old process is provably gone (same host, pid not alive),
   * else when they lapse. Two live processes with the same owner never drive the same member.
   */
  readonly owner?: string
  /** How long a lease on a running member lasts without renewal (default 60 s). */
  readonly leaseMs?: number
  /** A lifecycle waiting on a timer longer than this is evicted from memory (default 5 s). */
  readonly evictAfterMs?: number
  /**
   * XState inspection: what XState's own `inspect` takes, an observer or a function, so
   * `createWebSocketInspector(...).inspect` from `@statelyai/inspect` plugs in as is (events carry no secrets).
   */
  readonly inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void)
}

/**
 * A lifecycle as a host sees it.
 *
 * @example
 * ```ts
 * const view: LifecycleView | undefined = await reconnector.view({ userId, memberGuid })
 * if (view?.prompt?.type === 'mfa.required') showChallenges(view.prompt.challenges)
 * else if (view?.status === 'done') console.log(view.outcome?.outcome)
 * ```
 */
export interface LifecycleView {
  readonly memberGuid: string
  readonly userId: string
  /** The machine's state path, e.g. `credentials.awaiting`; `queued` before it runs. */
  readonly state: string
  readonly status: LifecycleStatus
  /** What the user must answer now, when the lifecycle waits on them. */
  readonly prompt?: CredentialsRequiredEvent | MfaRequiredEvent
  /** The outcome, once done. */
  readonly outcome?: LifecycleOutput
  /** When the lifecycle next wakes on its own (epoch ms), if it waits. */
  readonly wakeAt: number | null
  /** The last `connection_status` read, as MX spells it; null before the first read. */
  readonly connectionStatus: string | null
}

/**
 * One member's line in a sweep report.
 *
 * @example
 * ```ts
 * const report = await reconnector.sweep({ userIds: ['partner-user-1'] })
 * const waiting: SweepMemberReport[] = report.members.filter((m) => m.outcome === 'awaitingUser')
 * for (const m of waiting) notifyUser(m.userId, m.memberGuid)
 * ```
 */
export interface SweepMemberReport {
  readonly memberGuid: string
  readonly userId: string
  /**
   * The outcome; `awaitingUser` when it waits on a prompt nobody answered; `unfinished` when its wait
   * ended here without an outcome (see `reason`: e.g. `leaseLost`, `storeError`, `closed`).
   */
  readonly outcome: Outcome | 'awaitingUser' | 'unfinished'
  readonly connectionStatus: string | null
  readonly attempts: { readonly credentials: number; readonly mfa: number; readonly service: number } | null
  /** Nexus calls the lifecycle made for this member in this process (session calls excluded). */
  readonly calls: number
  /** Wall time from its first activation in this process to its outcome, in ms. */
  readonly durationMs: number
  /** Why, when it is not plain: `userDeadlinePassed` (the user did not answer in time), `leaseLost`, … */
  readonly reason?: string
}

/**
 * What a sweep (or `resumeAll`) returns (reconnector.md: every member, and counts per outcome).
 *
 * @example
 * ```ts
 * const report: SweepReport = await reconnector.sweep({ userIds })
 * console.log(report.counts, `${report.failures.length} users failed`, `${report.quarantined.length} set aside`)
 * ```
 */
export interface SweepReport {
  readonly members: readonly SweepMemberReport[]
  readonly counts: Readonly<Record<string, number>>
  readonly durationMs: number
  /** One row per user whose members could not be listed (e.g. unknown at MX); the others were swept. */
  readonly failures: readonly { readonly userId: string; readonly error: ErrorData }[]
  /** Members whose stored row could not be read or restored: set aside, not run. */
  readonly quarantined: readonly { readonly memberGuid: string; readonly reason: string }[]
}

/**
 * Progress of a sweep.
 *
 * @example
 * ```ts
 * await reconnector.sweep({ userIds }, {
 *   onProgress: ({ settled, total }: SweepProgress) => console.log(`${settled}/${total}`),
 * })
 * ```
 */
export interface SweepProgress {
  readonly total: number
  readonly settled: number
}

/**
 * Runs many member lifecycles, durably (reconnector.md).
 *
 * @example
 * ```ts
 * const reconnector: Reconnector = createReconnector({ client, store: sqliteStore('./mx-reconnect.db') })
 * await reconnector.start({ userId: 'partner-user-1', memberGuid: 'MBR-1' })
 * const view = await reconnector.settled('MBR-1') // done, or waiting on the user
 * await reconnector.close()
 * ```
 */
export interface Reconnector {
  /**
   * Starts (or returns the running) lifecycle of a member. Idempotent while it is unfinished. A member
   * stored under another user is refused with `ReconnectorError` `notFound`.
   */
  start(member: MemberRef & { readonly policy?: PolicyInput }): Promise<LifecycleView>
  /**
   * Gives the user's credentials (or, while CHALLENGED, MFA answers) to a waiting lifecycle of this user's
   * member; `accepted: false` when it does not wait for them. `notFound` for an unknown member or another
   * user's member.
   */
  submitCredentials(member: MemberRef, credentials: readonly SecretValue[]): Promise<SubmitResult>
  /** Gives the user's MFA answers to a waiting lifecycle of this user's member; same contract. */
  submitMfa(member: MemberRef, answers: readonly SecretValue[]): Promise<SubmitResult>
  /** Routes a validated MX webhook body to its member's lifecycle; `routed: false` when no lifecycle runs for it. */
  handleWebhook(body: unknown): Promise<{ readonly routed: boolean; readonly memberGuid: string }>
  /** Cancels this user's member's unfinished lifecycle and returns its view. `notFound` as for the submits. */
  cancel(member: MemberRef): Promise<LifecycleView>
  /** The current view of this user's member's lifecycle; undefined for an unknown member or another user's. */
  view(member: MemberRef): Promise<LifecycleView | undefined>
  /**
   * Resolves when the member's lifecycle is done or waits on the user, or when its wait ends otherwise
   * (finished by another process, lease lost, conflict, store error, close): always with the stored view.
   */
  settled(memberGuid: string): Promise<LifecycleView | undefined>
  /** Reconnects every member of the given users (via list members) or the given members, and reports. */
  sweep(
    target: { readonly userIds: readonly string[] } | { readonly members: readonly MemberRef[] },
    options?: { readonly onProgress?: (progress: SweepProgress) => void },
  ): Promise<SweepReport>
  /**
   * After a restart: finishes every interrupted sweep from the sweep journal (members never stored are
   * started), brings every other unfinished lifecycle back, and reports when they settle.
   */
  resumeAll(options?: { readonly onProgress?: (progress: SweepProgress) => void }): Promise<SweepReport>
  /** Stops every live lifecycle (their state is already stored) and releases leases. */
  close(): Promise<void>
}
