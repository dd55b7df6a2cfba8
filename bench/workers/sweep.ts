import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { progress } from '../lib/progress.js'
import { mixedMembers } from '../lib/scenarios.js'
import { startSimProcess } from '../lib/sim-process.js'
import { workerArgs, workerDone } from '../lib/worker.js'
import { profiled } from '../lib/cpu-profile.js'
import { runKind, type RunKind, type RunResult } from './sweep-runs.js'

// Figures 3, 4 and 5a (issues 7, 15), issue 6's sweep and issue 15's 100k sweep: the same mix of members
// reconnected several ways (bench/workers/sweep-runs.ts) at one concurrency, on a clock scaled 1:100
// (simulator jobs and the lifecycle's waits), with the simulator in its own process so this process's CPU
// is the client's alone. Every run gets its own freshly seeded members. An untimed warm-up of each kind
// first, so no run pays for the JIT compiling code another run then reuses.

/** What the runner passes. */
export interface SweepArgs {
  readonly members: number
  readonly concurrency: number
  readonly timeScale: number
  /** Timed runs, in this order. */
  readonly kinds: readonly RunKind[]
  /** Members per kind in the untimed warm-up (0: none). */
  readonly warmup: number
  readonly label: string
}

/** What the worker reports. */
export interface SweepResult {
  readonly runs: readonly RunResult[]
}

const args = workerArgs<SweepArgs>()
const sim = await startSimProcess({ timeScale: args.timeScale })
const dir = mkdtempSync(join(tmpdir(), 'mx-bench-'))
const settings = { concurrency: args.concurrency, timeScale: args.timeScale, dir, label: args.label }
try {
  const warm = args.warmup > 0 ? args.kinds.map((k) => mixedMembers(args.warmup, `${args.label}-w${k}`)) : []
  const mixes = args.kinds.map((k) => mixedMembers(args.members, `${args.label}-${k}`))
  const all = [...warm.flat(), ...mixes.flat()]
  progress(`${args.label}: seeding ${all.length} members in the simulator process`)
  const guids = await sim.seed(all)
  let offset = 0
  for (const [i, kind] of args.kinds.entries()) {
    const mix = warm[i]
    if (mix === undefined) continue
    await runKind(kind, sim, mix, guids.slice(offset, offset + mix.length), {
      ...settings,
      label: `${args.label} warm-up`,
    })
    offset += mix.length
  }
  const runs: RunResult[] = []
  // `npm run bench:profile` profiles the timed runs only (not the start, the seeding or the warm-up).
  await profiled(process.env['MX_BENCH_CPU_PROFILE'], async () => {
    for (const [i, kind] of args.kinds.entries()) {
      const mix = mixes[i]!
      runs.push(await runKind(kind, sim, mix, guids.slice(offset, offset + mix.length), settings))
      offset += mix.length
    }
  })
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
  workerDone({ runs } satisfies SweepResult)
} catch (error) {
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
  throw error
}
