import { choose, isMessy } from './profile.js'
import type { SimState } from './state.js'

/**
 * The key sets (and key orders) of real member replies, for the messy profile. Each messy member is
 * rendered in one shape, chosen from its guid and the seed, on every reply: like one MX server rendering
 * one member. The shapes are copied from the real examples in `test/fixtures/mx` (their README gives the
 * sources); `test/simulator/fixture-keys.test.ts` compares them with the examples key by key.
 */

/** MX's 2021 guide, create and update replies (`mxguide2021__member_create__2`, `…_update__2`): no `is_oauth`. */
export const GUIDE_WRITE_KEYS = [
  'aggregated_at',
  'connection_status',
  'connection_status_id',
  'connection_status_message',
  'external_guid',
  'guid',
  'institution_guid',
  'is_being_aggregated',
  'is_managed_by_user',
  'is_manual',
  'is_user_created',
  'metadata',
  'most_recent_job_guid',
  'name',
  'needs_updated_credentials',
  'revision',
  'successfully_aggregated_at',
  'user_guid',
] as const

/** MX's 2021 guide, member read (`mxguide2021__member_read__1`): the write keys plus `is_oauth`. */
export const GUIDE_READ_KEYS = [
  ...GUIDE_WRITE_KEYS.slice(0, 10),
  'is_oauth',
  ...GUIDE_WRITE_KEYS.slice(10),
] as const

/** A 2021 capture from MX's integration environment (`backbase__member_read__1`, `…_member_list__1`). */
export const CAPTURE_KEYS = [
  'aggregated_at',
  'connection_status_message',
  'external_guid',
  'guid',
  'institution_code',
  'institution_guid',
  'is_being_aggregated',
  'is_manual',
  'is_managed_by_user',
  'is_oauth',
  'metadata',
  'most_recent_job_guid',
  'name',
  'needs_updated_credentials',
  'revision',
  'successfully_aggregated_at',
  'user_guid',
  'is_user_created',
  'connection_status_id',
  'connection_status',
] as const

/**
 * Keys no real example shows but the messy `documented` shape sends: `background_aggregation_is_disabled`
 * and `use_cases` are §3.1 member fields; `error` is the member-embedded error object real clients model
 * (fixtures README, "Error envelope"), null here. §8.2: tolerate new fields.
 */
export const DOCUMENTED_EXTRA = { error: null } as const

/** Member shapes in the messy profile. `documented` is every §3.1 field plus {@link DOCUMENTED_EXTRA}. */
export type MemberShape = 'guide' | 'capture' | 'documented'

const SHAPES: readonly MemberShape[] = ['guide', 'capture', 'documented']

/** Whether the member is rendered as the answer to a write (create, update, job start, resume) or a read. */
export type RenderFor = 'read' | 'write'

/** The shape a messy member is rendered in (stable for its guid and the seed). */
export function memberShape(state: SimState, guid: string): MemberShape {
  return SHAPES[choose(state, `${guid}|shape`, SHAPES.length)] ?? 'documented'
}

/** Re-keys a fully rendered member into its messy shape (clean: unchanged). */
export function shapeMember(
  state: SimState,
  full: Readonly<Record<string, unknown>>,
  guid: string,
  renderFor: RenderFor,
): Record<string, unknown> {
  if (!isMessy(state)) return { ...full }
  const shape = memberShape(state, guid)
  if (shape === 'documented') return { ...full, ...DOCUMENTED_EXTRA }
  const keys = shape === 'capture' ? CAPTURE_KEYS : renderFor === 'write' ? GUIDE_WRITE_KEYS : GUIDE_READ_KEYS
  const out: Record<string, unknown> = {}
  for (const key of keys) out[key] = full[key]
  return out
}

/** Keys the guide's credential fields carry beyond the simulator's clean ones (`mxguide2021__institution_credentials__1`). */
export const GUIDE_FIELD_EXTRA = {
  answer_field_type: null,
  display_name: null,
  escaped: null,
  optional_mfa: null,
  size: null,
  value_identifier: null,
} as const

/** Keys the guide's MDX user carries beyond the simulator's clean ones (`mxguide2021__mdx_user_create__2`). */
export const GUIDE_USER_EXTRA = {
  birthdate: null,
  gender: null,
  first_name: null,
  last_name: null,
  metadata: null,
  credit_score: null,
  phone: null,
  zip_code: null,
  logged_in_at: null,
} as const
