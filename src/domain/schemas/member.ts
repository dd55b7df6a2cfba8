import { z } from 'zod'
import { toConnectionStatus } from '../connection-status.js'
import { guid, looseBoolean, looseInt, looseString, timestamp } from './primitives.js'

/** `connection_status`: a known name, the explicit unknown case, or null (a member without credentials). */
export const connectionStatus = z
  .string()
  .nullable()
  .optional()
  .transform((value) => (value === undefined || value === null ? null : toConnectionStatus(value)))

/** The member object (Nexus reference §3.1), tolerant of missing keys and sloppy values (§12). */
export const member = z.object({
  guid,
  user_guid: looseString,
  institution_guid: looseString,
  institution_code: looseString,
  external_guid: looseString,
  name: looseString,
  connection_status: connectionStatus,
  connection_status_id: looseInt,
  connection_status_message: looseString,
  is_being_aggregated: looseBoolean,
  aggregated_at: timestamp,
  successfully_aggregated_at: timestamp,
  most_recent_job_guid: looseString,
  background_aggregation_is_disabled: looseBoolean,
  is_oauth: looseBoolean,
  is_managed_by_user: looseBoolean,
  is_user_created: looseBoolean,
  is_manual: looseBoolean,
  needs_updated_credentials: looseBoolean,
  metadata: looseString,
  use_cases: z.array(z.string()).nullable().optional(),
  revision: looseInt,
  oauth_window_uri: looseString,
})

/** A decoded member. */
export type Member = z.infer<typeof member>

/** What a job-starting call may answer instead of a full member (§12): `{ job_guid, status }`. */
export const jobStart = z.object({
  job_guid: guid,
  status: looseString,
  guid: looseString,
})

/** A decoded job-start answer. */
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
