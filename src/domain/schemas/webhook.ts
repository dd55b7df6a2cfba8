import { z } from 'zod'
import { connectionStatus, member } from './member.js'
import { job } from './job.js'
import { guid, looseBoolean, looseInt, looseString, timestamp } from './primitives.js'

/** CONNECTION_STATUS webhook (Nexus reference §8.2). */
export const connectionStatusWebhook = z.object({
  type: z.literal('CONNECTION_STATUS'),
  action: looseString,
  member_guid: guid,
  user_guid: looseString,
  connection_status: connectionStatus,
  connection_status_id: looseInt,
  connection_status_message: looseString,
})

/** AGGREGATION webhook (§8.2). */
export const aggregationWebhook = z.object({
  type: z.literal('AGGREGATION'),
  action: looseString,
  member_guid: guid,
  user_guid: looseString,
  user_id: looseString,
  job_guid: looseString,
  is_background: looseBoolean,
  completed_at: timestamp,
  completed_on: looseString,
  transactions_created_count: looseInt,
  transactions_updated_count: looseInt,
})

/** Job-status webhook (§8.2): a job under `"job"` with Unix timestamps, plus `member_id` / `user_id`. */
export const jobWebhook = z.object({
  job: job.extend({ member_guid: guid }),
  member_id: looseString,
  user_id: looseString,
})

/** Member webhook (§8.2): member fields on create/update/delete, rooted or not. */
export const memberWebhook = z.union([z.object({ member }), member.transform((m) => ({ member: m }))])

/**
 * Any MX webhook body the lifecycle reacts to, tagged with `kind` and the `memberGuid` it concerns.
 * Unknown fields are ignored and nulls tolerated (§8.2: "tolerate nulls, new fields and any field order").
 */
export const webhookBody = z.union([
  connectionStatusWebhook.transform((w) => ({
    kind: 'connectionStatus' as const,
    memberGuid: w.member_guid,
    payload: w,
  })),
  aggregationWebhook.transform((w) => ({
    kind: 'aggregation' as const,
    memberGuid: w.member_guid,
    payload: w,
  })),
  jobWebhook.transform((w) => ({ kind: 'job' as const, memberGuid: w.job.member_guid, payload: w })),
  memberWebhook.transform((w) => ({ kind: 'member' as const, memberGuid: w.member.guid, payload: w })),
])

/**
 * A decoded webhook.
 *
 * @example
 * ```ts
 * const webhook: Webhook = schemas.webhook.parse(JSON.parse(body))
 * if (webhook.kind === 'connectionStatus') console.log(webhook.memberGuid, webhook.payload.connection_status)
 * ```
 */
export type Webhook = z.infer<typeof webhookBody>
