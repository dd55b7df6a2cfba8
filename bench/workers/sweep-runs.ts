import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createNexusClient } from '../../src/client/create-nexus-client.js'
import { reconnectMember } from '../../src/reconnect-member.js'
import { createReconnector } from '../../src/reconnector/index.js'
import { memoryStore, sqliteStore } from '../../src/stores/index.js'
import { naiveClient } from '../figures/naive.js'
import { percentile } from '../harness.js'
import { mapLimit } from '../lib/limit.js'
import { processCpuSeconds } from '../lib/proc-cpu.js'
import { progress } from '../lib/progress.js'
import { measured, type Measured } from '../lib/sampler.js'
import type { MixMember } from '../lib/scenarios.js'
import type { SimProcess } from '../lib/sim-process.js'
import { testUserProviders } from '../lib/test-user.js'

// The four ways figure 4 (issues 7, 15) reconnects the same mix of members, all at the same concurrency
// against the same simulator process: the naive loop (session per member, fixed 3 s polls, no store) under a
// p-limit style limiter; `reconnectMember` (the library's lifecycle, no store) under the same limiter; and
// `reconnector.sweep` on SQLite and in memory. Each is measured in this process (bench/lib/sampler.ts).

/** Which way a run reconnects. */
export type RunKind = 'naive' | 'member' | 'sqlite' | 'memory'

/** Settings shared by every run. */
export interface RunSettings {
  readonly concurrency: number
  readonly timeScale: number
  /** Where SQLite files go. */
  readonly dir: string
  readonly label: string
}

/** One run's numbers. */
export interface RunResult extends Measured {
  readonly kind: RunKind
  readonly members: number
  readonly users: number
  readonly membersPerSecond: number
  readonly cpuMsPerMember: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly simCpuSeconds: number
  readonly requests: number
  readonly sessionsOpened: number
  readonly counts: Readonly<Record<string, number>>
  /** Lifecycles evicted to the store while waiting on a timer (sweeps only), each later restored. */
  readonly evictions: number
}

const countBy = (values: readonly string[]) => {
  const out: Record<string, number> = {}
  for (const v of values) out[v] = (out[v] ?? 0) + 1
  return out
}

interface Work {
  readonly durations: readonly number[]
  readonly outcomes: Readonly<Record<string, number>>
  readonly requests: number
  readonly evictions: number
}

function scaledClient(sim: SimProcess, settings: RunSettings) {
  // The client's session window follows the simulator's scaled clock (30 simulated minutes, §1.5).
  return createNexusClient({
    nexusUrl: sim.nexusUrl,
    ssoUrl: sim.ssoUrl,
    clientId: sim.clientId,
    apiKey: sim.apiKey,
    sessionTtlMs: Math.round(30 * 60_000 * settings.timeScale),
    sessionRenewAheadMs: Math.round(60_000 * settings.timeScale),
  })
}

async function naive(sim: SimProcess, mix: readonly MixMember[], guids: readonly string[], s: RunSettings) {
  const client = naiveClient({ ...sim, pollMs: 3_000 * s.timeScale })
  try {
    const results = await mapLimit(mix, s.concurrency, (m, i) =>
      client
        .reconnect({ userId: m.userId, memberGuid: guids[i]!, password: m.password })
        .catch(() => ({ outcome: 'error', requests: 0, ms: 0 })),
    )
    return {
      durations: results.map((r) => r.ms),
      outcomes: countBy(results.map((r) => r.outcome)),
      requests: results.reduce((sum, r) => sum + r.requests, 0),
      evictions: 0,
    } satisfies Work
  } finally {
    await client.close()
  }
}

async function member(sim: SimProcess, mix: readonly MixMember[], guids: readonly string[], s: RunSettings) {
  const client = scaledClient(sim, s)
  const password = new Map(guids.map((g, i) => [g, mix[i]!.password]))
  const providers = testUserProviders((guid) => password.get(guid) ?? 'password')
  try {
    const results = await mapLimit(mix, s.concurrency, async (m, i) => {
      const t0 = performance.now()
      const output = await reconnectMember({
        client,
        userId: m.userId,
        memberGuid: guids[i]!,
        policy: { timeScale: s.timeScale },
        credentials: providers.credentials,
        mfa: providers.mfa,
      })
      return { outcome: output.outcome, ms: performance.now() - t0 }
    })
    return {
      durations: results.map((r) => r.ms),
      outcomes: countBy(results.map((r) => r.outcome)),
      requests: client.stats().requests,
      evictions: 0,
    } satisfies Work
  } finally {
    await client.close()
  }
}

async function sweep(
  sim: SimProcess,
  kind: 'sqlite' | 'memory',
  mix: readonly MixMember[],
  guids: readonly string[],
  s: RunSettings,
) {
  const password = new Map(guids.map((g, i) => [g, mix[i]!.password]))
  const client = scaledClient(sim, s)
  const store = kind === 'sqlite' ? sqliteStore(join(s.dir, `${s.label}-${guids[0]!}.db`)) : memoryStore()
  let evictions = 0
  const reconnector = createReconnector({
    client,
    store,
    concurrency: s.concurrency,
    policy: { timeScale: s.timeScale },
    // The eviction threshold (default 5 s) follows the clock like every other wait, so lifecycles that
    // wait on a long poll or a retry are evicted to the store and restored, as in an unscaled sweep.
    evictAfterMs: Math.round(5_000 * s.timeScale),
    onEvent: (e) => {
      if (e.type === 'evicted') evictions += 1
    },
    ...testUserProviders((guid) => password.get(guid) ?? 'password'),
  })
  let shown = 0
  try {
    const report = await reconnector.sweep(
      { members: mix.map((m, i) => ({ userId: m.userId, memberGuid: guids[i]! })) },
      {
        onProgress: ({ settled, total }) => {
          if (settled >= shown + total / 4 || settled === total) {
            shown = settled
            progress(`${s.label}: ${settled}/${total} settled`)
          }
        },
      },
    )
    return {
      durations: report.members.map((m) => m.durationMs),
      outcomes: report.counts,
      requests: client.stats().requests,
      evictions,
    } satisfies Work
  } finally {
    await reconnector.close()
    await client.close()
    await store.close()
  }
}

/** Reconnects `mix` (seeded as `guids`) one way, measured. */
export async function runKind(
  kind: RunKind,
  sim: SimProcess,
  mix: readonly MixMember[],
  guids: readonly string[],
  settings: RunSettings,
): Promise<RunResult> {
  progress(`${settings.label}: ${kind}, ${mix.length} members at concurrency ${settings.concurrency}`)
  const simBefore = await sim.stats()
  const simCpu = processCpuSeconds(sim.pid)
  const { value: work, measured: m } = await measured(() =>
    kind === 'naive'
      ? naive(sim, mix, guids, settings)
      : kind === 'member'
        ? member(sim, mix, guids, settings)
        : sweep(sim, kind, mix, guids, settings),
  )
  const simAfter = await sim.stats()
  const run: RunResult = {
    ...m,
    kind,
    members: mix.length,
    users: new Set(mix.map((x) => x.userId)).size,
    membersPerSecond: mix.length / m.seconds,
    cpuMsPerMember: (m.cpuSeconds * 1000) / mix.length,
    p50Ms: percentile(work.durations, 50),
    p99Ms: percentile(work.durations, 99),
    simCpuSeconds: processCpuSeconds(sim.pid) - simCpu,
    requests: work.requests,
    sessionsOpened: simAfter.sessionsOpened - simBefore.sessionsOpened,
    counts: work.outcomes,
    evictions: work.evictions,
  }
  progress(
    `${settings.label}: ${kind}: ${run.membersPerSecond.toFixed(0)} members/s, ` +
      `${run.cpuMsPerMember.toFixed(2)} CPU ms per member, ${run.requests} requests`,
  )
  return run
}
