import { Effect } from 'effect'
import { z } from 'zod'
import { ArgumentError } from '../domain/index.js'
import type { NexusError } from '../domain/index.js'

/**
 * The arguments of the Nexus calls, checked before any I/O (house rule 5: parse, don't trust). A user id
 * must be a non-empty string (never `undefined`, which would ask SSO for the user "undefined"); a guid
 * must be one path segment that cannot move the path (`.`, `..`, `/`, `?`, `#`, `%`, `\`, spaces and
 * control characters are refused, and guids are still percent-encoded on the wire). Errors name the call
 * and the field, never a value: a credential value or an MFA answer is a secret (house rule 8).
 */

/**
 * Longest user id or guid accepted (MX guids are ~40 characters; this only stops absurd input). The same
 * limits as the reconnector's checks (src/reconnector/args.ts).
 */
const MAX_ID = 256
/** Most credential fields or MFA answers in one call (MX sends a handful). */
const MAX_PAIRS = 100

/** Control characters and lone surrogates: never in an id. */
const BAD_TEXT = /[\p{Cc}\p{Cs}]/u

const userId = z
  .string({ error: (i) => `must be a non-empty string (got ${kindOf(i.input)})` })
  .min(1, 'must be a non-empty string')
  .max(MAX_ID, `must be at most ${MAX_ID} characters`)
  .refine((s) => !BAD_TEXT.test(s), 'must not contain control characters')

// One path segment: nothing that a URL parser or a proxy reads as structure.
const UNSAFE = /[/?#%\\\s\p{Cc}\p{Cs}]/u
const guid = z
  .string({ error: (i) => `must be a non-empty string (got ${kindOf(i.input)})` })
  .min(1, 'must be a non-empty string')
  .max(MAX_ID, `must be at most ${MAX_ID} characters`)
  .refine((s) => s !== '.' && s !== '..', 'must not be "." or ".."')
  .refine((s) => !UNSAFE.test(s), 'must not contain "/", "?", "#", "%", "\\", spaces or control characters')

const pairs = z
  .array(
    z.object(
      {
        guid,
        value: z.string({ error: (i) => `must be a string (got ${kindOf(i.input)})` }),
      },
      { error: (i) => `must be { guid, value } (got ${kindOf(i.input)})` },
    ),
    { error: (i) => `must be an array of { guid, value } (got ${kindOf(i.input)})` },
  )
  .max(MAX_PAIRS, `must hold at most ${MAX_PAIRS} items`)

const signal = z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'must be an AbortSignal').optional()

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function')

const user = { userId, signal }
const memberArgs = z.object({ ...user, memberGuid: guid })

/** The schema of each call's argument object. Extra keys are allowed and ignored. */
const SCHEMAS = {
  readMember: memberArgs,
  listMembers: z.object(user),
  listMemberCredentials: memberArgs,
  updateMember: z.object({
    ...user,
    memberGuid: guid,
    credentials: pairs,
    skipWebhook: z.boolean({ error: 'must be a boolean' }).optional(),
  }),
  listMemberChallenges: memberArgs,
  resumeAggregation: z.object({ ...user, memberGuid: guid, answers: pairs }),
  aggregateMember: memberArgs,
  readJob: z.object({ ...user, jobGuid: guid }),
  oauthWindowUri: memberArgs,
  // `reconnectMember(options)` (src/reconnect-member.ts): the member, the client and the providers.
  reconnectMember: z.object({
    userId,
    memberGuid: guid,
    signal,
    client: z.custom<object>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as Record<string, unknown>).readMember === 'function',
      'must be a Nexus client (createNexusClient)',
    ),
    credentials: fn.optional(),
    mfa: fn.optional(),
    // What XState's `inspect` takes: a function or an observer object (`@statelyai/inspect`'s `.inspect`).
    inspect: z
      .custom<object>(
        (v) => typeof v === 'function' || (typeof v === 'object' && v !== null && !Array.isArray(v)),
        'must be a function or an observer object',
      )
      .optional(),
    policy: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(),
  }),
} as const

/** A Nexus call whose arguments are checked. */
export type CheckedCall = keyof typeof SCHEMAS

/** `null`, `undefined`, `array`, `number`…: what a bad value was, without the value itself. */
function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

/** `credentials.0.value` → `credentials[0].value`. */
const fieldOf = (path: readonly PropertyKey[]): string =>
  path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('')

/**
 * The {@link ArgumentError} for `args` of `call`, or undefined when they are fine. Never throws.
 *
 * @example
 * ```ts
 * checkArguments('readMember', { userId: 'u1', memberGuid: '..' })?.field // 'memberGuid'
 * ```
 */
export function checkArguments(call: CheckedCall, args: unknown): ArgumentError | undefined {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    return new ArgumentError({
      method: call,
      field: 'arguments',
      message: `${call}: arguments must be an object (got ${kindOf(args)})`,
    })
  }
  const result = SCHEMAS[call].safeParse(args)
  if (result.success) return undefined
  const issue = result.error.issues[0]
  const field = issue === undefined || issue.path.length === 0 ? 'arguments' : fieldOf(issue.path)
  return new ArgumentError({
    method: call,
    field,
    message: `${call}: ${field} ${issue?.message ?? 'is invalid'}`,
  })
}

/**
 * The {@link ArgumentError} for a user id given to `call` (the `Sessions` service's entries), or undefined.
 *
 * @example
 * ```ts
 * checkUserId('token', undefined)?.message // 'token: userId must be a non-empty string (got undefined)'
 * ```
 */
export function checkUserId(call: string, value: unknown): ArgumentError | undefined {
  const result = userId.safeParse(value)
  if (result.success) return undefined
  const message = result.error.issues[0]?.message ?? 'is invalid'
  return new ArgumentError({ method: call, field: 'userId', message: `${call}: userId ${message}` })
}

/**
 * `f`, refusing arguments that fail {@link checkArguments} with their ArgumentError (for the Effect API).
 *
 * @example
 * ```ts
 * const readMember = checked('readMember', ({ userId, memberGuid }: MemberArgs) => get(userId, memberGuid))
 * ```
 */
export const checked =
  <A, R>(name: CheckedCall, f: (args: A) => Effect.Effect<R, NexusError>) =>
  (args: A): Effect.Effect<R, NexusError> => {
    const bad = checkArguments(name, args)
    return bad === undefined ? f(args) : Effect.fail(bad)
  }
