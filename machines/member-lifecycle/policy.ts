// The lifecycle's retry and time policy is data with a budget (architecture.md, house rule 6). Every
// duration here is in the machine's clock (epoch ms as reported by the actors, docs/decisions/0002).

/**
 * Attempt budgets (lifecycle.md, Policy).
 *
 * @example
 * ```ts
 * const attempts: AttemptBudgets = { credentials: 2, mfa: 3, service: 5 }
 * const actor = lifecycle.start({ userId, memberGuid, policy: { attempts } })
 * ```
 */
export interface AttemptBudgets {
  /** Credential updates sent before the outcome is `needsCredentials`. */
  readonly credentials: number
  /** MFA rounds (answers sent, fresh aggregations after REJECTED/EXPIRED) before `needsMfa`. */
  readonly mfa: number
  /** Consecutive retryable service failures before `failed`. */
  readonly service: number
}

/**
 * The resolved policy kept in context (durations already multiplied by `timeScale`).
 *
 * @example
 * ```ts
 * const policy: LifecyclePolicy = resolvePolicy({ timeScale: 0.01 })
 * policy.pollFloorMs // 30: 3 s scaled for a simulator 100× faster than real time
 * ```
 */
export interface LifecyclePolicy {
  /** Minimum gap between two member reads while waiting on a job, and before the first (§8.1: 3 s). */
  readonly pollFloorMs: number
  /** Longest gap between two polls. */
  readonly pollCapMs: number
  /** Growth of the poll and retry gaps. */
  readonly backoffFactor: number
  /** Relative jitter: a gap `d` becomes a value in `[d·(1−jitter), d·(1+jitter)]`, within floor and cap. */
  readonly jitter: number
  /** How long the user has to give credentials or MFA answers. */
  readonly userResponseMs: number
  /** How long a job may run after its trigger before the outcome is `retryLater` (§8.1 step 4). */
  readonly jobMs: number
  /** The `retryAfter` a `retryLater` outcome suggests when the server gave none. */
  readonly retryLaterMs: number
  readonly attempts: AttemptBudgets
  /** The factor every duration was multiplied by; also applied to server Retry-After values. */
  readonly timeScale: number
  /**
   * Set when the host receives MX webhooks (§8.2): the poll after a trigger becomes a fallback timer this
   * long (never shorter than the floor), and a webhook reads at once. Absent: poll from the floor.
   */
  readonly webhookFallbackMs?: number
}

/**
 * What a host may pass: every field optional, budgets separately.
 *
 * @example
 * ```ts
 * const policy: PolicyInput = { userResponseMs: 5 * 60_000, attempts: { credentials: 1 } }
 * const actor = lifecycle.start({ userId, memberGuid, policy })
 * ```
 */
export type PolicyInput = Partial<Omit<LifecyclePolicy, 'attempts'>> & {
  readonly attempts?: Partial<AttemptBudgets>
}

/**
 * Defaults from lifecycle.md (Policy) and the Nexus reference §8.1.
 *
 * @example
 * ```ts
 * DEFAULT_POLICY.userResponseMs // 900000: a user has 15 minutes to answer a prompt
 * ```
 */
export const DEFAULT_POLICY: LifecyclePolicy = {
  pollFloorMs: 3_000,
  pollCapMs: 30_000,
  backoffFactor: 2,
  jitter: 0.2,
  userResponseMs: 15 * 60_000,
  jobMs: 10 * 60_000,
  retryLaterMs: 60 * 60_000,
  attempts: { credentials: 3, mfa: 5, service: 5 },
  timeScale: 1,
}

const DURATIONS = ['pollFloorMs', 'pollCapMs', 'userResponseMs', 'jobMs', 'retryLaterMs'] as const

function pick(value: number | undefined, fallback: number, min: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min ? value : fallback
}

/**
 * Merges a host's policy over the defaults and applies `timeScale` to every duration. Values that are not
 * finite numbers in range fall back to the default (a bad policy must not make the machine throw).
 *
 * @example
 * ```ts
 * resolvePolicy({ timeScale: 0.01 }).pollFloorMs // 30
 * resolvePolicy({ attempts: { mfa: 2 } }).attempts // { credentials: 3, mfa: 2, service: 5 }
 * ```
 */
export function resolvePolicy(input: PolicyInput | undefined): LifecyclePolicy {
  const timeScale = pick(input?.timeScale, 1, Number.MIN_VALUE)
  const fallback = input?.webhookFallbackMs
  const webhookFallbackMs =
    typeof fallback === 'number' && Number.isFinite(fallback) && fallback > 0
      ? Math.round(fallback * timeScale)
      : undefined
  const scaled = Object.fromEntries(
    DURATIONS.map((key) => [key, Math.round(pick(input?.[key], DEFAULT_POLICY[key], 0) * timeScale)]),
  ) as Record<(typeof DURATIONS)[number], number>
  return {
    ...scaled,
    pollCapMs: Math.max(scaled.pollCapMs, scaled.pollFloorMs),
    backoffFactor: pick(input?.backoffFactor, DEFAULT_POLICY.backoffFactor, 1),
    jitter: Math.min(1, pick(input?.jitter, DEFAULT_POLICY.jitter, 0)),
    attempts: {
      credentials: Math.floor(pick(input?.attempts?.credentials, DEFAULT_POLICY.attempts.credentials, 1)),
      mfa: Math.floor(pick(input?.attempts?.mfa, DEFAULT_POLICY.attempts.mfa, 1)),
      service: Math.floor(pick(input?.attempts?.service, DEFAULT_POLICY.attempts.service, 0)),
    },
    timeScale,
    // Omitted when unset: the policy rides in every persisted snapshot, which is kept small.
    ...(webhookFallbackMs === undefined ? {} : { webhookFallbackMs }),
  }
}

/**
 * One step of a small seeded PRNG (mulberry32). Randomness is injected as a seed carried in context, so
 * the machine stays a pure function of its events (house rule 7) and a restored actor keeps its sequence.
 * Returns `[value in [0, 1), next seed]`.
 */
export function nextRandom(seed: number): readonly [number, number] {
  const next = (seed + 0x6d2b79f5) >>> 0
  let t = next
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return [((t ^ (t >>> 14)) >>> 0) / 4_294_967_296, next]
}

/** A default seed derived from a string (FNV-1a), so members started together do not poll in lockstep. */
export function seedFrom(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

function backoff(policy: LifecyclePolicy, step: number, random: number): number {
  const base = Math.min(policy.pollCapMs, policy.pollFloorMs * policy.backoffFactor ** Math.max(0, step - 1))
  const jittered = base * (1 + policy.jitter * (2 * random - 1))
  return Math.round(Math.min(policy.pollCapMs, Math.max(policy.pollFloorMs, jittered)))
}

/**
 * Gap before the next poll after the `polls`-th read since the trigger: floor·factor^(polls−1), jittered,
 * never below the floor (§8.1: at least 3 s) nor above the cap. With webhooks on, never below the
 * webhook fallback either: the webhook, not the poll, says when to read (§8.2).
 */
export function pollDelay(policy: LifecyclePolicy, polls: number, random: number): number {
  return Math.max(backoff(policy, polls, random), policy.webhookFallbackMs ?? 0)
}

/** Gap between a trigger and the first read of its job: the floor, or the webhook fallback when set. */
export function firstPollDelay(policy: LifecyclePolicy): number {
  return Math.max(policy.pollFloorMs, policy.webhookFallbackMs ?? 0)
}

/**
 * Gap before retrying a step after the `failures`-th consecutive retryable failure. A server Retry-After
 * (scaled like every other duration) is honoured; never below the poll floor, so a retried read while
 * waiting on a job still keeps invariant 3.
 */
export function retryDelay(
  policy: LifecyclePolicy,
  failures: number,
  retryAfterMs: number | undefined,
  random: number,
): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.max(policy.pollFloorMs, Math.round(retryAfterMs * policy.timeScale))
  }
  return backoff(policy, failures, random)
}
