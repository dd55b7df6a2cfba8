// What a user reaches for to run many async jobs at once: p-limit's pattern (a fixed number of lanes, each
// taking the next item as it finishes one). The baselines of figure 4 run at the reconnector's concurrency
// through this, so a ratio compares work, not parallelism.

/** Runs `work` over `items` with at most `concurrency` in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await work(items[i]!, i)
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane))
  return out
}
