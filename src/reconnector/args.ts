import { z } from 'zod'
import { ReconnectorError } from './errors.js'

// Argument checks for every public reconnector entry point, before any I/O (issue 11 item 9). Messages
// name the field and the rule, never the value (it may be a secret).

/** Control characters and lone surrogates: never in an id. */
const BAD_TEXT = /[\p{Cc}\p{Cs}]/u

/** A partner user id: 1–256 characters, no control characters. */
export const userIdSchema = z
  .string()
  .min(1)
  .max(256)
  .refine((s) => !BAD_TEXT.test(s), 'must not contain control characters')

/**
 * An MX member guid: 1–256 characters that are safe in a URL path segment (no `/ \ ? # %`, spaces or
 * control characters), and not `.` or `..`.
 */
export const memberGuidSchema = z
  .string()
  .min(1)
  .max(256)
  .refine(
    (s) => !/[\s/\\?#%]/u.test(s) && !BAD_TEXT.test(s),
    'must be a guid (no / \\ ? # %, spaces or control characters)',
  )
  .refine((s) => s !== '.' && s !== '..', 'must not be . or ..')

/** A member under its user: what `view`, `cancel` and the submits take first (the user check). */
export const memberRefSchema = z.object({ userId: userIdSchema, memberGuid: memberGuidSchema })
const memberRef = memberRefSchema

/** `start`'s argument. The policy is checked by the lifecycle itself. */
export const startSchema = memberRef.extend({ policy: z.record(z.string(), z.unknown()).optional() })

/** Credentials or MFA answers: `{ guid, value }` strings. */
export const secretsSchema = z.array(z.object({ guid: z.string().min(1).max(256), value: z.string() }))

/** A sweep's target. */
export const sweepTargetSchema = z.union([
  z.object({ userIds: z.array(userIdSchema) }),
  z.object({ members: z.array(memberRef) }),
])

/** Options of `sweep` and `resumeAll`. */
export const progressOptionsSchema = z
  .object({ onProgress: z.custom<(p: unknown) => void>((v) => typeof v === 'function').optional() })
  .optional()

/** The checked options of `createReconnector` (the rest is typed by the caller or checked where used). */
export const reconnectorOptionsSchema = z.object({
  client: z.custom<object>((v) => typeof v === 'object' && v !== null, 'must be a client or a config'),
  owner: userIdSchema.optional(),
  leaseMs: z.number().int().min(10).max(86_400_000).optional(),
  evictAfterMs: z.number().int().min(0).optional(),
  concurrency: z.number().int().min(1).max(100_000).optional(),
})

/** Parses `value` or throws `ReconnectorError` (`invalid`, or `reason`) naming the fields that failed. */
export function parseArg<T>(
  schema: z.ZodType<T>,
  value: unknown,
  what: string,
  reason: 'invalid' | 'invalidWebhook' = 'invalid',
  memberGuid = '',
): T {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${[what, ...i.path.map(String)].join('.')}: ${i.message}`)
    .join('; ')
  throw new ReconnectorError({ reason, memberGuid, message: `invalid ${what}: ${issues}` })
}

/** The guid to name in an error: the given one when it is a short plain string, else empty. */
export function guidForError(value: unknown): string {
  return memberGuidSchema.safeParse(value).success ? (value as string) : ''
}
