import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { callsPerReconnection } from './figures/calls.js'
import { machineThroughput } from './figures/machine.js'
import { memoryFigures, snapshotFigures } from './figures/memory-figures.js'
import { requestOverhead } from './figures/request-overhead.js'
import { scaleOutFigures } from './figures/scale-out.js'
import {
  bigSweepFigures,
  bigSweepNotRun,
  issue6Figures,
  sessionFigures,
  sweepFigures,
} from './figures/sweep-figures.js'
import { jsonReport } from './goals.js'
import { formatTable, machineInfo, round, writeResults, type Figure } from './harness.js'
import { mergeSizes } from './lib/measuring-store.js'
import { progress } from './lib/progress.js'
import { runWorker } from './lib/worker.js'
import type { EvictionResult } from './workers/eviction.js'
import type { SnapshotResult } from './workers/snapshots.js'
import type { SweepArgs, SweepResult } from './workers/sweep.js'

// `npm run bench` (issues 7, 15): every figure, each against a baseline measured in the same run on the same
// simulator. The human table goes to stdout (with `--json`, one JSON document instead: goal rows with a
// boolean `met`, then the reported figures), progress to stderr, every figure to bench/results.json (or
// `--out`). Benchmarks are not tests: nothing here is asserted by `npm test`. Sizes keep the default run
// under ~10 minutes on a 2-core machine; `--big` adds the 10,000 / 100,000-member SQLite sweeps (many more
// minutes); `--quick` shrinks everything for a smoke run (not comparable with the goals); `--only 1,2,…`
// runs some figures (1–6, issue6, 100k; `snapshots` is figure 5's snapshot sizes alone; `workers` is issue
// 16's scale-out: members/s with 1, 2 and 4 worker processes and a worker's RSS with lifecycles waiting on
// their users, sized by `--workers-members N`, `--workers-parked N` (0 skips the RSS figure),
// `--workers-latency MS`, `--workers-hold S` (RSS samples once all are parked), `--workers-runs 1,2,4`).

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    big: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    sweep: { type: 'string' },
    requests: { type: 'string' },
    'workers-members': { type: 'string' },
    'workers-parked': { type: 'string' },
    'workers-latency': { type: 'string' },
    'workers-hold': { type: 'string' },
    'workers-runs': { type: 'string' },
  },
})
const quick = values.quick
const only = values.only === undefined ? undefined : new Set(values.only.split(','))
const wanted = (figure: string) => only === undefined || only.has(figure)
const BASE_SIZES = quick
  ? { requests: 2_000, rounds: 3, perScenario: 1, sweep: 1_000, warmup: 100, snapshots: 300 }
  : { requests: 20_000, rounds: 7, perScenario: 3, sweep: 10_000, warmup: 500, snapshots: 2_000 }
// `--sweep N` / `--requests N` override the sweep size and figure 1's calls per round (a shorter run on a
// busy machine; the ratios are per member and per call, so they stay comparable).
const SIZES = {
  ...BASE_SIZES,
  ...(values.sweep === undefined ? {} : { sweep: Number(values.sweep) }),
  ...(values.requests === undefined ? {} : { requests: Number(values.requests) }),
}
const MORE = quick
  ? { issue6: 500, waitingBatch: 500, waitingTotal: 2_000, waitingWarm: 1_000, machineMs: 300 }
  : { issue6: 2_000, waitingBatch: 1_000, waitingTotal: 20_000, waitingWarm: 10_000, machineMs: 2_000 }
const BIG = quick ? { small: 1_000, big: 10_000 } : { small: 10_000, big: 100_000 }
const TIME_SCALE = 0.01
const CONCURRENCY = 64
const sweepArgs = (over: Partial<SweepArgs> & Pick<SweepArgs, 'kinds' | 'label'>): SweepArgs => ({
  members: SIZES.sweep,
  concurrency: CONCURRENCY,
  timeScale: TIME_SCALE,
  warmup: 0,
  ...over,
})

/** The commit measured (`-dirty` when src/, machines/ or bench/ differ from it). */
function commit(): string {
  if (process.env.BENCH_COMMIT) return process.env.BENCH_COMMIT
  try {
    const git = (...a: string[]) => execFileSync('git', a, { encoding: 'utf8' }).trim()
    return (
      git('rev-parse', '--short', 'HEAD') +
      (git('status', '--porcelain', '--', 'src', 'machines', 'bench') ? '-dirty' : '')
    )
  } catch {
    return 'unknown'
  }
}

const startedAt = new Date()
const figures: Figure[] = []
const info = machineInfo()
const measuredCommit = commit()
const out = values.out ?? fileURLToPath(new URL('results.json', import.meta.url))
const meta = () => ({
  startedAt: startedAt.toISOString(),
  commit: measuredCommit,
  seconds: round((Date.now() - startedAt.getTime()) / 1000),
  loadAverageAtStart: info.loadAverage,
  quick,
  big: values.big,
  sizes: SIZES,
})
/** Writes what is measured so far, so a failure late in the run keeps the figures before it. */
const checkpoint = () => writeResults(out, figures, startedAt, meta())
progress(
  `machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, node ${info.node}, load ${info.loadAverage}, ` +
    `commit ${measuredCommit}${quick ? ' (quick run)' : ''}`,
)

if (wanted('1'))
  figures.push(
    ...(await requestOverhead({ requests: SIZES.requests, concurrency: 32, rounds: SIZES.rounds })),
  )
checkpoint()

let outcomeTableSizes = mergeSizes([])
if (wanted('2') || wanted('5')) {
  const calls = await callsPerReconnection(SIZES.perScenario)
  if (wanted('2')) figures.push(...calls.figures)
  outcomeTableSizes = mergeSizes(calls.sizes)
}
checkpoint()

if (wanted('3') || wanted('4') || wanted('5')) {
  progress(
    `figures 3–5: sweep worker (${SIZES.sweep} members per run, naive / reconnectMember / sqlite / memory)`,
  )
  const sweep = await runWorker<SweepResult>(
    'sweep',
    sweepArgs({ kinds: ['naive', 'member', 'sqlite', 'memory'], warmup: SIZES.warmup, label: 'sweep' }),
  )
  if (wanted('3')) figures.push(...sessionFigures(sweep))
  if (wanted('4')) figures.push(...sweepFigures(sweep))
  checkpoint()
  if (wanted('5')) {
    progress(`figure 5: eviction worker (${MORE.waitingTotal} members waiting on their user)`)
    const eviction = await runWorker<EvictionResult>('eviction', {
      batch: MORE.waitingBatch,
      warm: MORE.waitingWarm,
      total: MORE.waitingTotal,
      concurrency: CONCURRENCY,
    })
    figures.push(...memoryFigures(sweep, eviction))
    checkpoint()
  }
}

if (wanted('5') || wanted('snapshots')) {
  progress(`figure 5: snapshot sizes over ${SIZES.snapshots} members of the mix`)
  const sizes = await runWorker<SnapshotResult>('snapshots', {
    members: SIZES.snapshots,
    concurrency: CONCURRENCY,
    timeScale: TIME_SCALE,
    imageBytes: 20 * 1024,
  })
  figures.push(...snapshotFigures(sizes, outcomeTableSizes))
  checkpoint()
}

if (wanted('issue6')) {
  progress(`issue 6: sweep of ${MORE.issue6} members at concurrency ${CONCURRENCY}`)
  const small = await runWorker<SweepResult>(
    'sweep',
    sweepArgs({ members: MORE.issue6, kinds: ['sqlite'], label: 'issue6' }),
  )
  figures.push(...issue6Figures(small))
}
checkpoint()

if (values.big && wanted('100k')) {
  progress(`100k: SQLite sweeps of ${BIG.small} and ${BIG.big} members, each in a fresh process`)
  const small = await runWorker<SweepResult>(
    'sweep',
    sweepArgs({ members: BIG.small, kinds: ['sqlite'], label: `big-${BIG.small}` }),
  )
  const big = await runWorker<SweepResult>(
    'sweep',
    sweepArgs({ members: BIG.big, kinds: ['sqlite'], label: `big-${BIG.big}` }),
  )
  figures.push(...bigSweepFigures(small, big))
} else if (only === undefined) {
  figures.push(bigSweepNotRun())
}

if (wanted('6')) figures.push(...(await machineThroughput(MORE.machineMs)))
checkpoint()

if (wanted('workers')) {
  const sized = (flag: string | undefined, fallback: number) => (flag === undefined ? fallback : Number(flag))
  const scaleOut = {
    workers: (values['workers-runs'] ?? '1,2,4')
      .split(',')
      .filter((n) => n.trim() !== '')
      .map(Number),
    members: sized(values['workers-members'], quick ? 150 : 600),
    concurrency: 16,
    latencyMs: sized(values['workers-latency'], 150),
    timeScale: 0.1,
    parked: sized(values['workers-parked'], quick ? 1_000 : 10_000),
    holdSeconds: sized(values['workers-hold'], quick ? 10 : 30),
  }
  progress(
    `scale-out: ${scaleOut.members} members with 1, 2, 4 workers, then ${scaleOut.parked} parked on one worker`,
  )
  figures.push(...(await scaleOutFigures(scaleOut)))
}

checkpoint()
const { seconds } = meta()
if (values.json) {
  process.stdout.write(
    `${JSON.stringify(jsonReport(figures, { ...meta(), machine: machineInfo() }), null, 2)}\n`,
  )
} else {
  const main = figures.filter((f) => !f.name.startsWith('calls '))
  const perScenario = figures.filter((f) => f.name.startsWith('calls '))
  const lines = [
    `mx-reconnect benchmarks — ${startedAt.toISOString()}, commit ${measuredCommit}`,
    `machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB RAM, ${info.platform}, node ${info.node}; ` +
      `load average ${info.loadAverage} at start, ${machineInfo().loadAverage} at end`,
    '',
    formatTable(main),
    '',
    ...main.filter((f) => f.notes !== undefined).map((f) => `- ${f.name}: ${f.notes!}`),
  ]
  if (perScenario.length > 0) {
    lines.push('', 'Figure 2 per scenario (mean requests per reconnection; goal on the worst member):', '')
    lines.push(formatTable(perScenario))
  }
  process.stdout.write(`${lines.join('\n')}\n`)
}
const missed = figures.filter((f) => f.met === false)
progress(
  `done in ${seconds} s; ${figures.length} figures written to ${out}` +
    (missed.length > 0 ? `; goals not met: ${missed.map((f) => f.name).join('; ')}` : ''),
)
