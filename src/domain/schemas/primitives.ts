import { z } from 'zod'

// Real traffic is sloppy (Nexus reference §12): timestamps may be the literal string "null", keys may be
// missing, webhooks use Unix integers where reads use ISO-8601. These primitives absorb that once.

/** A string that may be null, missing, or the literal `"null"` (decoded as null). */
export const looseString = z
  .string()
  .nullable()
  .optional()
  .transform((value) => (value === 'null' ? null : value))

/** A timestamp: ISO-8601 string, Unix seconds, null, missing, or `"null"`. Strings are kept verbatim. */
export const timestamp = z
  .union([z.string(), z.number().int()])
  .nullable()
  .optional()
  .transform((value) => (value === 'null' ? null : value))

/** A boolean that may be null or missing. */
export const looseBoolean = z.boolean().nullable().optional()

/** An integer that may be null or missing. */
export const looseInt = z.number().int().nullable().optional()

/** A non-empty MX guid (`MBR-…`, `USR-…`, `CRD-…`, `JOB-…`). */
export const guid = z.string().min(1, 'guid must be a non-empty string')
