import { z } from 'zod'
import { toConnectionStatus } from '../connection-status.js'
import type { ConnectionStatus } from '../connection-status.js'
import { guid, looseBoolean, looseInt, looseString } from './primitives.js'

/**
 * `connection_status`: a known name, the explicit unknown case, or null (a member without credentials;
 * MX also spells it `"null"`, §12).
 */
export const connectionStatus = z
  .string()
  .nullable()
  .optional()
  .transform((value) =>
    value === undefined || value === null || value === 'null' ? null : toConnectionStatus(value),
  )

// The member is the hot path (every poll reads one). Zod checks plain field schemas in one compiled
// pass, but runs a transform per field separately (about 4x slower for a full member), so the sloppy
// values of §12 are normalised once, after validation, with the same results as `looseString` /
// `timestamp` / `connectionStatus` field by field.
const text = z.string().nullable().optional()
const time = z.union([z.string(), z.number().int()]).nullable().optional()

/** Fields that may carry the literal string "null" (§12), decoded as null. */
const NULL_TEXT_FIELDS = [
  'user_guid',
  'institution_guid',
  'institution_code',
  'external_guid',
  'name',
  'connection_status_message',
  'aggregated_at',
  'successfully_aggregated_at',
  'most_recent_job_guid',
  'metadata',
  'oauth_window_uri',
  'job_guid',
] as const

const memberFields = z.object({
  guid,
  user_guid: text,
  institution_guid: text,
  institution_code: text,
  external_guid: text,
  name: text,
  connection_status: text,
  connection_status_id: looseInt,
  connection_status_message: text,
  is_being_aggregated: looseBoolean,
  aggregated_at: time,
  successfully_aggregated_at: time,
  most_recent_job_guid: text,
  background_aggregation_is_disabled: looseBoolean,
  is_oauth: looseBoolean,
  is_managed_by_user: looseBoolean,
  is_user_created: looseBoolean,
  is_manual: looseBoolean,
  needs_updated_credentials: looseBoolean,
  metadata: text,
  use_cases: z.array(z.string()).nullable().optional(),
  revision: looseInt,
  oauth_window_uri: text,
  // A job-starting call may answer a member that also names the job it started (§12).
  job_guid: text,
})

type MemberFields = z.output<typeof memberFields>
type NullTextField = (typeof NULL_TEXT_FIELDS)[number]

/** The decoded member's shape (the same type the per-field transforms produced). */
type DecodedMember = Omit<MemberFields, 'connection_status' | NullTextField> & {
  [K in NullTextField]-?: MemberFields[K] | undefined
} & { connection_status: ConnectionStatus | null }

/** The member object (Nexus reference §3.1), tolerant of missing keys and sloppy values (§12). */
export const member = memberFields.transform((raw): DecodedMember => {
  const out: Record<string, unknown> = { ...raw }
  // `"null"` is MX's sloppy spelling of no status (§12): a member without credentials, not a new status.
  out.connection_status =
    raw.connection_status === undefined || raw.connection_status === null || raw.connection_status === 'null'
      ? null
      : toConnectionStatus(raw.connection_status)
  for (const key of NULL_TEXT_FIELDS) if (out[key] === 'null') out[key] = null
  return out as DecodedMember
})

/**
 * A decoded member.
 *
 * @example
 * ```ts
 * const member: Member = await client.readMember({ userId, memberGuid })
 * if (member.is_being_aggregated) console.log('MX is still aggregating', member.most_recent_job_guid)
 * ```
 */
export type Member = z.infer<typeof member>

/** What a job-starting call may answer instead of a full member (§12): `{ job_guid, status }`. */
export const jobStart = z.object({
  job_guid: guid,
  status: looseString,
  guid: looseString,
})

/**
 * A decoded job-start answer.
 *
 * @example
 * ```ts
 * const started: Member | JobStart = await client.aggregateMember({ userId, memberGuid })
 * if ('job_guid' in started && started.job_guid) console.log('job', started.job_guid)
 * ```
 */
export type JobStart = z.infer<typeof jobStart>

/**
 * A member body as MX sends it: rooted `{"member": {...}}`, or the older non-rooted member (§3.4),
 * normalised to `{ member }`.
 */
export const memberBody = z.union([z.object({ member }), member.transform((m) => ({ member: m }))])

/** Aggregate / refresh answers: a full member, or only `{ job_guid, status }` (§3.6, §12). */
export const aggregateBody = z.object({ member: z.union([member, jobStart]) })

/** Pagination object (§7.3); not confirmed for `GET /members`, accepted when present. */
export const pagination = z.object({
  current_page: looseInt,
  per_page: looseInt,
  total_entries: looseInt,
  total_pages: looseInt,
})

/**
 * List members: `{"members": [...]}` (what real clients read, §12), the doc example's single
 * `{"member": {...}}` (§10.2), or a bare array; normalised to `{ members }`.
 */
export const membersBody = z.union([
  z.object({ members: z.array(member), pagination: pagination.optional() }),
  z.object({ member }).transform(({ member: m }) => ({ members: [m] })),
  z.array(member).transform((members) => ({ members })),
])

/** OAuth window URI answer (§3.8): the member carrying a fresh `oauth_window_uri`. */
export const oauthWindowBody = z.object({
  member: z.object({ guid: looseString, oauth_window_uri: z.string().min(1) }),
})
