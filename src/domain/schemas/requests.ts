import { z } from 'zod'

// Request bodies, as the simulator accepts them (simulator.md: every documented variant is accepted).

/** A credential or answer item: `{credential_guid, value}` (MX's guide) or `{guid, value}` (§12). */
export const credentialValue = z
  .union([
    z.object({ credential_guid: z.string().min(1), value: z.string() }),
    z.object({ guid: z.string().min(1), value: z.string() }),
  ])
  .transform((item) => ({ guid: 'guid' in item ? item.guid : item.credential_guid, value: item.value }))

const updateInner = z.object({
  credentials: z.array(credentialValue).optional(),
  skip_aggregation: z.boolean().optional(),
  skip_webhook: z.boolean().optional(),
  metadata: z.string().nullable().optional(),
  external_guid: z.string().nullable().optional(),
  background_aggregation_is_disabled: z.boolean().optional(),
  challenges: z.array(credentialValue).optional(),
})

/** `PUT /members/{guid}` body: rooted (§3.4) or the older unwrapped form, normalised to the inner object. */
export const updateMemberRequest = z.union([
  z.object({ member: updateInner }).transform(({ member }) => member),
  updateInner,
])

/** `PUT /members/{guid}/resume` body: top-level `challenges` or `member.challenges` (§10.4). */
export const resumeRequest = z.union([
  z.object({ challenges: z.array(credentialValue) }).transform(({ challenges }) => challenges),
  z
    .object({ member: z.object({ challenges: z.array(credentialValue) }) })
    .transform(({ member }) => member.challenges),
])

/** `POST /sessions` body: `{"session": {"skip_aggregation": true}}`, `{}` or empty (§1.4). */
export const createSessionRequest = z
  .object({ session: z.object({ skip_aggregation: z.boolean().optional() }).optional() })
  .transform((body) => ({ skipAggregation: body.session?.skip_aggregation === true }))

/** MDX create-user body (§1.2). */
export const createUserRequest = z.object({
  user: z.object({ id: z.string().min(1), email: z.string().optional() }),
})
