// Progress lines go to stderr (issue 7: the human table owns stdout), stamped with seconds since the runner
// started (workers inherit the start time through MX_BENCH_T0, so their lines share one clock).

const started = Number(process.env.MX_BENCH_T0 ?? Date.now())
process.env.MX_BENCH_T0 = String(started)

/** Prints one progress line to stderr. */
export function progress(message: string): void {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(6)
  process.stderr.write(`[bench ${s}s] ${message}\n`)
}
