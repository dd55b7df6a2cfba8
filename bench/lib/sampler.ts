import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { collectGarbage } from './worker.js'

// Measures one timed piece of work in the process doing it: wall time, process CPU (user + system: the
// simulator runs in another process and is not counted), peak RSS and heap (sampled every 50 ms), heap
// left after a full GC, and event-loop delay.

const MiB = 2 ** 20

/** What {@link measured} reports. */
export interface Measured {
  readonly seconds: number
  readonly cpuSeconds: number
  readonly rssBeforeMiB: number
  readonly peakRssMiB: number
  readonly heapBeforeMiB: number
  readonly peakHeapMiB: number
  /** Heap used after a full GC once the work is over (what it left behind). */
  readonly heapAfterGcMiB: number
  /** Event-loop delay p99 during the work, ms. */
  readonly loopDelayP99Ms: number
}

/** Runs `work` and measures it. */
export async function measured<T>(work: () => Promise<T>): Promise<{ value: T; measured: Measured }> {
  collectGarbage()
  const before = process.memoryUsage()
  let peakRss = before.rss
  let peakHeap = before.heapUsed
  const sampler = setInterval(() => {
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    peakHeap = Math.max(peakHeap, m.heapUsed)
  }, 50)
  const loop = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  const value = await work()
  const seconds = (performance.now() - t0) / 1000
  const used = process.cpuUsage(cpu)
  loop.disable()
  clearInterval(sampler)
  const end = process.memoryUsage()
  peakRss = Math.max(peakRss, end.rss)
  peakHeap = Math.max(peakHeap, end.heapUsed)
  collectGarbage()
  return {
    value,
    measured: {
      seconds,
      cpuSeconds: (used.user + used.system) / 1e6,
      rssBeforeMiB: before.rss / MiB,
      peakRssMiB: peakRss / MiB,
      heapBeforeMiB: before.heapUsed / MiB,
      peakHeapMiB: peakHeap / MiB,
      heapAfterGcMiB: process.memoryUsage().heapUsed / MiB,
      loopDelayP99Ms: loop.percentile(99) / 1e6,
    },
  }
}
