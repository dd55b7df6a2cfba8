import { readFileSync } from 'node:fs'

// CPU seconds another process has used so far (Linux /proc), for reporting the simulator's share apart from
// the client's. Returns NaN where /proc is not available.

const TICKS_PER_SECOND = 100

/** utime + stime of `pid`, in seconds. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return Number.NaN
  }
}
