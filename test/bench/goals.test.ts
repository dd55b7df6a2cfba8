import { describe, expect, it } from 'vitest'
import { bigSweepNotRun, sweepFigures } from '../../bench/figures/sweep-figures.js'
import { GOAL_ROWS, goalFigure, jsonReport, meets } from '../../bench/goals.js'
import type { RunKind, RunResult } from '../../bench/workers/sweep-runs.js'

// The `npm run bench -- --json` contract (issue 15): goal rows by name, each with a boolean `met` that
// follows from its value. Pure functions over made-up runs: no benchmark runs here, nothing is timed.

const run = (kind: RunKind, cpuMsPerMember: number, membersPerSecond: number): RunResult => ({
  kind,
  members: 1000,
  users: 250,
  membersPerSecond,
  cpuMsPerMember,
  p50Ms: 10,
  p99Ms: 20,
  simCpuSeconds: 1,
  requests: 5000,
  sessionsOpened: 250,
  counts: { connected: 1000 },
  evictions: 0,
  seconds: 1000 / membersPerSecond,
  cpuSeconds: cpuMsPerMember,
  rssBeforeMiB: 100,
  peakRssMiB: 200,
  heapBeforeMiB: 20,
  peakHeapMiB: 80,
  heapAfterGcMiB: 25,
  loopDelayP99Ms: 5,
})

describe('bench goal rows', () => {
  it('names exactly the rows issue 15 asks for', () => {
    expect(Object.values(GOAL_ROWS).sort()).toEqual(
      [
        'sweep CPU per member vs naive concurrent (sqlite)',
        'sweep CPU per member vs naive concurrent (memory)',
        'members/s sqlite vs naive concurrent',
        'request CPU vs undici+zod',
        'bytes per persisted snapshot',
        'bytes per persisted snapshot (20 KB images)',
        '100k sweep (sqlite) time per member 100k/10k',
      ].sort(),
    )
  })

  it('meets a goal at its limit, misses it just past, and never with an unmeasured value', () => {
    expect(meets(2, { op: '<=', limit: 2 })).toBe(true)
    expect(meets(2.0001, { op: '<=', limit: 2 })).toBe(false)
    expect(meets(0.6, { op: '>=', limit: 0.6 })).toBe(true)
    expect(meets(0.5999, { op: '>=', limit: 0.6 })).toBe(false)
    expect(meets(Number.NaN, { op: '<=', limit: 2 })).toBe(false)
    expect(meets(Number.POSITIVE_INFINITY, { op: '>=', limit: 0.6 })).toBe(false)
  })

  it('computes the figure 4 ratios against the naive loop of the same run', () => {
    const figures = sweepFigures({
      runs: [run('naive', 1, 800), run('member', 2, 600), run('sqlite', 2.5, 500), run('memory', 1.4, 700)],
    })
    const row = (name: string) => figures.find((f) => f.name === name)!
    expect(row(GOAL_ROWS.sqliteCpu)).toMatchObject({ value: 2.5, goal: '<= 2', met: false })
    expect(row(GOAL_ROWS.memoryCpu)).toMatchObject({ value: 1.4, goal: '<= 1.5', met: true })
    expect(row(GOAL_ROWS.sqliteRate)).toMatchObject({ value: 500 / 800, goal: '>= 0.6', met: true })
  })

  it('prints every goal row with a boolean met, and reported figures apart', () => {
    const figures = [
      goalFigure({
        name: GOAL_ROWS.requestCpu,
        value: 1.3,
        unit: '×',
        baseline: null,
        ratio: 1.3,
        target: { op: '<=', limit: 1.15 },
      }),
      bigSweepNotRun(),
      { name: 'peak heap', value: 80, unit: 'MiB', baseline: 20, ratio: 4, goal: 'report', met: null },
    ]
    const report = JSON.parse(JSON.stringify(jsonReport(figures, { commit: 'abc' }))) as ReturnType<
      typeof jsonReport
    >
    expect(report.commit).toBe('abc')
    expect(report.rows.map((r) => r.name)).toEqual([GOAL_ROWS.requestCpu, GOAL_ROWS.flat100k])
    for (const r of report.rows) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['name', 'value', 'unit', 'goal', 'met']))
      expect(typeof r.met).toBe('boolean')
      expect(typeof r.goal).toBe('string')
    }
    expect(report.rows[0]).toMatchObject({ value: 1.3, goal: '<= 1.15', met: false })
    // Not measured without --big: present, value null, not met.
    expect(report.rows[1]).toMatchObject({ value: null, met: false })
    expect(report.info).toEqual([expect.objectContaining({ name: 'peak heap', value: 80 })])
  })
})
