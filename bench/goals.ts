import type { Figure } from './harness.js'

// Issue 15's "done when" rows: `npm run bench -- --json` prints every figure that has a goal as a row
// `{ name, value, unit, goal, met, … }` with `met` a boolean, and the rest (reported numbers, no goal)
// apart. The names below are the contract: scripts look rows up by name.

/** The goal rows issue 15 asks for, by key. */
export const GOAL_ROWS = {
  sqliteCpu: 'sweep CPU per member vs naive concurrent (sqlite)',
  memoryCpu: 'sweep CPU per member vs naive concurrent (memory)',
  sqliteRate: 'members/s sqlite vs naive concurrent',
  requestCpu: 'request CPU vs undici+zod',
  snapshotBytes: 'bytes per persisted snapshot',
  snapshotBytesImages: 'bytes per persisted snapshot (20 KB images)',
  flat100k: '100k sweep (sqlite) time per member 100k/10k',
} as const

/** A numeric goal. */
export interface Goal {
  readonly op: '<=' | '>='
  readonly limit: number
}

/** The goal's text, e.g. `<= 1.15`. */
export const goalText = (goal: Goal): string => `${goal.op} ${goal.limit}`

/** Whether `value` meets `goal`; a value that was not measured (NaN, ±∞) never does. */
export function meets(value: number, goal: Goal): boolean {
  if (!Number.isFinite(value)) return false
  return goal.op === '<=' ? value <= goal.limit : value >= goal.limit
}

/** A figure with a numeric goal: `goal` and `met` follow from `value`. */
export function goalFigure(f: Omit<Figure, 'goal' | 'met'> & { readonly target: Goal }): Figure {
  const { target, ...rest } = f
  return { ...rest, goal: goalText(target), met: meets(f.value, target) }
}

/** One row of the `--json` output. */
export interface JsonRow {
  readonly name: string
  /** null when the figure was not measured in this run (e.g. the 100k sweep without `--big`). */
  readonly value: number | null
  readonly unit: string
  readonly goal: string
  readonly met: boolean
  readonly baseline?: number | null
  readonly figure?: string
  readonly notes?: string
}

/** What `--json` prints: goal rows (met is a boolean) and the reported figures without a goal. */
export function jsonReport<M extends Readonly<Record<string, unknown>>>(figures: readonly Figure[], meta: M) {
  const finite = (n: number | null) => (n === null || !Number.isFinite(n) ? null : n)
  const rows: JsonRow[] = figures
    .filter((f) => f.met !== null)
    .map((f) => ({
      name: f.name,
      value: finite(f.value),
      unit: f.unit,
      goal: f.goal,
      met: f.met === true,
      baseline: finite(f.baseline),
      ...(f.figure === undefined ? {} : { figure: f.figure }),
      ...(f.notes === undefined ? {} : { notes: f.notes }),
    }))
  const info = figures
    .filter((f) => f.met === null)
    .map((f) => ({
      name: f.name,
      value: finite(f.value),
      unit: f.unit,
      baseline: finite(f.baseline),
      ...(f.figure === undefined ? {} : { figure: f.figure }),
      ...(f.notes === undefined ? {} : { notes: f.notes }),
    }))
  return { ...meta, rows, info }
}
