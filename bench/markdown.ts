import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { GOAL_ROWS } from './goals.js'
import { round, type Figure } from './harness.js'

// Prints bench/results.json as the Markdown tables docs/benchmarks.md quotes, or (with --update) replaces
// the marked sections of that page (`<!-- results:NAME -->` … `<!-- /results:NAME -->`):
//   npx tsx bench/markdown.ts [--update docs/benchmarks.md] [path/to/results.json]

interface Results {
  readonly startedAt: string
  readonly seconds?: number
  readonly loadAverageAtStart?: number
  readonly commit?: string
  readonly machine: Readonly<Record<string, unknown>>
  readonly figures: readonly Figure[]
}

const argv = process.argv.slice(2)
if (argv[0] === '--compare') {
  // `--compare before.json after.json [big.json…]`: issue 15's goal rows side by side.
  const runs = argv.slice(1).map((file) => JSON.parse(readFileSync(file, 'utf8')) as Results)
  const [before, after, ...more] = runs
  if (!before || !after) throw new Error('--compare needs a before and an after results file')
  const find = (r: Results | undefined, name: string) => r?.figures.find((f) => f.name === name)
  const show = (f: Figure | undefined) =>
    f === undefined || !Number.isFinite(f.value) ? '—' : `${round(f.value)} ${f.unit}`
  const head = (r: Results) => `${r.commit ?? '?'}, load ${String(r.loadAverageAtStart ?? '?')}`
  const lines = [
    `| goal row | goal | before (${head(before)}) | after (${head(after)}) | met after |`,
    '| --- | --- | --- | --- | --- |',
    ...Object.values(GOAL_ROWS).map((name) => {
      const b = find(before, name)
      const a = [after, ...more].map((r) => find(r, name)).find((f) => f && Number.isFinite(f.value))
      const goal = (a ?? b)?.goal ?? ''
      return `| ${name} | ${goal} | ${show(b)} | ${show(a)} | ${a === undefined ? 'not measured' : a.met ? 'yes' : '**no**'} |`
    }),
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  process.exit(0)
}
const update = argv[0] === '--update' ? argv[1] : undefined
const path =
  (update === undefined ? argv[0] : argv[2]) ?? fileURLToPath(new URL('results.json', import.meta.url))
const results = JSON.parse(readFileSync(path, 'utf8')) as Results
const cell = (v: number | null, unit = '') =>
  v === null ? '—' : `${round(v)}${unit === '' ? '' : ` ${unit}`}`
const met = (f: Figure) => (f.met === null ? '—' : f.met ? 'yes' : '**no**')

const table = (rows: readonly Figure[], header: readonly string[], row: (f: Figure) => readonly string[]) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map((f) => `| ${row(f).join(' | ')} |`),
  ].join('\n')

const m = results.machine
const sections: Record<string, string[]> = {}
const machine = [
  `Run ${results.startedAt}${results.commit === undefined ? '' : ` at commit ${results.commit}`}` +
    `${results.seconds === undefined ? '' : `, ${results.seconds} s`}: ${String(m.cpu)}, ${String(m.cores)} cores, ` +
    `${String(m.memoryGiB)} GiB RAM, ${String(m.platform)}, Node ${String(m.node)}; 1-minute load average ` +
    `${String(results.loadAverageAtStart ?? m.loadAverage)} at start, ${String(m.loadAverage)} at end.`,
]
const main = [
  table(
    results.figures.filter((f) => !f.name.startsWith('calls ')),
    ['fig.', 'figure', 'value', 'baseline', 'ratio', 'goal', 'met'],
    (f) => [
      f.figure ?? '',
      f.name,
      cell(f.value, f.unit),
      cell(f.baseline, f.unit),
      cell(f.ratio),
      f.goal,
      met(f),
    ],
  ),
]
sections.machine = machine
sections.table = main
const goalNames = new Set<string>(Object.values(GOAL_ROWS))
sections.goals = [
  table(
    results.figures.filter((f) => goalNames.has(f.name)),
    ['goal row', 'value', 'goal', 'met'],
    (f) => [f.name, cell(Number.isFinite(f.value) ? f.value : null, f.unit), f.goal, met(f)],
  ),
]
const perScenario = results.figures.filter((f) => f.name.startsWith('calls '))
if (perScenario.length > 0) {
  const modes = [...new Set(perScenario.map((f) => f.name.split(' ')[1]!))]
  const scenarios = [...new Set(perScenario.map((f) => f.name.split(' ')[2]!))]
  const get = (mode: string, scenario: string) =>
    perScenario.find((f) => f.name === `calls ${mode} ${scenario}`)
  sections.scenarios = [
    'Measured (mean requests per reconnection, target in brackets; ✗ = the worst member missed the target):',
    '',
    `| scenario | ${modes.map((mode) => `${mode} (target)`).join(' | ')} |`,
    `| --- |${modes.map(() => ' --- ').join('|')}|`,
    ...scenarios.map(
      (s) =>
        `| ${s} | ${modes
          .map((mode) => {
            const f = get(mode, s)
            return f ? `${cell(f.value)} (${cell(f.baseline)})${f.met === false ? ' ✗' : ''}` : '—'
          })
          .join(' | ')} |`,
    ),
  ]
}
if (update === undefined) {
  process.stdout.write(
    `${Object.values(sections)
      .map((l) => l.join('\n'))
      .join('\n\n')}\n`,
  )
} else {
  let page = readFileSync(update, 'utf8')
  for (const [name, body] of Object.entries(sections)) {
    const re = new RegExp(`(<!-- results:${name} -->\\n)[\\s\\S]*?(<!-- /results:${name} -->)`)
    if (!re.test(page)) throw new Error(`${update} has no <!-- results:${name} --> section`)
    page = page.replace(re, (_all, open: string, close: string) => `${open}${body.join('\n')}\n${close}`)
  }
  writeFileSync(update, page)
}
