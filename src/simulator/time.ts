/**
 * Time formatting for simulated timestamps. Reads render ISO-8601 as real traffic does
 * (`2021-10-26T19:43:53+00:00`, Nexus reference §3.1); webhooks use Unix seconds (§8.2).
 */

/** `2021-10-26T19:43:53+00:00` for a simulated epoch-millisecond time. */
export function isoTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+00:00`
}

/** ISO time or null. */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : isoTime(ms)
}

/** Unix seconds (webhook timestamps, §8.2). */
export function unixSeconds(ms: number): number {
  return Math.floor(ms / 1000)
}

/** `YYYY-MM-DD` (the AGGREGATION webhook's `completed_on`). */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}
