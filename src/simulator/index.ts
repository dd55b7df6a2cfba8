import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createControl, type ControlTarget } from './control.js'
import { SimulatorCore, type SimulatorStats } from './core.js'
import type { FaultInfo, FaultSpec } from './faults.js'
import type { InstitutionInput } from './institutions.js'
import type { RequestLogEntry } from './request-log.js'
import { expireSessions, memberState, seedMember, type CreateMemberInput, type MemberState } from './seed.js'
import { createListener } from './server.js'
import type { Profile } from './profile.js'
import type { Variants } from './state.js'
import { ensureUser } from './users.js'
import type { WebhookBehaviour, WebhookDelivery } from './webhooks.js'

/**
 * `mx-reconnect/simulator`: a stateful stand-in for MX's SSO, MDX Real Time and Nexus APIs over real HTTP
 * on loopback (docs/simulator.md; design: simulator.md).
 */

/**
 * Options for {@link startSimulator}. Every one has a default.
 *
 * @example
 * ```ts
 * const options: SimulatorOptions = { seed: 7, profile: 'messy', timeScale: 0.01, control: true }
 * const sim = await startSimulator(options)
 * ```
 */
export interface SimulatorOptions {
  /** Seeds guids, tokens, the default API key, fault/webhook probabilities and the messy profile. Default 1. */
  readonly seed?: number
  /**
   * `clean` (default): one tidy, readable shape. `messy`: what real MX sends (mixed timestamp formats,
   * `"null"` strings, missing and extra keys, short job-start and empty resume replies; docs/simulator.md).
   */
  readonly profile?: Profile
  /** Real time per simulated time: 0.01 = one simulated second lasts 10 real ms; 0 freezes the clock. Default 1. */
  readonly timeScale?: number
  /** Simulated epoch ms at start. Default: the real current time. */
  readonly startTime?: number
  /** Port on `host`; default 0 (any free port). */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** Default `mx-sim-client`. */
  readonly clientId?: string
  /** Default: derived from the seed (`sim_…`). */
  readonly apiKey?: string
  /** Serve the `/_sim/` control routes. Default false (the CLI turns them on). */
  readonly control?: boolean
  /** POST webhooks (§8.2) here. Default: none. */
  readonly webhookUrl?: string
  /** Webhook kinds, misbehaviour (duplicate / reorder / drop) and retries (12, over about a simulated day). */
  readonly webhooks?: WebhookBehaviour
  /** Simulated ms per job phase (UPDATED → result, RESUMED → result). Default 4000. */
  readonly jobDurationMs?: number
  /** Simulated ms a DELAYED member waits before connecting. Default 12000. */
  readonly delayedMs?: number
  /** Simulated ms before an unanswered challenge is EXPIRED. Default 300000 (5 minutes). */
  readonly challengeTtlMs?: number
  /** Simulated ms an SSO api token lives. Default 600000 (10 minutes). */
  readonly apiTokenTtlMs?: number
  /** Simulated ms of the sliding session window. Default 1800000 (30 minutes). */
  readonly sessionTtlMs?: number
  /** Consecutive DENIED results that make PREVENTED. Default 3. */
  readonly maxDenials?: number
  /** Request log capacity (oldest dropped first). Default 100000. */
  readonly logLimit?: number
  /** Replies where the Nexus reference is open (§10); see docs/simulator.md. */
  readonly variants?: Partial<Variants>
  /** Extra institutions (added to mxbank, mx_bank_oauth, mxbank_pin). */
  readonly institutions?: readonly InstitutionInput[]
}

/**
 * A handle on an injected fault.
 *
 * @example
 * ```ts
 * const fault: FaultHandle = sim.faults.inject({ path: '/members/', status: 503, times: 2 })
 * // ... exercise the retry path ...
 * fault.remove()
 * ```
 */
export interface FaultHandle {
  readonly id: number
  /** Retires the rule. */
  remove(): void
}

/**
 * A running simulator.
 *
 * @example
 * ```ts
 * const sim: Simulator = await startSimulator({ timeScale: 0.01 })
 * sim.createUser({ id: 'u-1' })
 * const guid = sim.createMember({ userId: 'u-1', status: 'DENIED' })
 * sim.member(guid).status // 'DENIED'
 * await sim.close()
 * ```
 */
export interface Simulator {
  /** Nexus base URL (routes at its root: `/sessions`, `/members/…`). */
  readonly nexusUrl: string
  /** SSO base URL: api token at `${ssoUrl}/${clientId}/users/${userId}/api_token.json`. */
  readonly ssoUrl: string
  /** MDX Real Time base URL: create user at `${mdxUrl}/${clientId}/users(.json)`. */
  readonly mdxUrl: string
  /** `/_sim` base URL when control is on. */
  readonly controlUrl: string | undefined
  readonly port: number
  readonly clientId: string
  readonly apiKey: string
  /** Creates (or returns) the partner user `id`. */
  createUser(input?: { readonly id?: string; readonly email?: string }): { id: string; guid: string }
  /** Seeds a member in any §4 status; returns its guid. */
  createMember(input: CreateMemberInput): string
  /** The member's full model state now; throws for an unknown guid. */
  member(guid: string): MemberState
  /** True when the member exists. */
  hasMember(guid: string): boolean
  /** Every member (of `userId` when given). */
  members(userId?: string): MemberState[]
  /** The request log, oldest first; secrets are `[redacted]`. */
  requests(): RequestLogEntry[]
  clearRequests(): void
  readonly faults: {
    inject(spec: FaultSpec): FaultHandle
    list(): FaultInfo[]
    clear(): void
  }
  /** Every live session answers 4011 from now on; returns how many were live. */
  expireSessions(): number
  /** Current simulated time (epoch ms). */
  now(): number
  /**
   * Moves simulated time forward by `ms` (0 to ten years; RangeError otherwise): jobs, expiries, webhooks
   * and webhook retries catch up. Returns the new time.
   */
  advanceTime(ms: number): number
  stats(): SimulatorStats
  readonly webhooks: {
    deliveries(): WebhookDelivery[]
    /** Deliveries waiting for a retry at a later simulated time (§8.2: 12 retries over about a day). */
    waiting(): number
    /** Resolves once nothing is queued or in flight (retries due at a later simulated time do not count). */
    flush(): Promise<void>
  }
  close(): Promise<void>
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error)
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve(server.address() as AddressInfo)
    })
  })
}

/**
 * Starts the simulator on loopback.
 *
 * @example
 * ```ts
 * import { startSimulator } from 'mx-reconnect/simulator'
 * const sim = await startSimulator({ seed: 1, timeScale: 0.01 })
 * sim.createUser({ id: 'partner-user-1' })
 * const memberGuid = sim.createMember({ userId: 'partner-user-1', password: 'challenge', status: 'DENIED' })
 * // … point a client at sim.nexusUrl / sim.ssoUrl with sim.clientId and sim.apiKey …
 * sim.member(memberGuid).status // 'DENIED'
 * await sim.close()
 * ```
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1'
  // The server listens before the model exists (OAuth window URIs need the port), so the request
  // listener reaches the core and the control routes through these late-bound references.
  const late: { core?: SimulatorCore; control?: ReturnType<typeof createControl> } = {}
  const listener = createListener(
    () => late.core,
    options.control === true
      ? (req, res, path, query) => (late.control ?? (() => Promise.resolve()))(req, res, path, query)
      : null,
  )
  const server = createServer({ keepAlive: true }, listener)
  server.keepAliveTimeout = 10_000
  const address = await listen(server, options.port ?? 0, host)
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`
  const created = new SimulatorCore({
    ...options,
    timeScale: options.timeScale ?? 1,
    startTime: options.startTime ?? Date.now(),
    logLimit: options.logLimit ?? 100_000,
    baseUrl: origin,
  })
  late.core = created
  const { state } = created
  let userCount = 0

  const createUser = (
    input: { readonly id?: string; readonly email?: string } = {},
  ): { id: string; guid: string } => {
    let id = input.id
    if (id === undefined) {
      do {
        userCount += 1
        id = `user-${userCount}`
      } while (state.usersById.has(id))
    }
    const { user } = ensureUser(state, id, input.email ?? null, created.now())
    return { id: user.id, guid: user.guid }
  }
  const createMember = (input: CreateMemberInput): string => {
    const member = seedMember(state, input, created.now())
    created.afterChange([])
    return member.guid
  }
  const readMember = (guid: string): MemberState | undefined => {
    const effects: Parameters<typeof memberState>[3] = []
    const result = memberState(state, guid, created.now(), effects)
    created.afterChange(effects)
    return result
  }
  const members = (userId?: string): MemberState[] => {
    const guids =
      userId === undefined ? [...state.members.keys()] : [...(state.usersById.get(userId)?.memberGuids ?? [])]
    return guids.map(readMember).filter((m): m is MemberState => m !== undefined)
  }
  const info = (): Record<string, unknown> => ({
    nexusUrl: origin,
    ssoUrl: `${origin}/sso`,
    mdxUrl: `${origin}/mdx`,
    clientId: state.options.clientId,
    seed: state.options.seed,
    profile: state.options.profile,
    timeScale: created.clock.timeScale,
    now: created.now(),
  })
  const target: ControlTarget = {
    core: created,
    info,
    createUser,
    createMember,
    member: readMember,
    members,
    expireSessions: () => expireSessions(state),
  }
  late.control = createControl(target)

  let closing: Promise<void> | undefined
  return {
    nexusUrl: origin,
    ssoUrl: `${origin}/sso`,
    mdxUrl: `${origin}/mdx`,
    controlUrl: options.control === true ? `${origin}/_sim` : undefined,
    port: address.port,
    clientId: state.options.clientId,
    apiKey: state.options.apiKey,
    createUser,
    createMember,
    member(guid) {
      const found = readMember(guid)
      if (found === undefined) throw new Error(`simulator: no member ${guid}`)
      return found
    },
    hasMember: (guid) => state.members.has(guid),
    members,
    requests: () => created.log.toArray(),
    clearRequests: () => created.log.clear(),
    faults: {
      inject(spec) {
        const rule = created.faults.add(spec)
        return { id: rule.id, remove: () => void created.faults.remove(rule.id) }
      },
      list: () => created.faults.list(),
      clear: () => created.faults.clear(),
    },
    expireSessions: () => expireSessions(state),
    now: () => created.now(),
    advanceTime: (ms) => created.advanceTime(ms),
    stats: () => created.stats(),
    webhooks: {
      deliveries: () => created.webhooks?.deliveries() ?? [],
      waiting: () => created.webhooks?.waiting() ?? 0,
      flush: () => created.webhooks?.flush() ?? Promise.resolve(),
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        created.close()
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}

export type { SimulatorStats } from './core.js'
export type { FaultInfo, FaultKind, FaultSpec } from './faults.js'
export type { InstitutionInput } from './institutions.js'
export type { RequestLogEntry } from './request-log.js'
export type { CreateMemberInput, MemberState } from './seed.js'
export type { Variants, WebhookKind, SimState, StateOptions } from './state.js'
export type { Profile } from './profile.js'
export type { WebhookBehaviour, WebhookDelivery } from './webhooks.js'
export type { SimRequest, SimResponse, StepResult, Effect, WebhookEffect, SimApi } from './protocol.js'
export { step, tick, createState } from './model.js'
export { checkInvariants } from './invariants.js'
export { SeedError } from './seed.js'
export { PASSWORD_SCENARIOS, CORRECT_ANSWER, SCENARIO_USERNAME } from './scenarios.js'
export { DEFAULT_INSTITUTIONS } from './institutions.js'
