import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LifecycleOutput, Outcome } from '../../../machines/member-lifecycle/index.js'
import { createNexusClient } from '../../client/create-nexus-client.js'
import {
  createReconnector,
  type ReconnectorEvent,
  type ReconnectorOptions,
  type SweepProgress,
} from '../../reconnector/index.js'
import { startSimulator, type Profile, type Simulator } from '../../simulator/index.js'
import { sqliteStore } from '../../stores/index.js'
import { seedDemoMembers } from './seed.js'
import { createTestUsers, type SeededMember } from './test-user.js'

/**
 * The demo run, without printing (design: reconnector.md "CLI" `demo`): an in-process simulator, members
 * across every scenario, test users answering prompts, one sweep on the embedded SQLite store, then the
 * wait for the user deadline of members whose user never answers. Simulator and lifecycle share one
 * scaled clock (lifecycle.md, Policy: "Simulations scale these delays together with the simulator's clock").
 */

/** What `runDemo` needs; the command fills in the defaults. */
export interface DemoOptions {
  readonly members: number
  readonly concurrency: number
  readonly seed: number
  /** Simulator profile (docs/simulator.md "Profiles"); default `messy`, what real MX sends. */
  readonly profile?: Profile
  /** Real time per simulated time, for the simulator and the lifecycle policy alike (e.g. 0.01). */
  readonly timeScale: number
  /** SQLite file; default a fresh file in a new temp directory. */
  readonly dbPath?: string
  /** XState inspection for the demo's lifecycles (`--inspect ws://…`: a Stately WebSocket inspector). */
  readonly inspect?: ReconnectorOptions['inspect']
}

/** Where the run is. */
export type DemoPhase = 'sweep' | 'deadline'

/** Hooks for the command (progress) and for tests (a look at the simulator and the typed secrets). */
export interface DemoHooks {
  /** Progress of a phase; `outcomes` counts the outcomes reached so far in the whole run. */
  readonly onProgress?: (
    phase: DemoPhase,
    progress: SweepProgress,
    outcomes: Readonly<Record<string, number>>,
  ) => void
  /** Called once the parked members are known, before the wait for their user deadline. */
  readonly onDeadlineWait?: (info: { readonly members: number; readonly waitMs: number }) => void
  /** Test seam: the simulator, and every value the test users typed (secrets: never print them). */
  readonly observe?: (probe: {
    readonly simulator: Simulator
    readonly typed: () => readonly string[]
  }) => void
  /** Test seam: runs while the store is still open (its WAL file still on disk), before everything closes. */
  readonly beforeClose?: (result: DemoResult) => Promise<void>
}

/** One member's result. */
export interface DemoMemberResult {
  readonly member: SeededMember
  readonly outcome: Outcome | 'awaitingUser' | 'unfinished'
  readonly connectionStatus: string | null
  /** What the sweep itself reported (`awaitingUser` for members parked on a user who never answers). */
  readonly sweepOutcome: Outcome | 'awaitingUser' | 'unfinished'
  /** HTTP requests the simulator received about this member (its request log; session calls excluded). */
  readonly calls: number
  readonly ok: boolean
}

/** What `runDemo` resolves to. */
export interface DemoResult {
  readonly options: DemoOptions
  readonly dbPath: string
  readonly members: readonly DemoMemberResult[]
  readonly counts: Readonly<Record<string, number>>
  /** Members whose outcome differs from their scenario's. */
  readonly mismatches: readonly DemoMemberResult[]
  /** Members the sweep left waiting on their user. */
  readonly parkedAfterSweep: number
  readonly sweepMs: number
  readonly deadlineWaitMs: number
  readonly wallMs: number
  /** HTTP requests the client sent (Nexus, SSO), retries included. */
  readonly httpRequests: number
  readonly sessionsOpened: number
  /** The lifecycle's user response deadline in real ms (15 simulated minutes, scaled). */
  readonly userDeadlineMs: number
  /** How long a challenge lives in the demo's simulator, in simulated ms (see {@link demoChallengeTtlMs}). */
  readonly challengeTtlMs: number
}

const MINUTE = 60_000
/** lifecycle.md Policy: the user has 15 minutes; the demo keeps the default and scales it. */
const USER_RESPONSE_MS = 15 * MINUTE
/** Request log room per member: the worst scenario (wrong MFA answers) makes about 20 calls. */
const LOG_ENTRIES_PER_MEMBER = 40
/** Extra real time allowed past the last user deadline before the demo stops waiting. */
const DEADLINE_GRACE_MS = 5_000

const scaled = (ms: number, timeScale: number): number => Math.max(1, Math.round(ms * timeScale))

/** The simulator's default challenge life: an unanswered challenge is EXPIRED after 5 simulated minutes (simulator.md). */
const MX_CHALLENGE_TTL_MS = 5 * MINUTE
/** The least real time a demo challenge lives, however small the time scale. */
const DEMO_CHALLENGE_MIN_REAL_MS = MINUTE

/**
 * The demo simulator's challenge life: the simulator's 5 minutes, but never less than one real minute. At the
 * default time scale 0.01 those 5 minutes are 3 real seconds, and a loaded machine (CI beside other work) can take
 * longer than that between a challenge and its answer, so challenges would expire for reasons of the
 * machine, not of the scenario. From `--time-scale` 0.2 up the demo runs the plain 5 minutes.
 */
export const demoChallengeTtlMs = (timeScale: number): number =>
  Math.max(MX_CHALLENGE_TTL_MS, Math.round(DEMO_CHALLENGE_MIN_REAL_MS / timeScale))

function freshDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'mx-reconnect-demo-')), 'demo.db')
}

/** Resolves when `done()` is true (checked on every `poke`) or after `ms`. */
function waitUntil(done: () => boolean, ms: number): { promise: Promise<void>; poke: () => void } {
  let finish: () => void = () => undefined
  const promise = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, ms))
    finish = () => {
      clearTimeout(timer)
      resolve()
    }
  })
  const poke = () => {
    if (done()) finish()
  }
  poke()
  return { promise, poke }
}

/**
 * Runs the demo and reports every member's outcome against its scenario.
 *
 * @example
 * ```ts
 * const result = await runDemo({ members: 100, concurrency: 32, seed: 1, timeScale: 0.01 })
 * result.mismatches.length // 0 when every member ended as its scenario implies
 * ```
 */
export async function runDemo(options: DemoOptions, hooks: DemoHooks = {}): Promise<DemoResult> {
  const started = Date.now()
  const { timeScale } = options
  const dbPath = options.dbPath ?? freshDbPath()
  // The request log gives the calls per member; size it so no entry of this run is dropped.
  const sim = await startSimulator({
    seed: options.seed,
    profile: options.profile ?? 'messy',
    timeScale,
    challengeTtlMs: demoChallengeTtlMs(timeScale),
    logLimit: Math.max(100_000, options.members * LOG_ENTRIES_PER_MEMBER),
  })
  const cleanup: Array<() => Promise<void>> = [() => sim.close()]
  try {
    const seeded = seedDemoMembers(sim, options.members)
    const users = createTestUsers(seeded)
    hooks.observe?.({ simulator: sim, typed: users.typed })
    const client = createNexusClient({
      nexusUrl: sim.nexusUrl,
      ssoUrl: sim.ssoUrl,
      clientId: sim.clientId,
      apiKey: sim.apiKey,
      // The simulator's 30-minute session window runs on the scaled clock too (Nexus reference §1.5).
      sessionTtlMs: scaled(30 * MINUTE, timeScale),
      sessionRenewAheadMs: scaled(MINUTE, timeScale),
    })
    cleanup.unshift(() => client.close())
    const store = sqliteStore(dbPath)
    cleanup.unshift(() => store.close())

    const outputs = new Map<string, LifecycleOutput>()
    const counts: Record<string, number> = {}
    const deadlines = new Map<string, number>()
    let onOutcome: () => void = () => undefined
    const onEvent = (event: ReconnectorEvent) => {
      if (event.type === 'prompt') deadlines.set(event.memberGuid, event.prompt.deadline)
      if (event.type === 'outcome' && !outputs.has(event.memberGuid)) {
        outputs.set(event.memberGuid, event.output)
        counts[event.output.outcome] = (counts[event.output.outcome] ?? 0) + 1
        onOutcome()
      }
    }
    const reconnector = createReconnector({
      client,
      store,
      concurrency: options.concurrency,
      credentials: users.credentials,
      mfa: users.mfa,
      onEvent,
      policy: { timeScale, userResponseMs: USER_RESPONSE_MS },
      owner: 'mx-reconnect-demo',
      ...(options.inspect ? { inspect: options.inspect } : {}),
    })
    cleanup.unshift(() => reconnector.close())

    const sweepStart = Date.now()
    const report = await reconnector.sweep(
      { members: seeded.map(({ userId, memberGuid }) => ({ userId, memberGuid })) },
      { onProgress: (p) => hooks.onProgress?.('sweep', p, counts) },
    )
    const sweepMs = Date.now() - sweepStart

    // Members parked on a user who never answers end when their user deadline passes: the reconnector's
    // timer queue wakes them then (reconnector.md, Memory). Wait for it, bounded.
    const parked = report.members.filter((m) => m.outcome === 'awaitingUser').map((m) => m.memberGuid)
    const waitStart = Date.now()
    if (parked.length > 0) {
      const lastDeadline = Math.max(...parked.map((g) => deadlines.get(g) ?? waitStart))
      const waitMs = Math.max(0, lastDeadline - waitStart) + DEADLINE_GRACE_MS
      hooks.onDeadlineWait?.({ members: parked.length, waitMs: Math.max(0, lastDeadline - waitStart) })
      const settledCount = () => parked.filter((g) => outputs.has(g)).length
      const wait = waitUntil(() => settledCount() === parked.length, waitMs)
      onOutcome = () => {
        hooks.onProgress?.('deadline', { total: parked.length, settled: settledCount() }, counts)
        wait.poke()
      }
      hooks.onProgress?.('deadline', { total: parked.length, settled: settledCount() }, counts)
      await wait.promise
      onOutcome = () => undefined
    }
    const deadlineWaitMs = Date.now() - waitStart

    const calls = new Map<string, number>()
    for (const entry of sim.requests()) {
      if (entry.memberGuid !== undefined) calls.set(entry.memberGuid, (calls.get(entry.memberGuid) ?? 0) + 1)
    }
    const byGuid = new Map(report.members.map((m) => [m.memberGuid, m]))
    const members = seeded.map((member): DemoMemberResult => {
      const line = byGuid.get(member.memberGuid)
      const output = outputs.get(member.memberGuid)
      const outcome = output?.outcome ?? line?.outcome ?? 'awaitingUser'
      return {
        member,
        outcome,
        connectionStatus: output?.connectionStatus ?? line?.connectionStatus ?? null,
        sweepOutcome: line?.outcome ?? 'awaitingUser',
        calls: calls.get(member.memberGuid) ?? 0,
        ok: outcome === member.scenario.expected,
      }
    })
    const finalCounts: Record<string, number> = {}
    for (const m of members) finalCounts[m.outcome] = (finalCounts[m.outcome] ?? 0) + 1
    const traffic = client.stats()
    const result: DemoResult = {
      options,
      dbPath,
      members,
      counts: finalCounts,
      mismatches: members.filter((m) => !m.ok),
      parkedAfterSweep: parked.length,
      sweepMs,
      deadlineWaitMs,
      wallMs: Date.now() - started,
      httpRequests: traffic.requests,
      sessionsOpened: traffic.sessionsOpened,
      userDeadlineMs: scaled(USER_RESPONSE_MS, timeScale),
      challengeTtlMs: demoChallengeTtlMs(timeScale),
    }
    await hooks.beforeClose?.(result)
    return result
  } finally {
    for (const close of cleanup) await close().catch(() => undefined)
  }
}
