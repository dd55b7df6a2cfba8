import { writeFileSync } from 'node:fs'
import os from 'node:os'

/** One benchmark figure (issue 7): written to bench/results.json and printed as a table row. */
export interface Figure {
  readonly name: string
  readonly value: number
  readonly unit: string
  /** The baseline measured in the same process on the same simulator, when the figure has one. */
  readonly baseline: number | null
  /** value ÷ baseline (or the figure's own ratio definition), null when there is no baseline. */
  readonly ratio: number | null
  /** Human-readable goal, e.g. "ratio ≤ 1.15". */
  readonly goal: string
  readonly met: boolean | null
  readonly notes?: string
  /** Which figure of issue 7 (or issue 6) the row belongs to, e.g. `2` for calls per reconnection. */
  readonly figure?: string
  /** Supporting numbers (per-state sizes, per-scenario traces…), kept in results.json only. */
  readonly details?: unknown
}

/** The machine a run was measured on (docs/benchmarks.md quotes it). */
export function machineInfo() {
  const cpus = os.cpus()
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    /** 1-minute load average: other work on the machine competes with the benchmark for its cores. */
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  }
}

/** Formats the figures as an aligned text table. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.name,
    `${round(f.value)} ${f.unit}`,
    f.baseline === null ? '—' : `${round(f.baseline)} ${f.unit}`,
    f.ratio === null ? '—' : round(f.ratio).toString(),
    f.goal,
    f.met === null ? '—' : f.met ? 'yes' : 'NO',
  ])
  const header = ['figure', 'value', 'baseline', 'ratio', 'goal', 'met']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

/** Writes `bench/results.json`. */
export function writeResults(
  path: string,
  figures: readonly Figure[],
  startedAt: Date,
  extra: Readonly<Record<string, unknown>> = {},
): void {
  const body = { startedAt: startedAt.toISOString(), machine: machineInfo(), ...extra, figures }
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`)
}

/** Rounds for display: 3 significant decimals for small numbers, integers for large ones. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value
  const abs = Math.abs(value)
  if (abs >= 1000) return Math.round(value)
  if (abs >= 10) return Math.round(value * 10) / 10
  return Math.round(value * 1000) / 1000
}

/** Percentile of a sorted-or-not sample (nearest rank). */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return Number.NaN
  const sorted = [...sample].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}
