import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { createNexusClient } from '../../src/client/create-nexus-client.js'
import { createReconnector } from '../../src/reconnector/index.js'
import { sqliteStore } from '../../src/stores/index.js'
import { measuringStore } from '../lib/measuring-store.js'
import { median } from '../lib/stats.js'
import { progress } from '../lib/progress.js'
import { startSimProcess } from '../lib/sim-process.js'
import { collectGarbage, workerArgs, workerDone } from '../lib/worker.js'

// Figure 5b (issue 7; reconnector.md "Memory"): lifecycles waiting on their user are evicted to the store,
// so each costs store rows, not process memory. Members seeded DENIED, no credentials provider: each
// lifecycle reads the member, lists its credentials, asks, and is evicted while it waits. Memory is read
// after a full GC after every batch of members; the median growth per batch is the cost per
// waiting member (warm-up — JIT code, pools, sqlite's page cache — lands in the intercept).

/** What the runner passes. */
export interface EvictionArgs {
  /** Batch size. */
  readonly batch: number
  /** Members parked before the first measured point (allocator and page-cache warm-up). */
  readonly warm: number
  readonly total: number
  readonly concurrency: number
}

/** What the worker reports. */
export interface EvictionResult {
  readonly batch: number
  readonly warm: number
  readonly total: number
  readonly waiting: number
  readonly evicted: number
  readonly rssFirstMiB: number
  readonly rssTotalMiB: number
  readonly heapFirstMiB: number
  readonly heapTotalMiB: number
  readonly rssBytesPerMember: number
  readonly heapBytesPerMember: number
  readonly points: readonly { n: number; rssMiB: number; heapMiB: number }[]
  readonly seconds: number
  readonly snapshotBytes: {
    readonly mean: number
    readonly max: number
    readonly byState: Record<string, number>
  }
}

const MiB = 2 ** 20

/**
 * The typical growth per member: the median over batches of (growth during the batch ÷ batch size). RSS
 * moves in steps (the allocator hands pages back tens of MiB at a time, at unpredictable batches); a step
 * changes one batch's growth, which the median ignores, where a fitted line would swing either way.
 */
function slope(xy: readonly (readonly [number, number])[]): number {
  const slopes: number[] = []
  for (let i = 1; i < xy.length; i++) {
    const [x1, y1] = xy[i - 1]!
    const [x2, y2] = xy[i]!
    if (x2 !== x1) slopes.push((y2 - y1) / (x2 - x1))
  }
  return median(slopes)
}
const args = workerArgs<EvictionArgs>()
// The user deadline (15 min) stays unscaled: nobody answers, and nothing may time out during the run.
const sim = await startSimProcess({ timeScale: 1 })
const dir = mkdtempSync(join(tmpdir(), 'mx-bench-'))
try {
  const seeds = Array.from({ length: args.total }, (_, i) => ({
    userId: `waiting-user-${Math.floor(i / 4) + 1}`,
    status: 'DENIED',
    password: 'password',
  }))
  progress(`eviction: seeding ${seeds.length} DENIED members`)
  const guids = await sim.seed(seeds)
  const members = seeds.map((s, i) => ({ userId: s.userId, memberGuid: guids[i]! }))
  const client = createNexusClient({
    nexusUrl: sim.nexusUrl,
    ssoUrl: sim.ssoUrl,
    clientId: sim.clientId,
    apiKey: sim.apiKey,
  })
  const store = measuringStore(sqliteStore(join(dir, 'waiting.db')))
  let evicted = 0
  const reconnector = createReconnector({
    client,
    store,
    concurrency: args.concurrency,
    onEvent: (e) => {
      if (e.type === 'evicted' && e.awaitingUser) evicted += 1
    },
  })
  const t0 = performance.now()
  const sweep = async (from: number, to: number) => {
    const report = await reconnector.sweep({ members: members.slice(from, to) })
    const notWaiting = report.members.filter((m) => m.outcome !== 'awaitingUser').length
    if (notWaiting > 0) throw new Error(`eviction: ${notWaiting} members did not end up waiting on the user`)
  }
  const points: { n: number; rss: number; heap: number }[] = []
  const measure = async (n: number) => {
    // Let freed memory go back (GC, then a pause for the allocator), so a point is what stays behind.
    collectGarbage()
    await sleep(200)
    collectGarbage()
    const m = process.memoryUsage()
    points.push({ n, rss: m.rss, heap: m.heapUsed })
  }
  // Equal batches, so every batch has the same transient peak and RSS grows only by what stays behind.
  for (let from = 0; from < args.total; from += args.batch) {
    const to = Math.min(args.total, from + args.batch)
    progress(`eviction: ${to} members waiting on their user`)
    await sweep(from, to)
    if (to >= args.warm) await measure(to)
  }
  const seconds = (performance.now() - t0) / 1000
  const counts = await store.counts()
  const sizes = store.sizes()
  const result: EvictionResult = {
    batch: args.batch,
    warm: args.warm,
    total: args.total,
    waiting: counts.waiting,
    evicted,
    rssFirstMiB: points[0]!.rss / MiB,
    rssTotalMiB: points.at(-1)!.rss / MiB,
    heapFirstMiB: points[0]!.heap / MiB,
    heapTotalMiB: points.at(-1)!.heap / MiB,
    rssBytesPerMember: slope(points.map((p) => [p.n, p.rss])),
    heapBytesPerMember: slope(points.map((p) => [p.n, p.heap])),
    points: points.map((p) => ({ n: p.n, rssMiB: p.rss / MiB, heapMiB: p.heap / MiB })),
    seconds,
    snapshotBytes: {
      mean: sizes.total / sizes.count,
      max: sizes.max,
      byState: Object.fromEntries([...sizes.byState].map(([k, v]) => [k, Math.round(v.total / v.count)])),
    },
  }
  await reconnector.close()
  await client.close()
  await store.close()
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
  workerDone(result)
} catch (error) {
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
  throw error
}
