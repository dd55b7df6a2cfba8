/**
 * Seeded randomness for the simulator (architecture.md, house rule 7: randomness is injected). The whole
 * generator state is one uint32 kept inside the model's state, so a run is a function of its seed and its
 * requests: same seed, same requests, same guids, tokens and outcomes.
 */

/** A mulberry32 generator: `s` is its entire state. */
export interface Rng {
  s: number
}

/** A generator for `seed` (any number; it is folded to 32 bits). */
export function createRng(seed: number): Rng {
  return { s: (Math.trunc(seed) ^ 0x9e3779b9) >>> 0 }
}

/** The next uniformly distributed uint32. */
export function nextU32(rng: Rng): number {
  rng.s = (rng.s + 0x6d2b79f5) >>> 0
  let t = rng.s
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return (t ^ (t >>> 14)) >>> 0
}

/** A float in [0, 1). */
export function nextFloat(rng: Rng): number {
  return nextU32(rng) / 4294967296
}

/** An integer in [0, n). */
export function nextInt(rng: Rng, n: number): number {
  return Math.floor(nextFloat(rng) * n)
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0')

/** A uuid-shaped string (8-4-4-4-12 hex), as MX guids carry after their prefix. */
export function uuid(rng: Rng): string {
  const a = hex8(nextU32(rng))
  const b = hex8(nextU32(rng))
  const c = hex8(nextU32(rng))
  const d = hex8(nextU32(rng))
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`
}

/** An MX guid such as `MBR-…`, `USR-…`, `JOB-…`, `CRD-…`. */
export function newGuid(rng: Rng, prefix: string): string {
  return `${prefix}-${uuid(rng)}`
}

/** An opaque 48-hex-character token (SSO api tokens, session tokens, OAuth window tokens). */
export function newToken(rng: Rng): string {
  let out = ''
  for (let i = 0; i < 6; i++) out += hex8(nextU32(rng))
  return out
}

/** A stable 32-bit FNV-1a hash of a string (used for guids that must not depend on the seed). */
export function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}
