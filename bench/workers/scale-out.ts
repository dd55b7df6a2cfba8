import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { startPgServer } from '../../test/support/pg-server.js'
import { processCpuSeconds } from '../lib/proc-cpu.js'
import { progress } from '../lib/progress.js'
import { startSimProcess, type SeedMember, type SimProcess } from '../lib/sim-process.js'
import { workerArgs, workerDone } from '../lib/worker.js'
import {
  addLatency,
  createDatabase,
  rssBytes,
  startBenchHost,
  startWorkerProc,
  type WorkerProc,
} from './scale-out-parts.js'

// Scale-out figures (issue 16; docs/scale-out.md "Capacity"), in a child process of `npm run bench`:
// 1. members/s with 1, 2 and 4 `mx-reconnect worker` processes on one PostgreSQL (the bench's own embedded
//    server) against the simulator in its own process with a fixed latency on every request, members
//    started by a host through the pg-boss engine, until every member is done;
// 2. one worker's RSS, sampled every second, while it parks N lifecycles (DENIED members: read, list the
//    credentials, wait on the user) and then while they all wait.

/** What the runner passes. */
export interface ScaleOutArgs {
  readonly workers: readonly number[]
  /** Members per throughput run. */
  readonly members: number
  /** `--concurrency` of each worker. */
  readonly concurrency: number
  /** Real ms added to every simulator request (SSO and Nexus). */
  readonly latencyMs: number
  /** Simulator and lifecycle time scale of the throughput runs. */
  readonly timeScale: number
  /** Lifecycles parked on their users for the RSS figure (0: skip it). */
  readonly parked: number
  /** Seconds of RSS samples once every lifecycle is parked. */
  readonly holdSeconds: number
}

/** One throughput run. */
export interface ThroughputRun {
  readonly workers: number
  readonly members: number
  readonly seconds: number
  readonly membersPerSecond: number
  /** CPU of the worker processes (user + system) per member. */
  readonly workerCpuMsPerMember: number
  readonly simCpuMsPerMember: number
}

/** One RSS sample. */
export interface RssSample {
  readonly t: number
  readonly rssMiB: number
  readonly parked: number
  readonly running: number
}

/** What the child reports. */
export interface ScaleOutResult {
  readonly runs: readonly ThroughputRun[]
  readonly rss?: {
    readonly parked: number
    readonly samples: readonly RssSample[]
    readonly startSeconds: number
  }
}

const MiB = 2 ** 20

/** Members that end without their user: one read, an aggregation with a job, DELAYED polls, OAuth. */
const MIX: readonly Omit<SeedMember, 'userId'>[] = [
  { status: 'CONNECTED', password: 'password' },
  { status: 'REJECTED', password: 'password' },
  { status: 'EXPIRED', password: 'password' },
  { status: 'CREATED', password: 'password' },
  { status: 'DELAYED', password: 'password' },
  { status: 'LOCKED', password: 'password' },
  { status: 'DEGRADED', password: 'password' },
  { status: 'CLOSED', password: 'password' },
  { status: 'PENDING', password: '', institutionCode: 'mx_bank_oauth' },
]

async function seed(
  sim: SimProcess,
  prefix: string,
  count: number,
  pick: (i: number) => Omit<SeedMember, 'userId'>,
) {
  const members = Array.from({ length: count }, (_, i) => ({
    userId: `${prefix}-u${Math.floor(i / 4)}`,
    ...pick(i),
  }))
  const guids = await sim.seed(members)
  return guids.map((memberGuid, i) => ({ userId: members[i]!.userId, memberGuid }))
}

async function stopAll(workers: readonly WorkerProc[]) {
  const codes = await Promise.all(workers.map((w) => w.stop()))
  if (codes.some((c) => c !== 0)) progress(`scale-out: a worker exited with ${codes.join(', ')}`)
}

async function throughput(
  args: ScaleOutArgs,
  pgUrl: string,
  sim: SimProcess,
  n: number,
): Promise<ThroughputRun> {
  const url = await createDatabase(pgUrl, `bench_w${n}_${randomBytes(4).toString('hex')}`)
  const policy = { timeScale: args.timeScale }
  const host = await startBenchHost(url, sim, policy)
  const flags = ['--concurrency', String(args.concurrency), '--time-scale', String(args.timeScale)]
  const workers = Array.from({ length: n }, (_, i) => startWorkerProc(`b${n}-${i + 1}`, url, sim, flags))
  try {
    await Promise.all(workers.map((w) => w.ready))
    const members = await seed(sim, `w${n}`, args.members, (i) => MIX[i % MIX.length]!)
    const cpu0 = workers.map((w) => processCpuSeconds(w.pid))
    const sim0 = processCpuSeconds(sim.pid)
    const t0 = performance.now()
    const starting = host.startAll(members)
    for (;;) {
      const counts = await host.store.counts()
      if (counts.done >= members.length) break
      await sleep(200)
    }
    const seconds = (performance.now() - t0) / 1000
    await starting
    const cpu = workers.reduce((sum, w, i) => sum + processCpuSeconds(w.pid) - cpu0[i]!, 0)
    const simCpu = processCpuSeconds(sim.pid) - sim0
    const run = {
      workers: n,
      members: members.length,
      seconds,
      membersPerSecond: members.length / seconds,
      workerCpuMsPerMember: (cpu * 1000) / members.length,
      simCpuMsPerMember: (simCpu * 1000) / members.length,
    }
    progress(
      `scale-out: ${n} worker(s): ${run.membersPerSecond.toFixed(1)} members/s (${seconds.toFixed(1)} s)`,
    )
    return run
  } finally {
    await stopAll(workers)
    await host.close()
  }
}

async function parkedRss(args: ScaleOutArgs, pgUrl: string) {
  // Real time scale: a user has 15 real minutes, so every parked lifecycle stays parked while sampled.
  const sim = await startSimProcess({ timeScale: 1, seed: 16 })
  const url = await createDatabase(pgUrl, `bench_rss_${randomBytes(4).toString('hex')}`)
  const host = await startBenchHost(url, sim, {})
  const worker = startWorkerProc('rss-1', url, sim, ['--concurrency', '32', '--evict-after-ms', '100'])
  const samples: RssSample[] = []
  const t0 = performance.now()
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      const counts = await host.store.counts()
      samples.push({
        t: (performance.now() - t0) / 1000,
        rssMiB: rssBytes(worker.pid) / MiB,
        parked: counts.waiting,
        running: counts.running,
      })
      await sleep(1_000)
    }
  })()
  try {
    await worker.ready
    progress(`scale-out RSS: seeding ${args.parked} DENIED members`)
    const members = await seed(sim, 'rss', args.parked, () => ({ status: 'DENIED', password: 'password' }))
    const started = performance.now()
    await host.startAll(members)
    for (;;) {
      const last = samples.at(-1)
      if (last && last.parked >= members.length && last.running === 0) break
      await sleep(500)
    }
    const startSeconds = (performance.now() - started) / 1000
    progress(
      `scale-out RSS: ${members.length} parked in ${startSeconds.toFixed(0)} s; holding ${args.holdSeconds} s`,
    )
    await sleep(args.holdSeconds * 1_000)
    return { parked: members.length, samples, startSeconds }
  } finally {
    sampling = false
    await sampler
    await stopAll([worker])
    await host.close()
    await sim.stop()
  }
}

const args = workerArgs<ScaleOutArgs>()
const server = await startPgServer()
progress(`scale-out: embedded PostgreSQL ready in ${server.startMs} ms`)
try {
  const runs: ThroughputRun[] = []
  if (args.workers.length > 0) {
    const sim = await startSimProcess({ timeScale: args.timeScale, seed: 16 })
    try {
      await addLatency(sim.controlUrl, args.latencyMs)
      for (const n of args.workers) runs.push(await throughput(args, server.url, sim, n))
    } finally {
      await sim.stop()
    }
  }
  const rss = args.parked > 0 ? await parkedRss(args, server.url) : undefined
  await server.stop()
  workerDone({ runs, ...(rss ? { rss } : {}) } satisfies ScaleOutResult)
} catch (error) {
  await server.stop().catch(() => undefined)
  throw error
}
