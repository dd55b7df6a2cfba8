import { z } from 'zod'
import { guid, looseBoolean, looseString } from './primitives.js'

/** `POST /sessions` answer (Nexus reference §1.4): `{"session": {"token": "..."}}`. */
export const sessionBody = z.object({ session: z.object({ token: z.string().min(1) }) })

/** SSO `api_token.json` answer (§1.3): `{"api_token": {"token": "..."}}`. */
export const apiTokenBody = z.object({ api_token: z.object({ token: z.string().min(1) }) })

/** MDX Real Time create-user answer (§1.2). */
export const userBody = z.object({
  user: z.object({ id: z.string().min(1), guid, is_disabled: looseBoolean, email: looseString }),
})

/**
 * An MX error body. The envelope is unsettled (§7.1, §10.8): clients must not depend on it, so this is
 * read only for diagnostics and every field is optional.
 */
export const errorBody = z.object({
  error: z.object({
    code: z.union([z.number().int(), z.string()]).optional(),
    message: z.string().optional(),
    member_guid: z.string().optional(),
    guid: z.string().optional(),
  }),
})
