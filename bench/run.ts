import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { callsPerReconnection } from './figures/calls.js'
import { machineThroughput } from './figures/machine.js'
import { requestOverhead } from './figures/request-overhead.js'
import { memoryFigures, sessionFigures, sweepFigures, issue6Figures } from './figures/sweep-figures.js'
import { formatTable, machineInfo, round, writeResults, type Figure } from './harness.js'
import { mergeSizes } from './lib/measuring-store.js'
import { progress } from './lib/progress.js'
import { runWorker } from './lib/worker.js'
import type { EvictionResult } from './workers/eviction.js'
import type { SweepResult } from './workers/sweep.js'

// `npm run bench` (issue 7): every figure, each against a baseline measured in the same process on the same
// simulator. The human table goes to stdout, progress to stderr, every figure to bench/results.json (on every
// run; `--json` is accepted for scripts that ask for it explicitly).
// Benchmarks are not tests: nothing here is asserted by `npm test`. Sizes are set so the whole run stays
// under 10 minutes on a 2-core machine; `--quick` shrinks them for a smoke run (its results are not
// comparable with the goals). `--only 1,2,…` runs some figures.

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
  },
})
const quick = values.quick
const only = values.only === undefined ? undefined : new Set(values.only.split(','))
const wanted = (figure: string) => only === undefined || only.has(figure)
const SIZES = quick
  ? {
      requests: 2_000,
      rounds: 3,
      perScenario: 1,
      sweep: 1_000,
      naive: 40,
      issue6: 500,
      waitingBatch: 500,
      waitingTotal: 2_000,
      waitingWarm: 1_000,
      machineMs: 300,
    }
  : {
      requests: 20_000,
      rounds: 7,
      perScenario: 3,
      sweep: 10_000,
      naive: 300,
      issue6: 2_000,
      waitingBatch: 1_000,
      waitingTotal: 20_000,
      waitingWarm: 10_000,
      machineMs: 2_000,
    }
const TIME_SCALE = 0.01
const CONCURRENCY = 64

const startedAt = new Date()
const figures: Figure[] = []
const info = machineInfo()
progress(
  `machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, node ${info.node}, load ${info.loadAverage}${quick ? ' (quick run)' : ''}`,
)

if (wanted('1'))
  figures.push(
    ...(await requestOverhead({ requests: SIZES.requests, concurrency: 32, rounds: SIZES.rounds })),
  )

let snapshotSizes = [] as ReturnType<typeof mergeSizes>[]
if (wanted('2') || wanted('5')) {
  const calls = await callsPerReconnection(SIZES.perScenario)
  if (wanted('2')) figures.push(...calls.figures)
  snapshotSizes = calls.sizes
}

if (wanted('3') || wanted('4') || wanted('5')) {
  progress(`figures 3–5: sweep worker (${SIZES.sweep} members per store, naive sample ${SIZES.naive})`)
  const sweep = await runWorker<SweepResult>('sweep', {
    members: SIZES.sweep,
    naiveSample: SIZES.naive,
    concurrency: CONCURRENCY,
    timeScale: TIME_SCALE,
    stores: ['sqlite', 'memory'],
    label: 'sweep',
  })
  if (wanted('3')) figures.push(...sessionFigures(sweep))
  if (wanted('4')) figures.push(...sweepFigures(sweep, SIZES.naive))
  if (wanted('5')) {
    progress(`figure 5: eviction worker (${SIZES.waitingTotal} members waiting on their user)`)
    const eviction = await runWorker<EvictionResult>('eviction', {
      batch: SIZES.waitingBatch,
      warm: SIZES.waitingWarm,
      total: SIZES.waitingTotal,
      concurrency: CONCURRENCY,
    })
    figures.push(...memoryFigures(sweep, eviction, mergeSizes(snapshotSizes)))
  }
}

if (wanted('issue6')) {
  progress(`issue 6: sweep of ${SIZES.issue6} members at concurrency ${CONCURRENCY}`)
  const small = await runWorker<SweepResult>('sweep', {
    members: SIZES.issue6,
    naiveSample: 0,
    concurrency: CONCURRENCY,
    timeScale: TIME_SCALE,
    stores: ['sqlite'],
    label: 'issue6',
  })
  figures.push(...issue6Figures(small))
}

if (wanted('6')) figures.push(...(await machineThroughput(SIZES.machineMs)))

const out = values.out ?? fileURLToPath(new URL('results.json', import.meta.url))
writeResults(out, figures, startedAt, {
  seconds: round((Date.now() - startedAt.getTime()) / 1000),
  loadAverageAtStart: info.loadAverage,
  quick,
})
const main = figures.filter((f) => !f.name.startsWith('calls '))
const perScenario = figures.filter((f) => f.name.startsWith('calls '))
const lines = [
  `mx-reconnect benchmarks — ${startedAt.toISOString()}`,
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
const missed = main.filter((f) => f.met === false)
progress(
  `done in ${round((Date.now() - startedAt.getTime()) / 1000)} s; ${figures.length} figures written to ${out}` +
    (missed.length > 0 ? `; goals not met: ${missed.map((f) => f.name).join('; ')}` : ''),
)
