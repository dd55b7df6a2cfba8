import { z } from 'zod'
import { guid, looseBoolean, looseInt, looseString, timestamp } from './primitives.js'

/** `field_type` ids from MX's widget (Nexus reference §3.5), in id order. */
export const FIELD_TYPES = [
  'TEXT',
  'PASSWORD',
  'OPTIONS',
  'LOGIN',
  'CHECKBOX',
  'RADIO',
  'URL',
  'HIDDEN',
  'IMAGE_URL',
  'CONTENT_URL',
  'CUSTOM',
  'CLUDGE',
  'TOKEN',
  'IMAGE_DATA',
  'IMAGE_OPTIONS',
  'USERKEY',
  'OAUTH2_URL',
  'OAUTH_ACCESS_TOKEN',
  'OAUTH_REFRESH_TOKEN',
] as const

/** An option of an OPTIONS / IMAGE_OPTIONS field or challenge (`guid` only in newer APIs, §6). */
export const option = z.object({
  label: looseString,
  value: looseString,
  guid: looseString,
  data_uri: looseString,
})

/**
 * A decoded option.
 *
 * @example
 * ```ts
 * const options: readonly Option[] = field.options ?? []
 * const labels = options.map((option) => option.label ?? option.value)
 * ```
 */
export type Option = z.infer<typeof option>

/** A credential field the user must fill in before an update (§3.5). */
export const credentialField = z.object({
  guid,
  label: looseString,
  field_name: looseString,
  field_type: z.union([z.number().int(), z.string()]).nullable().optional(),
  field_type_name: looseString,
  display_order: looseInt,
  optional: looseBoolean,
  mfa: looseBoolean,
  editable: looseBoolean,
  institution_guid: looseString,
  max_length: looseInt,
  value_mask: looseString,
  options: z.array(option).nullable().optional(),
  created_at: timestamp,
  updated_at: timestamp,
})

/**
 * A decoded credential field.
 *
 * @example
 * ```ts
 * const fields: readonly CredentialField[] = await client.listMemberCredentials({ userId, memberGuid })
 * const required = fields.filter((field) => field.optional !== true).map((field) => field.label)
 * ```
 */
export type CredentialField = z.infer<typeof credentialField>

/** `GET /members/{guid}/credentials` and `/institutions/{guid}/credentials`: `{"credentials": [...]}`. */
export const credentialsBody = z.object({ credentials: z.array(credentialField) })
