// Small statistics helpers for the benchmarks.

/** The median of a sample (mean of the two middle values for an even count). */
export function median(sample: readonly number[]): number {
  if (sample.length === 0) return Number.NaN
  const sorted = [...sample].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
