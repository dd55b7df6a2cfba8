import { GOAL_ROWS, goalFigure } from '../goals.js'
import type { Figure } from '../harness.js'
import type { RunKind, RunResult } from '../workers/sweep-runs.js'
import type { SweepResult } from '../workers/sweep.js'

// Turns the sweep worker's runs into figures 3 and 4 (issues 7, 15), issue 6's rows and the 100k sweep.

const fmt = (n: number, digits = 0) => n.toFixed(digits)
const LABEL: Record<RunKind, string> = {
  naive: 'naive loop @64 (session per member, 3 s polls, no store)',
  member: 'reconnectMember @64 (no store)',
  sqlite: 'reconnector.sweep @64 (sqlite store)',
  memory: 'reconnector.sweep @64 (memory store)',
}

/** The run of `kind`; throws when the worker did not run it. */
export function runOf(result: SweepResult, kind: RunKind): RunResult {
  const run = result.runs.find((r) => r.kind === kind)
  if (!run) throw new Error(`sweep worker returned no ${kind} run`)
  return run
}

const describe = (r: RunResult) =>
  `${r.members} members in ${fmt(r.seconds, 1)} s, ${r.requests} requests, ${r.sessionsOpened} sessions, ` +
  `client CPU ${fmt(r.cpuSeconds, 1)} s, simulator CPU ${fmt(r.simCpuSeconds, 1)} s, event-loop delay p99 ` +
  `${fmt(r.loopDelayP99Ms)} ms${r.evictions > 0 ? `, ${r.evictions} evictions (each restored)` : ''}; outcomes ${JSON.stringify(r.counts)}`

/** Figure 3: sessions opened ÷ users (counted by the simulator). */
export function sessionFigures(result: SweepResult): Figure[] {
  const naive = result.runs.find((r) => r.kind === 'naive')
  return result.runs
    .filter((r) => r.kind === 'sqlite' || r.kind === 'memory')
    .map((run) => ({
      figure: '3',
      name: `sessions ÷ users, ${run.members} members @64 (${run.kind} store)`,
      value: run.sessionsOpened,
      unit: 'sessions',
      baseline: run.users,
      ratio: run.sessionsOpened / run.users,
      goal: 'ratio 1.00',
      met: run.sessionsOpened === run.users,
      notes:
        `${run.users} users × ${fmt(run.members / run.users)} members, counted by the simulator` +
        (naive ? `; the naive loop opens ${fmt(naive.sessionsOpened / naive.users, 2)} per user` : ''),
    }))
}

/** Figure 4: CPU per member and throughput against the naive loop at the same concurrency. */
export function sweepFigures(result: SweepResult): Figure[] {
  const naive = runOf(result, 'naive')
  const member = result.runs.find((r) => r.kind === 'member')
  const sqlite = runOf(result, 'sqlite')
  const memory = runOf(result, 'memory')
  const cpuRatio = (r: RunResult) => r.cpuMsPerMember / naive.cpuMsPerMember
  const cpuNotes = (r: RunResult) =>
    `${fmt(r.cpuMsPerMember, 2)} vs ${fmt(naive.cpuMsPerMember, 2)} client CPU ms per member, same mix, same simulator, same concurrency, same run` +
    (member ? `; reconnectMember with no store: ${fmt(member.cpuMsPerMember, 2)} ms` : '')
  const figures: Figure[] = [
    goalFigure({
      figure: '4',
      name: GOAL_ROWS.sqliteCpu,
      value: cpuRatio(sqlite),
      unit: '×',
      baseline: null,
      ratio: cpuRatio(sqlite),
      target: { op: '<=', limit: 2 },
      notes: cpuNotes(sqlite),
    }),
    goalFigure({
      figure: '4',
      name: GOAL_ROWS.memoryCpu,
      value: cpuRatio(memory),
      unit: '×',
      baseline: null,
      ratio: cpuRatio(memory),
      target: { op: '<=', limit: 1.5 },
      notes: cpuNotes(memory),
    }),
    goalFigure({
      figure: '4',
      name: GOAL_ROWS.sqliteRate,
      value: sqlite.membersPerSecond / naive.membersPerSecond,
      unit: '×',
      baseline: null,
      ratio: sqlite.membersPerSecond / naive.membersPerSecond,
      target: { op: '>=', limit: 0.6 },
      notes: `${fmt(sqlite.membersPerSecond)} vs ${fmt(naive.membersPerSecond)} members/s`,
    }),
  ]
  for (const r of result.runs) {
    figures.push({
      figure: '4',
      name: `client CPU per member, ${LABEL[r.kind]}`,
      value: r.cpuMsPerMember,
      unit: 'ms',
      baseline: naive.cpuMsPerMember,
      ratio: cpuRatio(r),
      goal: 'report',
      met: null,
      notes: describe(r),
    })
  }
  for (const r of result.runs) {
    figures.push({
      figure: '4',
      name: `members/s, ${LABEL[r.kind]}`,
      value: r.membersPerSecond,
      unit: 'members/s',
      baseline: naive.membersPerSecond,
      ratio: r.membersPerSecond / naive.membersPerSecond,
      goal: 'report',
      met: null,
    })
  }
  if (member) {
    for (const r of [sqlite, memory]) {
      figures.push({
        figure: '4',
        name: `sweep CPU per member vs reconnectMember (${r.kind})`,
        value: r.cpuMsPerMember / member.cpuMsPerMember,
        unit: '×',
        baseline: null,
        ratio: r.cpuMsPerMember / member.cpuMsPerMember,
        goal: 'report',
        met: null,
        notes: 'what the store, leases, eviction and the sweep add over the same lifecycle run with no store',
      })
    }
  }
  figures.push(
    {
      figure: '4',
      name: 'latency per member p50 (sqlite store)',
      value: sqlite.p50Ms,
      unit: 'ms',
      baseline: naive.p50Ms,
      ratio: sqlite.p50Ms / naive.p50Ms,
      goal: 'report',
      met: null,
      notes:
        'first activation to outcome, real ms on the 1:100 clock; baseline: the naive loop at the same concurrency',
    },
    {
      figure: '4',
      name: 'latency per member p99 (sqlite store)',
      value: sqlite.p99Ms,
      unit: 'ms',
      baseline: naive.p99Ms,
      ratio: sqlite.p99Ms / naive.p99Ms,
      goal: 'report',
      met: null,
    },
  )
  return figures
}

/** Issue 6: a 2,000-member sweep at concurrency 64 completes; members/s and peak memory. */
export function issue6Figures(result: SweepResult): Figure[] {
  const run = runOf(result, 'sqlite')
  const settled = Object.values(run.counts).reduce((s, n) => s + n, 0)
  return [
    {
      figure: 'issue 6',
      name: `issue 6: sweep ${run.members} members @64 (sqlite store)`,
      value: run.membersPerSecond,
      unit: 'members/s',
      baseline: null,
      ratio: null,
      goal: 'completes',
      met: settled === run.members && run.counts.awaitingUser === undefined,
      notes: `${describe(run)}; peak RSS ${fmt(run.peakRssMiB)} MiB (before: ${fmt(run.rssBeforeMiB)} MiB)`,
    },
  ]
}

const completed = (r: RunResult) =>
  Object.values(r.counts).reduce((s, n) => s + n, 0) === r.members &&
  r.counts.awaitingUser === undefined &&
  r.counts.unfinished === undefined

/** Issue 15: a 100,000-member SQLite sweep completes, flat time per member against 10,000 (fresh processes). */
export function bigSweepFigures(small: SweepResult, big: SweepResult): Figure[] {
  const s = runOf(small, 'sqlite')
  const b = runOf(big, 'sqlite')
  const perMember = (r: RunResult) => (r.seconds * 1000) / r.members
  const ratio = perMember(b) / perMember(s)
  return [
    goalFigure({
      figure: '100k',
      name: GOAL_ROWS.flat100k,
      value: ratio,
      unit: '×',
      baseline: null,
      ratio,
      target: { op: '<=', limit: 1.2 },
      notes:
        `${fmt(perMember(b), 2)} vs ${fmt(perMember(s), 2)} ms per member (${fmt(b.membersPerSecond)} vs ${fmt(s.membersPerSecond)} members/s); ` +
        `client CPU per member ${fmt(b.cpuMsPerMember, 2)} vs ${fmt(s.cpuMsPerMember, 2)} ms; each sweep in a fresh process with its own simulator`,
    }),
    {
      figure: '100k',
      name: `100k sweep (sqlite) completes`,
      value: b.membersPerSecond,
      unit: 'members/s',
      baseline: s.membersPerSecond,
      ratio: b.membersPerSecond / s.membersPerSecond,
      goal: 'completes',
      met: completed(b),
      notes: `${describe(b)}; peak heap ${fmt(b.peakHeapMiB)} MiB, peak RSS ${fmt(b.peakRssMiB)} MiB; baseline: the 10,000-member sweep`,
    },
    {
      figure: '100k',
      name: '100k sweep (sqlite) peak heap',
      value: b.peakHeapMiB,
      unit: 'MiB',
      baseline: s.peakHeapMiB,
      ratio: b.peakHeapMiB / s.peakHeapMiB,
      goal: 'report',
      met: null,
      notes: `peak RSS ${fmt(b.peakRssMiB)} MiB (10,000: ${fmt(s.peakRssMiB)} MiB); heap after a full GC at the end ${fmt(b.heapAfterGcMiB)} MiB`,
    },
  ]
}

/** The 100k goal row when the run did not measure it (without `--big`): present, not met. */
export function bigSweepNotRun(): Figure {
  return {
    figure: '100k',
    name: GOAL_ROWS.flat100k,
    value: Number.NaN,
    unit: '×',
    baseline: null,
    ratio: null,
    goal: '<= 1.2',
    met: false,
    notes: 'not measured in this run: `npm run bench -- --big` runs the 10,000 and 100,000-member sweeps',
  }
}
