import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createNexusClient } from '../../src/client/create-nexus-client.js'
import { createReconnector } from '../../src/reconnector/index.js'
import { memoryStore, sqliteStore } from '../../src/stores/index.js'
import { naiveClient, type NaiveResult } from '../figures/naive.js'
import { percentile } from '../harness.js'
import { processCpuSeconds } from '../lib/proc-cpu.js'
import { progress } from '../lib/progress.js'
import { mixedMembers, type MixMember } from '../lib/scenarios.js'
import { startSimProcess, type SimProcess } from '../lib/sim-process.js'
import { testUserProviders } from '../lib/test-user.js'
import { collectGarbage, workerArgs, workerDone } from '../lib/worker.js'

// Figures 3, 4 and 5a (issue 7) and issue 6's 2,000-member sweep: sweeps of mixed scenarios at concurrency
// 64 through the reconnector, on a clock scaled 1:100 (simulator jobs and the lifecycle's poll/backoff
// delays), with the simulator in its own process. First, optionally, the naive baseline on a sample, in this
// same process against the same simulator. Each store gets its own freshly seeded members; memory figures
// come from the first sweep (later ones inherit its heap).

/** What the runner passes. */
export interface SweepArgs {
  readonly members: number
  readonly naiveSample: number
  readonly concurrency: number
  readonly timeScale: number
  readonly stores: readonly ('sqlite' | 'memory')[]
  readonly label: string
}

/** One sweep's numbers. */
export interface SweepRun {
  readonly store: string
  readonly members: number
  readonly users: number
  readonly seconds: number
  readonly membersPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly cpuSeconds: number
  readonly simCpuSeconds: number
  readonly requests: number
  readonly sessionsOpened: number
  readonly simSessionsOpened: number
  readonly counts: Readonly<Record<string, number>>
  readonly rssBeforeMiB: number
  readonly peakRssMiB: number
  readonly peakHeapMiB: number
  /** Heap used after a full GC once the sweep is over (what the sweep left behind: report, bookkeeping). */
  readonly heapAfterGcMiB: number
  readonly heapBeforeMiB: number
}

/** The naive baseline's numbers. */
export interface NaiveRun {
  readonly members: number
  readonly users: number
  readonly seconds: number
  readonly membersPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly cpuSeconds: number
  readonly requests: number
  readonly sessionsOpened: number
  readonly counts: Readonly<Record<string, number>>
}

/** What the worker reports. */
export interface SweepResult {
  readonly runs: readonly SweepRun[]
  readonly naive?: NaiveRun
}

const MiB = 2 ** 20
const cpuSince = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since)
  return (u.user + u.system) / 1e6
}
const countBy = (values: readonly string[]) => {
  const out: Record<string, number> = {}
  for (const v of values) out[v] = (out[v] ?? 0) + 1
  return out
}

async function runNaive(
  sim: SimProcess,
  members: readonly MixMember[],
  guids: readonly string[],
): Promise<NaiveRun> {
  progress(`${args.label}: naive baseline, ${members.length} members one after another`)
  const client = naiveClient({ ...sim, pollMs: 3_000 * args.timeScale })
  const before = await sim.stats()
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  const results: NaiveResult[] = []
  for (let i = 0; i < members.length; i++) {
    const m = members[i]!
    results.push(await client.reconnect({ userId: m.userId, memberGuid: guids[i]!, password: m.password }))
  }
  const seconds = (performance.now() - t0) / 1000
  const cpuSeconds = cpuSince(cpu)
  const after = await sim.stats()
  await client.close()
  const ms = results.map((r) => r.ms)
  progress(`${args.label}: naive ${(results.length / seconds).toFixed(1)} members/s`)
  return {
    members: results.length,
    users: new Set(members.map((m) => m.userId)).size,
    seconds,
    membersPerSecond: results.length / seconds,
    p50Ms: percentile(ms, 50),
    p99Ms: percentile(ms, 99),
    cpuSeconds,
    requests: results.reduce((s, r) => s + r.requests, 0),
    sessionsOpened: after.sessionsOpened - before.sessionsOpened,
    counts: countBy(results.map((r) => r.outcome)),
  }
}

async function runSweep(
  sim: SimProcess,
  kind: 'sqlite' | 'memory',
  mix: readonly MixMember[],
  guids: readonly string[],
  dir: string,
): Promise<SweepRun> {
  const password = new Map(guids.map((g, i) => [g, mix[i]!.password]))
  // The client's session window follows the simulator's scaled clock (30 simulated minutes, §1.5).
  const client = createNexusClient({
    nexusUrl: sim.nexusUrl,
    ssoUrl: sim.ssoUrl,
    clientId: sim.clientId,
    apiKey: sim.apiKey,
    sessionTtlMs: Math.round(30 * 60_000 * args.timeScale),
    sessionRenewAheadMs: Math.round(60_000 * args.timeScale),
  })
  const store = kind === 'sqlite' ? sqliteStore(join(dir, `${args.label}.db`)) : memoryStore()
  const reconnector = createReconnector({
    client,
    store,
    concurrency: args.concurrency,
    policy: { timeScale: args.timeScale },
    ...testUserProviders((guid) => password.get(guid) ?? 'password'),
  })
  const members = mix.map((m, i) => ({ userId: m.userId, memberGuid: guids[i]! }))
  const simBefore = await sim.stats()
  const simCpu = processCpuSeconds(sim.pid)
  collectGarbage()
  const rssBefore = process.memoryUsage.rss()
  const heapBefore = process.memoryUsage().heapUsed
  let peakRss = rssBefore
  let peakHeap = heapBefore
  const sampler = setInterval(() => {
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    peakHeap = Math.max(peakHeap, m.heapUsed)
  }, 50)
  let shown = 0
  progress(
    `${args.label}: sweeping ${members.length} members at concurrency ${args.concurrency} (${kind} store)`,
  )
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  const report = await reconnector.sweep(
    { members },
    {
      onProgress: ({ settled, total }) => {
        if (settled >= shown + total / 4 || settled === total) {
          shown = settled
          progress(`${args.label}: ${settled}/${total} settled`)
        }
      },
    },
  )
  const seconds = (performance.now() - t0) / 1000
  const cpuSeconds = cpuSince(cpu)
  clearInterval(sampler)
  const simAfter = await sim.stats()
  const durations = report.members.map((m) => m.durationMs)
  collectGarbage()
  const heapAfterGc = process.memoryUsage().heapUsed
  const run: SweepRun = {
    store: kind,
    members: members.length,
    users: new Set(members.map((m) => m.userId)).size,
    seconds,
    membersPerSecond: members.length / seconds,
    p50Ms: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
    cpuSeconds,
    simCpuSeconds: processCpuSeconds(sim.pid) - simCpu,
    requests: client.stats().requests,
    sessionsOpened: client.stats().sessionsOpened,
    simSessionsOpened: simAfter.sessionsOpened - simBefore.sessionsOpened,
    counts: report.counts,
    rssBeforeMiB: rssBefore / MiB,
    peakRssMiB: peakRss / MiB,
    peakHeapMiB: peakHeap / MiB,
    heapBeforeMiB: heapBefore / MiB,
    heapAfterGcMiB: heapAfterGc / MiB,
  }
  await reconnector.close()
  await client.close()
  await store.close()
  progress(`${args.label}: ${run.membersPerSecond.toFixed(0)} members/s (${kind} store)`)
  return run
}

const args = workerArgs<SweepArgs>()
const sim = await startSimProcess({ timeScale: args.timeScale })
const dir = mkdtempSync(join(tmpdir(), 'mx-bench-'))
try {
  const naiveMix = mixedMembers(args.naiveSample, `${args.label}-naive`)
  const mixes = args.stores.map((kind) => mixedMembers(args.members, `${args.label}-${kind}`))
  const all = [...naiveMix, ...mixes.flat()]
  progress(`${args.label}: seeding ${all.length} members in the simulator process`)
  const guids = await sim.seed(all)
  let offset = naiveMix.length
  const naive = naiveMix.length > 0 ? await runNaive(sim, naiveMix, guids.slice(0, offset)) : undefined
  const runs: SweepRun[] = []
  for (const [i, kind] of args.stores.entries()) {
    const mix = mixes[i]!
    runs.push(await runSweep(sim, kind, mix, guids.slice(offset, offset + mix.length), dir))
    offset += mix.length
  }
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
  workerDone({ runs, ...(naive ? { naive } : {}) } satisfies SweepResult)
} catch (error) {
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
  throw error
}
