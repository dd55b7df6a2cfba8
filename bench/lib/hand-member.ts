import { z } from 'zod'

// The "by hand" side of figure 1 (issue 15): what a user who validates MX's replies writes with zod: the
// member object's fields (Nexus reference §3.1) as plain nullable/optional types, no transforms. Kept
// apart from the library's schema (src/domain/schemas/member.ts) so the baseline does not move when the
// library's decoder changes.

const text = z.string().nullable().optional()
const flag = z.boolean().nullable().optional()
const int = z.number().int().nullable().optional()
const time = z.union([z.string(), z.number().int()]).nullable().optional()

/** `{ member: {...} }` as `GET /members/{guid}` answers it. */
export const handMemberBody = z.object({
  member: z.object({
    guid: z.string().min(1),
    user_guid: text,
    institution_guid: text,
    institution_code: text,
    external_guid: text,
    name: text,
    connection_status: text,
    connection_status_id: int,
    connection_status_message: text,
    is_being_aggregated: flag,
    aggregated_at: time,
    successfully_aggregated_at: time,
    most_recent_job_guid: text,
    background_aggregation_is_disabled: flag,
    is_oauth: flag,
    is_managed_by_user: flag,
    is_user_created: flag,
    is_manual: flag,
    needs_updated_credentials: flag,
    metadata: text,
    use_cases: z.array(z.string()).nullable().optional(),
    revision: int,
    oauth_window_uri: text,
    job_guid: text,
  }),
})
