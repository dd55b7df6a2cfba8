import { hash32 } from './random.js'
import type { SimState } from './state.js'

/**
 * Profiles (docs/simulator.md "Profiles"). `clean` renders one tidy, readable shape. `messy` sends what real
 * MX sends, per the real examples the project keeps in `test/fixtures/mx` and §12 of the Nexus reference:
 * mixed timestamp formats, literal `"null"` strings, missing optional keys, extra unknown fields, options
 * without a guid, short job-start and empty resume replies.
 *
 * Every messy choice is a pure function of the seed and the entity it concerns (a member's guid, a
 * challenge's guid), hashed; none draws from the model's generator. So a messy run is reproducible for its
 * seed, a member looks the same on every read (as one MX server would render it), and the clean and messy
 * profiles of one seed hand out the same guids and tokens.
 */

/**
 * How the simulator renders its replies.
 *
 * @example
 * ```ts
 * const profile: Profile = process.env.CI ? 'messy' : 'clean'
 * const sim = await startSimulator({ profile })
 * ```
 */
export type Profile = 'clean' | 'messy'

/** The profiles, for validation. */
export const PROFILES: readonly Profile[] = ['clean', 'messy']

/** True when `state` renders the messy profile. */
export const isMessy = (state: SimState): boolean => state.options.profile === 'messy'

/** A seeded, stable choice in [0, n) for `key` (an entity guid plus the aspect chosen). */
export function choose(state: SimState, key: string, n: number): number {
  return hash32(`${state.options.seed}|${key}`) % n
}

/**
 * Timestamp renderings seen in real traffic: `…000Z` (the doc samples, §3.1), `+00:00` (a 2021 capture,
 * `backbase__member_read__1`), `-06:00` and `-07:00` (MX's 2021 guide, `mxguide2021__member_read__1`,
 * `mxguide2021__institution_search__2`). Same instant, different text.
 */
export type TimeStyle = 'millisZ' | 'utcOffset' | 'mdt' | 'mst'

const TIME_STYLES: readonly TimeStyle[] = ['millisZ', 'utcOffset', 'mdt', 'mst']
const OFFSET_MINUTES: Readonly<Record<TimeStyle, number>> = { millisZ: 0, utcOffset: 0, mdt: -360, mst: -420 }

/** Formats `ms` in `style`. */
export function formatTime(ms: number, style: TimeStyle): string {
  if (style === 'millisZ') return `${new Date(ms).toISOString().slice(0, 19)}.000Z`
  const offset = OFFSET_MINUTES[style]
  const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19)
  const sign = offset < 0 ? '-' : '+'
  const abs = Math.abs(offset)
  const hh = String(Math.floor(abs / 60)).padStart(2, '0')
  const mm = String(abs % 60).padStart(2, '0')
  return `${local}${sign}${hh}:${mm}`
}

/** The timestamp style of everything about `owner` (a member guid): clean is always `+00:00`. */
export function timeStyle(state: SimState, owner: string): TimeStyle {
  return isMessy(state)
    ? (TIME_STYLES[choose(state, `${owner}|time`, TIME_STYLES.length)] ?? 'utcOffset')
    : 'utcOffset'
}

/** A timestamp about `owner`, or its null: messy members may say the literal `"null"` (`mxguide2021__member_update__2`). */
export function renderTime(state: SimState, owner: string, ms: number | null): string | null {
  if (ms === null) return isMessy(state) && choose(state, `${owner}|null`, 2) === 0 ? 'null' : null
  return formatTime(ms, timeStyle(state, owner))
}
