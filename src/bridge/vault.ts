import { randomUUID } from 'node:crypto'
import type { SecretValue } from '../client/types.js'
import type { LifecycleClock } from './clock.js'

// Credential values and MFA answers never enter a machine event, context, snapshot or actor input
// (docs/decisions/0003-secrets-never-in-events.md). They wait here, in process memory only, under an opaque
// submission id that the machine carries instead. An entry is used by at most one request at a time,
// discarded once the server has it, and expires on its own.

interface Entry {
  readonly values: readonly SecretValue[]
  readonly owner: string
  readonly expiresAt: number
  inUse: boolean
}

/**
 * Holds submitted secrets between the host's submit and the request that sends them.
 *
 * @example
 * ```ts
 * const vault: SecretVault = createSecretVault({ clock: systemClock })
 * const id = vault.deposit([{ guid: 'CRD-1', value: 'secret' }], actor.sessionId)
 * vault.discard(id) // the value is gone from memory
 * ```
 */
export interface SecretVault {
  /** Stores values for `owner` (an actor's session id); returns the submission id. */
  deposit(values: readonly SecretValue[], owner: string): string
  /** Takes the values for one request; undefined when missing, expired or already in flight. */
  checkout(submissionId: string): readonly SecretValue[] | undefined
  /** Returns values after a retryable failure so the retry can send them again. */
  checkin(submissionId: string): void
  discard(submissionId: string): void
  /** Forgets everything an owner deposited (its lifecycle ended or was stopped). */
  discardOwner(owner: string): void
  /** Number of entries held (for tests and leak checks). */
  size(): number
}

/**
 * Options of {@link createSecretVault}.
 *
 * @example
 * ```ts
 * const options: SecretVaultOptions = { clock: systemClock, ttlMs: 5 * 60_000 }
 * const vault = createSecretVault(options)
 * ```
 */
export interface SecretVaultOptions {
  readonly clock: LifecycleClock
  /** How long an unsent submission is kept (default 15 minutes, the default user deadline). */
  readonly ttlMs?: number
  /** Id generator (default `crypto.randomUUID`). */
  readonly newId?: () => string
}

/**
 * An in-memory vault.
 *
 * @example
 * ```ts
 * const vault = createSecretVault({ clock: systemClock })
 * const lifecycle = createMemberLifecycle(client, { vault })
 * vault.size() // 0 once every lifecycle has sent or dropped what it was given
 * ```
 */
export function createSecretVault(options: SecretVaultOptions): SecretVault {
  const entries = new Map<string, Entry>()
  const ttlMs = options.ttlMs ?? 15 * 60_000
  const newId = options.newId ?? (() => `sub-${randomUUID()}`)

  const sweep = () => {
    const now = options.clock.now()
    for (const [id, entry] of entries) if (!entry.inUse && entry.expiresAt <= now) entries.delete(id)
  }

  return {
    deposit(values, owner) {
      sweep()
      const id = newId()
      // Copy: the host's array may be reused or mutated after submit.
      const copy = values.map((v) => ({ guid: v.guid, value: v.value }))
      entries.set(id, { values: copy, owner, expiresAt: options.clock.now() + ttlMs, inUse: false })
      return id
    },
    checkout(submissionId) {
      sweep()
      const entry = entries.get(submissionId)
      if (!entry || entry.inUse) return undefined
      entry.inUse = true
      return entry.values
    },
    checkin(submissionId) {
      const entry = entries.get(submissionId)
      if (entry) entry.inUse = false
    },
    discard(submissionId) {
      entries.delete(submissionId)
    },
    discardOwner(owner) {
      for (const [id, entry] of entries) if (entry.owner === owner) entries.delete(id)
    },
    size: () => entries.size,
  }
}
