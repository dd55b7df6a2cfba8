import { createNexusClient } from '../../src/client/create-nexus-client.js'
import type { NexusClientApi } from '../../src/client/types.js'
import { createReconnector } from '../../src/reconnector/index.js'
import { memoryStore } from '../../src/stores/index.js'
import { withBigImages } from '../lib/big-images.js'
import { measuringStore, type SnapshotSizes } from '../lib/measuring-store.js'
import { progress } from '../lib/progress.js'
import { mixedMembers } from '../lib/scenarios.js'
import { startSimProcess, type SimProcess } from '../lib/sim-process.js'
import { testUserProviders } from '../lib/test-user.js'
import { workerArgs, workerDone } from '../lib/worker.js'

// Figure 5 (issues 7, 15): bytes per persisted snapshot over the sweep mix. A sweep of the mix (the same as
// figure 4's, same scaled clock and eviction threshold) through a store wrapper that records the JSON size
// of every snapshot handed to `create` / `save`; then the same with 20 KB base64 challenge images (a real
// bank's), through bench/lib/big-images.ts. Sizes do not depend on the store, so the memory store is used;
// apart from figure 4's timed sweeps, so measuring never costs those CPU.
// The measuring store is the one handed to the reconnector, under its codec store: it sees the stored
// (slim, docs/decisions/0017) form, what a database row holds.

/** What the runner passes. */
export interface SnapshotArgs {
  readonly members: number
  readonly concurrency: number
  readonly timeScale: number
  /** Base64 characters per challenge image in the second pass. */
  readonly imageBytes: number
}

/** Sizes as the worker reports them (JSON-safe). */
export interface SizeSummary {
  readonly count: number
  readonly median: number
  readonly mean: number
  readonly p90: number
  readonly max: number
  /** state → [count, mean, max] */
  readonly byState: Readonly<Record<string, readonly [number, number, number]>>
  readonly outcomes: Readonly<Record<string, number>>
}

/** What the worker reports. */
export interface SnapshotResult {
  readonly mix: SizeSummary
  readonly images: SizeSummary
  readonly imageBytes: number
  readonly members: number
}

function summary(s: SnapshotSizes, outcomes: Readonly<Record<string, number>>): SizeSummary {
  const sorted = [...s.all].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN
  return {
    count: s.count,
    median: at(0.5),
    mean: s.total / s.count,
    p90: at(0.9),
    max: s.max,
    byState: Object.fromEntries(
      [...s.byState].map(([k, v]) => [k, [v.count, Math.round(v.total / v.count), v.max] as const]),
    ),
    outcomes,
  }
}

async function pass(sim: SimProcess, label: string, wrap: (c: NexusClientApi) => NexusClientApi) {
  const mix = mixedMembers(args.members, label)
  const guids = await sim.seed(mix)
  const password = new Map(guids.map((g, i) => [g, mix[i]!.password]))
  const client = createNexusClient({
    nexusUrl: sim.nexusUrl,
    ssoUrl: sim.ssoUrl,
    clientId: sim.clientId,
    apiKey: sim.apiKey,
    sessionTtlMs: Math.round(30 * 60_000 * args.timeScale),
    sessionRenewAheadMs: Math.round(60_000 * args.timeScale),
  })
  const store = measuringStore(memoryStore())
  const reconnector = createReconnector({
    client: wrap(client),
    store,
    concurrency: args.concurrency,
    policy: { timeScale: args.timeScale },
    evictAfterMs: Math.round(5_000 * args.timeScale),
    ...testUserProviders((guid) => password.get(guid) ?? 'password'),
  })
  progress(`snapshots: ${label}, ${mix.length} members`)
  const report = await reconnector.sweep({
    members: mix.map((m, i) => ({ userId: m.userId, memberGuid: guids[i]! })),
  })
  await reconnector.close()
  await client.close()
  await store.close()
  return summary(store.sizes(), report.counts)
}

const args = workerArgs<SnapshotArgs>()
const sim = await startSimProcess({ timeScale: args.timeScale })
try {
  const mix = await pass(sim, 'sizes', (c) => c)
  const images = await pass(sim, 'images', (c) => withBigImages(c, args.imageBytes))
  await sim.stop()
  workerDone({ mix, images, imageBytes: args.imageBytes, members: args.members } satisfies SnapshotResult)
} catch (error) {
  await sim.stop()
  throw error
}
