import { z } from 'zod'
import { credentialValue, resumeRequest, updateMemberRequest } from '../domain/index.js'
import { isRecord } from './respond.js'

/**
 * Request bodies the simulator accepts beyond the shared domain schemas. Rooted and non-rooted member bodies
 * are both accepted (Nexus reference §3.3, §3.4); a rooted body is unwrapped first so a malformed rooted body
 * is refused rather than read as an empty non-rooted one.
 */

const createInner = z.object({
  institution_guid: z.string().min(1).optional(),
  institution_code: z.string().min(1).optional(),
  credentials: z.array(credentialValue).optional(),
  skip_aggregation: z.boolean().optional(),
  skip_webhook: z.boolean().optional(),
  external_guid: z.string().nullable().optional(),
  metadata: z.string().nullable().optional(),
  is_oauth: z.boolean().optional(),
  name: z.string().optional(),
  use_cases: z.array(z.string()).optional(),
  background_aggregation_is_disabled: z.boolean().optional(),
})

/** A parsed create-member body. */
export type CreateMemberBody = z.infer<typeof createInner>

/** A parsed update-member body. */
export type UpdateMemberBody = z.infer<typeof updateMemberRequest>

const unwrap = (body: unknown, key: string): unknown => (isRecord(body) && key in body ? body[key] : body)

/** `POST /members` body, rooted or not. */
export function parseCreateMember(body: unknown): CreateMemberBody | undefined {
  const result = createInner.safeParse(unwrap(body, 'member'))
  return result.success ? result.data : undefined
}

/** `PUT /members/{guid}` body, rooted or not (§3.4). */
export function parseUpdateMember(body: unknown): UpdateMemberBody | undefined {
  const inner = unwrap(body, 'member')
  if (!isRecord(inner)) return undefined
  const result = updateMemberRequest.safeParse(inner)
  return result.success ? result.data : undefined
}

/** `PUT /members/{guid}/resume` body: top-level `challenges` or `member.challenges` (§10.4). */
export function parseResume(body: unknown): readonly { guid: string; value: string }[] | undefined {
  const result = resumeRequest.safeParse(body)
  return result.success ? result.data : undefined
}

const legacyAnswer = z.union([
  credentialValue,
  z.object({ member_credential: credentialValue }).transform(({ member_credential }) => member_credential),
  z.object({ credential: credentialValue }).transform(({ credential }) => credential),
])

/** Legacy `POST /members/{guid}/credentials` body (`{credential_guid, value}`, 2015 client, §3.7). */
export function parseLegacyAnswer(body: unknown): { guid: string; value: string } | undefined {
  const result = legacyAnswer.safeParse(body)
  return result.success ? result.data : undefined
}
