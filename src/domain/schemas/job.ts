import { z } from 'zod'
import { guid, looseBoolean, looseInt, looseString, timestamp } from './primitives.js'

/** A job (Nexus reference §5). Status ids beyond 0, 1, 2, 6 are unsettled (§10.9): prefer `status_name`. */
export const job = z.object({
  guid,
  member_guid: looseString,
  user_guid: looseString,
  institution_guid: looseString,
  status: looseInt,
  status_name: looseString,
  is_authenticated: looseBoolean,
  error_message: looseString,
  error_message_code: z.union([z.number(), z.string()]).nullable().optional(),
  created_at: timestamp,
  started_at: timestamp,
  finished_at: timestamp,
  updated_at: timestamp,
})

/**
 * A decoded job.
 *
 * @example
 * ```ts
 * const job: Job = await client.readJob({ userId, jobGuid })
 * if (job.status_name === 'FAILED') console.log(job.error_message)
 * ```
 */
export type Job = z.infer<typeof job>

/** `GET /jobs/{guid}`: `{"job": {...}}`. */
export const jobBody = z.object({ job })
