import type { Figure } from '../harness.js'
import type { SnapshotSizes } from '../lib/measuring-store.js'
import type { EvictionResult } from '../workers/eviction.js'
import type { SweepResult, SweepRun } from '../workers/sweep.js'

// Turns the sweep and eviction workers' numbers into figures 3, 4, 5 (issue 7) and issue 6's sweep row.

const fmt = (n: number, digits = 0) => n.toFixed(digits)

function first(result: SweepResult, store: string): SweepRun {
  const run = result.runs.find((r) => r.store === store)
  if (!run) throw new Error(`sweep worker returned no ${store} run`)
  return run
}

/** Figure 3: sessions opened ÷ users. */
export function sessionFigures(result: SweepResult): Figure[] {
  return result.runs.map((run) => ({
    figure: '3',
    name: `sessions ÷ users, ${run.members} members @64 (${run.store} store)`,
    value: run.sessionsOpened,
    unit: 'sessions',
    baseline: run.users,
    ratio: run.sessionsOpened / run.users,
    goal: 'ratio 1.00',
    met: run.sessionsOpened === run.users,
    notes:
      `${run.users} users × ${fmt(run.members / run.users)} members; the simulator counted ${run.simSessionsOpened} sessions` +
      (result.naive
        ? `; the naive baseline opens ${fmt(result.naive.sessionsOpened / result.naive.users, 2)} per user`
        : ''),
  }))
}

/** Figure 4: sweep throughput against the naive baseline, latency per member, CPU per 1,000 members. */
export function sweepFigures(result: SweepResult, naiveSample: number): Figure[] {
  const naive = result.naive
  if (!naive) throw new Error('figure 4 needs the naive baseline')
  const figures: Figure[] = []
  for (const run of result.runs) {
    const ratio = run.membersPerSecond / naive.membersPerSecond
    figures.push({
      figure: '4',
      name: `sweep throughput, ${run.members} mixed @64 (${run.store} store)`,
      value: run.membersPerSecond,
      unit: 'members/s',
      baseline: naive.membersPerSecond,
      ratio,
      goal: 'ratio ≥ 20',
      met: ratio >= 20,
      notes:
        `${fmt(run.seconds, 1)} s, ${run.requests} requests; client CPU ${fmt(run.cpuSeconds, 1)} s ` +
        `(${fmt((100 * run.cpuSeconds) / run.seconds)}% of one core), simulator CPU ${fmt(run.simCpuSeconds, 1)} s; ` +
        `outcomes ${JSON.stringify(run.counts)}; naive: ${naiveSample} members in ${fmt(naive.seconds, 1)} s, outcomes ${JSON.stringify(naive.counts)}`,
    })
  }
  const main = first(result, 'sqlite')
  figures.push(
    {
      figure: '4',
      name: `sweep latency per member p50 (${main.store} store)`,
      value: main.p50Ms,
      unit: 'ms',
      baseline: naive.p50Ms,
      ratio: main.p50Ms / naive.p50Ms,
      goal: 'report',
      met: null,
      notes:
        'from the lifecycle’s first activation to its outcome, real ms on the 1:100 clock; baseline: the naive client per member',
    },
    {
      figure: '4',
      name: `sweep latency per member p99 (${main.store} store)`,
      value: main.p99Ms,
      unit: 'ms',
      baseline: naive.p99Ms,
      ratio: main.p99Ms / naive.p99Ms,
      goal: 'report',
      met: null,
    },
  )
  for (const run of result.runs) {
    const perK = (run.cpuSeconds * 1000) / run.members
    const naivePerK = (naive.cpuSeconds * 1000) / naive.members
    figures.push({
      figure: '4',
      name: `client CPU per 1,000 members (${run.store} store)`,
      value: perK,
      unit: 'CPU s',
      baseline: naivePerK,
      ratio: perK / naivePerK,
      goal: 'report',
      met: null,
    })
  }
  return figures
}

/** Figure 5: peak RSS in flight, bytes per persisted snapshot, memory per member waiting on its user. */
export function memoryFigures(result: SweepResult, eviction: EvictionResult, sizes: SnapshotSizes): Figure[] {
  const main = first(result, 'sqlite')
  const states = [...sizes.byState]
    .sort((a, b) => b[1].max - a[1].max)
    .map(([state, s]) => `${state} ${Math.round(s.total / s.count)}/${s.max}`)
  const allMax = Math.max(sizes.max, eviction.snapshotBytes.max)
  return [
    {
      figure: '5',
      name: `peak RSS, ${main.members} members in flight (${main.store} store)`,
      value: main.peakRssMiB,
      unit: 'MiB',
      baseline: main.rssBeforeMiB,
      ratio: main.peakRssMiB / main.rssBeforeMiB,
      goal: 'report',
      met: null,
      notes:
        `baseline: RSS of the same process just before the sweep (after a full GC); peak heap used ${fmt(main.peakHeapMiB)} MiB, ` +
        `mostly garbage not yet collected: after a full GC at the end ${fmt(main.heapAfterGcMiB)} MiB (before: ${fmt(main.heapBeforeMiB)} MiB)`,
    },
    {
      figure: '5',
      name: 'bytes per persisted snapshot (largest)',
      value: allMax,
      unit: 'B',
      baseline: null,
      ratio: null,
      goal: '≤ 2048 B',
      met: allMax <= 2048,
      notes:
        `mean ${fmt(sizes.total / sizes.count)} B over ${sizes.count} saves in every state of the outcome table; ` +
        `mean/max by state: ${states.join(', ')}`,
      details: Object.fromEntries([...sizes.byState].map(([k, v]) => [k, { ...v, mean: v.total / v.count }])),
    },
    {
      figure: '5',
      name: 'RSS growth per member waiting on its user',
      value: eviction.rssBytesPerMember,
      unit: 'B',
      baseline: null,
      ratio: null,
      goal: '≤ 1024 B',
      met: eviction.rssBytesPerMember <= 1024,
      notes:
        `median over batches of ${eviction.batch} of the growth after a full GC, from ${eviction.warm} to ${eviction.total} waiting members ` +
        `(${eviction.waiting} rows waiting in SQLite, ${eviction.evicted} evictions); retained heap ` +
        `${fmt(eviction.heapBytesPerMember)} B per member; RSS ${fmt(eviction.rssFirstMiB)} → ${fmt(eviction.rssTotalMiB)} MiB`,
      details: eviction.points,
    },
  ]
}

/** Issue 6: a 2,000-member sweep at concurrency 64 completes; members/s and peak memory. */
export function issue6Figures(result: SweepResult): Figure[] {
  const run = first(result, 'sqlite')
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
      notes: `${fmt(run.seconds, 1)} s; peak RSS ${fmt(run.peakRssMiB)} MiB (before: ${fmt(run.rssBeforeMiB)} MiB); outcomes ${JSON.stringify(run.counts)}`,
    },
    {
      figure: 'issue 6',
      name: `issue 6: peak RSS, ${run.members} members @64`,
      value: run.peakRssMiB,
      unit: 'MiB',
      baseline: run.rssBeforeMiB,
      ratio: run.peakRssMiB / run.rssBeforeMiB,
      goal: 'report',
      met: null,
    },
  ]
}
