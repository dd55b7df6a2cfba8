import { toChallengePrompts } from '../../machines/member-lifecycle/index.js'
import type { Challenge } from '../domain/schemas/index.js'
import { IMAGE_NOT_READ } from './snapshot-codec.js'

// Challenge images are not stored (issue 15, docs/decisions/0017): a lifecycle restored while it waits on
// MFA answers gets them again from MX's challenges read (GET /users/{u}/members/{m}/challenges, the same
// read `mfa.listing` makes), matched by challenge guid, then option guid (or value and label). Only
// `mfa.awaiting` shows challenges (every other way to a prompt lists them afresh), so only it is filled.

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

const marked = (c: unknown): c is Obj =>
  isObj(c) && Array.isArray(c.issues) && (c.issues as unknown[]).includes(IMAGE_NOT_READ)

/** The decoded snapshot's challenges waiting for their images, if it is an active `mfa.awaiting`. */
function holes(snapshot: unknown): Obj[] {
  if (!isObj(snapshot) || snapshot.status !== 'active' || !isObj(snapshot.value)) return []
  if (snapshot.value.mfa !== 'awaiting' || !isObj(snapshot.context)) return []
  const challenges = snapshot.context.challenges
  return Array.isArray(challenges) ? challenges.filter(marked) : []
}

/**
 * True when a decoded snapshot waits on MFA answers with challenge images left out of the stored form.
 *
 * @example
 * ```ts
 * if (needsImages(snapshot)) snapshot = withImages(snapshot, await client.listMemberChallenges(ref))
 * ```
 */
export function needsImages(snapshot: unknown): boolean {
  return holes(snapshot).length > 0
}

type OptionLike = { guid?: string; label: string | null; value: string | null; dataUri?: string }

function fillOptions(stored: unknown, fresh: readonly OptionLike[] | undefined): unknown {
  if (!Array.isArray(stored) || !fresh) return stored
  return stored.map((o: unknown) => {
    if (!isObj(o)) return o
    const match = fresh.find((f) =>
      typeof o.guid === 'string' ? f.guid === o.guid : f.value === o.value && f.label === o.label,
    )
    return match?.dataUri === undefined ? o : { ...o, dataUri: match.dataUri }
  })
}

/**
 * The snapshot with the images of its marked challenges taken from `challenges` (MX's current list). A
 * challenge MX no longer lists keeps its {@link IMAGE_NOT_READ} issue; the others lose it.
 *
 * @example
 * ```ts
 * const restored = withImages(decoded, await client.listMemberChallenges({ userId, memberGuid }))
 * ```
 */
export function withImages(snapshot: unknown, challenges: readonly Challenge[]): unknown {
  if (!needsImages(snapshot)) return snapshot
  const s = snapshot as Obj & { context: Obj & { challenges: unknown[] } }
  const fresh = toChallengePrompts(challenges)
  const filled = s.context.challenges.map((c) => {
    if (!marked(c)) return c
    const match = fresh.find((f) => f.guid === c.guid)
    if (!match) return c
    const issues = (c.issues as unknown[]).filter((i) => i !== IMAGE_NOT_READ)
    const { issues: _old, ...rest } = c
    return {
      ...rest,
      ...(match.imageData === undefined ? {} : { imageData: match.imageData }),
      ...('options' in c ? { options: fillOptions(c.options, match.options) } : {}),
      ...('imageOptions' in c ? { imageOptions: fillOptions(c.imageOptions, match.imageOptions) } : {}),
      ...(issues.length > 0 ? { issues } : {}),
    }
  })
  return { ...s, context: { ...s.context, challenges: filled } }
}
