// fast-check parameters for the project's properties (docs/testing.md, Properties).
//
// Every property runs from a fixed seed, derived from its name, so a run is reproducible and a result
// does not depend on luck (issue 12: a Retry-After that skipped the poll floor was caught in 1 run of 6
// with random seeds). To explore other inputs, or to replay a failure fast-check reported:
//
//   MX_FC_SEED=12345 npx vitest run test/machines/lifecycle.properties.test.ts
//
// `MX_FC_RUNS_SCALE` scales the number of runs (mutation testing uses fewer; a long soak more).

/** FNV-1a of the property's name: a stable seed per property. */
function hash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h | 0
}

function envNumber(name: string): number | undefined {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === '') return undefined
  const value = Number(raw)
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got ${raw}`)
  return value
}

/** The seed a property named `name` runs from: `MX_FC_SEED` when set, else fixed by the name. */
export function seedFor(name: string): number {
  return envNumber('MX_FC_SEED') ?? hash(name)
}

/** `numRuns` scaled by `MX_FC_RUNS_SCALE` (default 1), at least 1. */
export function runsFor(numRuns: number): number {
  return Math.max(1, Math.round(numRuns * (envNumber('MX_FC_RUNS_SCALE') ?? 1)))
}

/** `{ seed, numRuns }` for `fc.assert`: a fixed seed by name and the scaled number of runs. */
export function fcParams(name: string, numRuns: number): { seed: number; numRuns: number } {
  return { seed: seedFor(name), numRuns: runsFor(numRuns) }
}

/**
 * A reach minimum scaled like the runs: `fraction` of `numRuns`, rounded down, at least 1. A property
 * whose generator stops reaching a case fails on this rather than passing without testing it. With
 * fewer runs than the property's own (`MX_FC_RUNS_SCALE` < 1), rare cases are not required.
 */
export function atLeast(fraction: number, numRuns: number): number {
  // Reach is a property of the generator over its full number of runs; a scaled-down run (mutation
  // testing) checks only what it can: nothing below one run in four.
  if ((envNumber('MX_FC_RUNS_SCALE') ?? 1) < 1 && fraction < 0.25) return 0
  return Math.max(1, Math.floor(fraction * numRuns))
}
