import { GOAL_ROWS, goalFigure } from '../goals.js'
import type { Figure } from '../harness.js'
import type { SnapshotSizes } from '../lib/measuring-store.js'
import type { EvictionResult } from '../workers/eviction.js'
import type { SizeSummary, SnapshotResult } from '../workers/snapshots.js'
import type { SweepResult } from '../workers/sweep.js'
import { runOf } from './sweep-figures.js'

// Figure 5 (issues 7, 15): memory in flight, bytes per persisted snapshot, memory per member waiting on
// its user (RSS and heap slopes side by side).

const fmt = (n: number, digits = 0) => n.toFixed(digits)

const sizeNotes = (s: SizeSummary) => {
  const states = Object.entries(s.byState)
    .sort((a, b) => b[1][2] - a[1][2])
    .slice(0, 6)
    .map(([state, [, mean, max]]) => `${state} ${mean}/${max}`)
  return (
    `max over ${s.count} saves; median ${fmt(s.median)} B, mean ${fmt(s.mean)} B, p90 ${fmt(s.p90)} B; ` +
    `largest states (mean/max B): ${states.join(', ')}; outcomes ${JSON.stringify(s.outcomes)}`
  )
}

/** Bytes per persisted snapshot over the sweep mix, plain and with 20 KB challenge images. */
export function snapshotFigures(result: SnapshotResult, outcomeTable?: SnapshotSizes): Figure[] {
  const figures: Figure[] = [
    goalFigure({
      figure: '5',
      name: GOAL_ROWS.snapshotBytes,
      value: result.mix.max,
      unit: 'B',
      baseline: null,
      ratio: null,
      target: { op: '<=', limit: 1024 },
      notes: `${result.members}-member sweep of the mix: ${sizeNotes(result.mix)}`,
      details: result.mix.byState,
    }),
    goalFigure({
      figure: '5',
      name: GOAL_ROWS.snapshotBytesImages,
      value: result.images.max,
      unit: 'B',
      baseline: null,
      ratio: null,
      target: { op: '<=', limit: 2048 },
      notes: `the same mix, every challenge image ${result.imageBytes} base64 characters: ${sizeNotes(result.images)}`,
      details: result.images.byState,
    }),
    {
      figure: '5',
      name: 'bytes per persisted snapshot, median over the sweep mix',
      value: result.mix.median,
      unit: 'B',
      baseline: null,
      ratio: null,
      goal: 'report',
      met: null,
      notes: `with 20 KB images: median ${fmt(result.images.median)} B`,
    },
  ]
  if (outcomeTable && outcomeTable.count > 0) {
    figures.push({
      figure: '5',
      name: 'bytes per persisted snapshot, largest over the outcome table (figure 2)',
      value: outcomeTable.max,
      unit: 'B',
      baseline: null,
      ratio: null,
      goal: 'report',
      met: null,
      notes: `mean ${fmt(outcomeTable.total / outcomeTable.count)} B over ${outcomeTable.count} saves`,
    })
  }
  return figures
}

/** Peak memory during the 10,000-member SQLite sweep, and memory per member waiting on its user. */
export function memoryFigures(sweep: SweepResult, eviction: EvictionResult): Figure[] {
  const main = runOf(sweep, 'sqlite')
  return [
    {
      figure: '5',
      name: `peak RSS, ${main.members} members in flight (sqlite store)`,
      value: main.peakRssMiB,
      unit: 'MiB',
      baseline: main.rssBeforeMiB,
      ratio: main.peakRssMiB / main.rssBeforeMiB,
      goal: 'report',
      met: null,
      notes: `baseline: RSS of the same process just before the sweep (after a full GC)`,
    },
    {
      figure: '5',
      name: `peak heap, ${main.members} members in flight (sqlite store)`,
      value: main.peakHeapMiB,
      unit: 'MiB',
      baseline: main.heapBeforeMiB,
      ratio: main.peakHeapMiB / main.heapBeforeMiB,
      goal: 'report',
      met: null,
      notes: `mostly garbage not yet collected: after a full GC at the end ${fmt(main.heapAfterGcMiB)} MiB`,
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
        `(${eviction.waiting} rows waiting in SQLite, ${eviction.evicted} evictions); RSS ${fmt(eviction.rssFirstMiB)} → ${fmt(eviction.rssTotalMiB)} MiB`,
      details: eviction.points,
    },
    {
      figure: '5',
      name: 'heap growth per member waiting on its user',
      value: eviction.heapBytesPerMember,
      unit: 'B',
      baseline: null,
      ratio: null,
      goal: 'report',
      met: null,
      notes: `same batches as the RSS row; heap ${fmt(eviction.heapFirstMiB)} → ${fmt(eviction.heapTotalMiB)} MiB after a full GC`,
    },
  ]
}
