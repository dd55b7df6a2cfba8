import { statusId, type KnownStatus } from '../domain/index.js'
import type { Effect } from './protocol.js'
import { nextInt } from './random.js'
import { renderJob, renderMember } from './render.js'
import { statusMessage } from './scenarios.js'
import type { JobRec, MemberRec, SimState, WebhookKind } from './state.js'
import { isoDate, unixSeconds } from './time.js'

/** Builds webhook effects (Nexus reference §8.2). Pure: delivery is the server's job. */

// §4 notes: the connection-status webhook fires exactly for the user-actionable set.
const ACTIONABLE = new Set<KnownStatus>([
  'CHALLENGED',
  'DENIED',
  'EXPIRED',
  'IMPAIRED',
  'IMPEDED',
  'LOCKED',
  'PREVENTED',
  'REJECTED',
])

const wants = (state: SimState, kind: WebhookKind): boolean =>
  state.options.emitWebhooks && state.options.webhookKinds.includes(kind)

/** CONNECTION_STATUS, when the new status is one MX notifies about. */
export function connectionStatusWebhook(
  state: SimState,
  effects: Effect[],
  member: MemberRec,
  status: KnownStatus,
  at: number,
): void {
  if (!wants(state, 'CONNECTION_STATUS') || !ACTIONABLE.has(status)) return
  effects.push({
    type: 'webhook',
    kind: 'CONNECTION_STATUS',
    at,
    payload: {
      type: 'CONNECTION_STATUS',
      action: 'CHANGED',
      member_guid: member.guid,
      user_guid: member.userGuid,
      connection_status: status,
      connection_status_id: statusId(status) ?? null,
      connection_status_message: statusMessage(status, member.institution.name),
    },
  })
}

/** AGGREGATION `member_data_updated`, when a job finished with data. */
export function aggregationWebhook(
  state: SimState,
  effects: Effect[],
  member: MemberRec,
  job: JobRec,
  at: number,
): void {
  if (!wants(state, 'AGGREGATION')) return
  const user = state.users.get(member.userGuid)
  effects.push({
    type: 'webhook',
    kind: 'AGGREGATION',
    at,
    payload: {
      type: 'AGGREGATION',
      action: 'member_data_updated',
      member_guid: member.guid,
      user_guid: member.userGuid,
      user_id: user?.id ?? null,
      job_guid: job.guid,
      is_background: job.kind === 'session',
      completed_at: unixSeconds(at),
      completed_on: isoDate(at),
      transactions_created_count: nextInt(state.rng, 6),
      transactions_updated_count: nextInt(state.rng, 3),
    },
  })
}

/** Job-status webhook, on CHALLENGED and on every finish (§8.2). */
export function jobWebhook(
  state: SimState,
  effects: Effect[],
  member: MemberRec,
  job: JobRec,
  at: number,
): void {
  if (!wants(state, 'JOB')) return
  const user = state.users.get(member.userGuid)
  effects.push({
    type: 'webhook',
    kind: 'JOB',
    at,
    payload: { job: renderJob(state, job, true), member_id: member.externalGuid, user_id: user?.id ?? null },
  })
}

/** Member webhook on create/update/delete, unless `skip_webhook` / `MX-Skip-Webhook` (§3.4, §8.2). */
export function memberWebhook(
  state: SimState,
  effects: Effect[],
  member: MemberRec,
  at: number,
  action: string,
): void {
  if (!wants(state, 'MEMBER')) return
  effects.push({
    type: 'webhook',
    kind: 'MEMBER',
    at,
    payload: {
      member: {
        ...renderMember(state, member),
        action,
        created_at: unixSeconds(member.createdAt),
        updated_at: unixSeconds(member.updatedAt),
      },
    },
  })
}
