import { z } from 'zod'
import { FIELD_TYPES, option } from './credentials.js'
import { guid, looseString } from './primitives.js'

/** The five MFA challenge types (Nexus reference §6). */
export const CHALLENGE_TYPES = ['TEXT', 'TOKEN', 'OPTIONS', 'IMAGE_DATA', 'IMAGE_OPTIONS'] as const

/** A challenge type this version knows. */
export type ChallengeType = (typeof CHALLENGE_TYPES)[number]

// Some MX APIs render `type` as a `field_type` integer (§6, e.g. 0 = TEXT); Nexus examples use strings.
const challengeType = z.union([z.string(), z.number().int()]).transform((raw) => {
  const name = typeof raw === 'number' ? FIELD_TYPES[raw] : raw
  return (CHALLENGE_TYPES as readonly string[]).includes(name ?? '')
    ? (name as ChallengeType)
    : ({ _tag: 'UnknownChallengeType', raw: String(raw) } as const)
})

/**
 * One MFA challenge (§3.7, §6). OPTIONS needs `options`, IMAGE_DATA needs `image_data`, IMAGE_OPTIONS
 * needs `image_options`; a type this version does not know is kept as `{ _tag: 'UnknownChallengeType' }`.
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

/** A decoded challenge. */
export type Challenge = z.infer<typeof challenge>

/**
 * List challenges: `{"challenges": [...]}` (the example), or `{"member": [...]}` (MX's rendered schema,
 * §10.3); normalised to `{ challenges }`.
 */
export const challengesBody = z.union([
  z.object({ challenges: z.array(challenge) }),
  z.object({ member: z.array(challenge) }).transform(({ member }) => ({ challenges: member })),
])
