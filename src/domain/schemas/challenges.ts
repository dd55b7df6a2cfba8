import { z } from 'zod'
import { FIELD_TYPES, option } from './credentials.js'
import { guid, looseString } from './primitives.js'

/** The five MFA challenge types (Nexus reference §6). */
export const CHALLENGE_TYPES = ['TEXT', 'TOKEN', 'OPTIONS', 'IMAGE_DATA', 'IMAGE_OPTIONS'] as const

/**
 * A challenge type this version knows.
 *
 * @example
 * ```ts
 * const type: ChallengeType | { _tag: 'UnknownChallengeType'; raw: string } = challenge.type
 * if (type === 'OPTIONS') showOptions(challenge.options ?? [])
 * ```
 */
export type ChallengeType = (typeof CHALLENGE_TYPES)[number]

// Some MX APIs render `type` as a `field_type` integer (§6, e.g. 0 = TEXT); Nexus examples use strings.
const challengeType = z.union([z.string(), z.number().int()]).transform((raw) => {
  const name = typeof raw === 'number' ? FIELD_TYPES[raw] : raw
  return (CHALLENGE_TYPES as readonly string[]).includes(name ?? '')
    ? (name as ChallengeType)
    : ({ _tag: 'UnknownChallengeType', raw: String(raw) } as const)
})

/**
 * One MFA challenge as MX documents it (§3.7, §6). OPTIONS needs `options`, IMAGE_DATA needs `image_data`,
 * IMAGE_OPTIONS needs `image_options`; a type this version does not know is kept as
 * `{ _tag: 'UnknownChallengeType' }`. Lists decode each item with {@link anyChallenge}, which keeps what
 * this schema refuses.
 */
export const challenge = z
  .object({
    guid,
    type: challengeType,
    label: looseString,
    field_name: looseString,
    options: z.array(option).nullable().optional(),
    image_data: looseString,
    image_options: z.array(option).nullable().optional(),
  })
  .superRefine((value, ctx) => {
    const need =
      value.type === 'OPTIONS'
        ? 'options'
        : value.type === 'IMAGE_DATA'
          ? 'image_data'
          : value.type === 'IMAGE_OPTIONS'
            ? 'image_options'
            : undefined
    if (need !== undefined && (value[need] === null || value[need] === undefined)) {
      ctx.addIssue({ code: 'custom', path: [need], message: `this challenge type needs ${need}` })
    }
  })

/**
 * A decoded challenge; `issues` (zod messages, never values) when it is odd but kept (issue 10).
 *
 * @example
 * ```ts
 * const challenges: readonly Challenge[] = await client.listMemberChallenges({ userId, memberGuid })
 * for (const challenge of challenges) console.log(challenge.guid, challenge.label)
 * ```
 */
export type Challenge = z.infer<typeof challenge> & { readonly issues?: readonly string[] }

const text = (value: unknown): string | null =>
  typeof value === 'string'
    ? value === 'null'
      ? null
      : value
    : typeof value === 'number'
      ? String(value)
      : null

/** Options one by one: those that decode (numbers read as text) are kept, the rest dropped. */
function salvageOptions(value: unknown): z.infer<typeof option>[] | null {
  if (!Array.isArray(value)) return null
  return value.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return []
    const o = item as Record<string, unknown>
    const parsed = option.safeParse({
      label: text(o.label),
      value: text(o.value),
      guid: text(o.guid),
      data_uri: text(o.data_uri),
    })
    return parsed.success ? [parsed.data] : []
  })
}

function salvageType(raw: unknown): Challenge['type'] {
  const decoded = challengeType.safeParse(raw)
  if (decoded.success) return decoded.data
  return { _tag: 'UnknownChallengeType', raw: raw === undefined || raw === null ? 'missing' : typeof raw }
}

/**
 * What can be shown of a challenge {@link challenge} refuses (a missing `options`, a label that is a number,
 * a missing type): its guid, label and raw type, the options that decode, and the reasons as `issues`.
 */
const salvaged = z
  .object({ guid })
  .passthrough()
  .transform((raw): Challenge => {
    const r = raw as Record<string, unknown>
    const strict = challenge.safeParse(r)
    const issues = strict.success
      ? []
      : strict.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    const options = salvageOptions(r.options)
    const imageOptions = salvageOptions(r.image_options)
    const imageData = text(r.image_data)
    return {
      guid: raw.guid,
      type: salvageType(r.type),
      label: text(r.label),
      field_name: text(r.field_name),
      ...(options ? { options } : {}),
      image_data: imageData,
      ...(imageOptions ? { image_options: imageOptions } : {}),
      issues,
    }
  })

/**
 * Any challenge item of a list: the documented shape, or what can be shown of an odd one (kept visible,
 * with `issues`). Only an item without a guid cannot be kept: nobody could answer it.
 */
export const anyChallenge = z.union([challenge, salvaged])

/** Decodes each item on its own: one odd challenge never fails the list (issue 10 item 4). */
const challengeList = z
  .array(z.unknown())
  .nullable()
  .transform((items): Challenge[] =>
    (items ?? []).flatMap((item) => {
      const decoded = anyChallenge.safeParse(item)
      return decoded.success ? [decoded.data] : []
    }),
  )

/**
 * List challenges: `{"challenges": [...]}` (the example), or `{"member": [...]}` (MX's rendered schema,
 * §10.3); normalised to `{ challenges }`. Items decode one by one ({@link anyChallenge}); `null` is none.
 */
export const challengesBody = z.union([
  z.object({ challenges: challengeList }),
  z.object({ member: challengeList }).transform(({ member }) => ({ challenges: member })),
])
