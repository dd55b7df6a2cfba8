import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { RunKind } from './workers/sweep-runs.js'
import type { SweepArgs, SweepResult } from './workers/sweep.js'

// `npm run bench:profile` (issue 15): where figure 4's client CPU goes. Runs the sweep worker once per way
// (naive loop, reconnectMember, memory sweep, SQLite sweep) under V8's sampling profiler and splits each
// process's busy time by layer: XState, Effect, undici, zod, the library's own code (src/, machines/), the
// garbage collector, module loading, the bench's memory sampler, and the rest (Node's own JS and native
// code: sockets, streams, timers, promises, abort signals). Only the timed run is profiled (the worker's
// start, seeding and warm-up are not). Beside the split, each way's CPU per member as figure 4 measures it
// (process.cpuUsage, profiler on: slower than a plain `npm run bench`, read the ratios).

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const KINDS: readonly RunKind[] = ['naive', 'member', 'memory', 'sqlite']

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '300' },
    kinds: { type: 'string', default: KINDS.join(',') },
  },
})
const members = Number(values.members)
const warmup = Number(values.warmup)
const kinds = values.kinds.split(',') as RunKind[]
if (!Number.isInteger(members) || members < 1 || !Number.isInteger(warmup) || warmup < 0)
  throw new Error('--members must be a positive integer and --warmup a non-negative one')
for (const kind of kinds) if (!KINDS.includes(kind)) throw new Error(`--kinds: unknown way ${kind}`)

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string }
}
interface Profile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

const LAYERS = [
  'xstate',
  'effect',
  'undici',
  'zod',
  'library',
  'gc',
  'startup',
  'bench sampler',
  'node and other',
] as const
type Layer = (typeof LAYERS)[number]

function layerOf(frame: ProfileNode['callFrame']): Layer | 'idle' {
  const { functionName: fn, url } = frame
  if (fn === '(idle)') return 'idle'
  if (fn === '(garbage collector)') return 'gc'
  if (/node_modules\/xstate\//.test(url)) return 'xstate'
  if (/node_modules\/(effect|@effect)\//.test(url)) return 'effect'
  if (/node_modules\/undici\//.test(url) || url.startsWith('wasm://')) return 'undici'
  if (/node_modules\/zod\//.test(url)) return 'zod'
  if (url.startsWith(`file://${ROOT}src/`) || url.startsWith(`file://${ROOT}machines/`)) return 'library'
  if (/compileSourceTextModule|compileForInternalLoader/.test(fn) || /node_modules\/tsx\//.test(url))
    return 'startup'
  if (fn === 'memoryUsage') return 'bench sampler'
  return 'node and other'
}

/** Busy ms per layer in one .cpuprofile. */
function split(profile: Profile): Record<Layer, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const out = Object.fromEntries(LAYERS.map((l) => [l, 0])) as Record<Layer, number>
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)
    const layer = node ? layerOf(node.callFrame) : 'node and other'
    if (layer !== 'idle') out[layer] += (profile.timeDeltas[i] ?? 0) / 1000
  })
  return out
}

function profileRun(kind: RunKind, dir: string): Promise<number> {
  const args: SweepArgs = {
    members,
    concurrency: 64,
    timeScale: 0.01,
    kinds: [kind],
    warmup,
    label: `profile-${kind}`,
  }
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', 'bench/workers/sweep.ts', JSON.stringify(args)],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, MX_BENCH_CPU_PROFILE: join(dir, 'run.cpuprofile') },
      },
    )
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => (out += chunk))
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${kind} worker exited with ${code}`))
      const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as SweepResult
      resolve(result.runs[0]?.cpuMsPerMember ?? Number.NaN)
    })
  })
}

const rows: Array<{ kind: RunKind; cpuMs: number; layers: Record<Layer, number> }> = []
for (const kind of kinds) {
  const dir = mkdtempSync(join(tmpdir(), `mx-profile-${kind}-`))
  try {
    const cpuMs = await profileRun(kind, dir)
    const profile = JSON.parse(readFileSync(join(dir, 'run.cpuprofile'), 'utf8')) as Profile
    rows.push({ kind, cpuMs, layers: split(profile) })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const perMember = (ms: number) => (ms / members).toFixed(3)
console.log(`busy ms per member by layer, timed run of ${members} members per way (profiler on)`)
console.log(['layer'.padEnd(16), ...rows.map((r) => r.kind.padStart(9))].join(' '))
for (const layer of [...LAYERS, 'total'] as const) {
  const cells = rows.map((r) =>
    perMember(
      layer === 'total' ? Object.values(r.layers).reduce((a, b) => a + b, 0) : r.layers[layer],
    ).padStart(9),
  )
  console.log([layer.padEnd(16), ...cells].join(' '))
}
const naive = rows.find((r) => r.kind === 'naive')
console.log(['CPU ms/member'.padEnd(16), ...rows.map((r) => r.cpuMs.toFixed(3).padStart(9))].join(' '))
if (naive)
  console.log(
    ['÷ naive'.padEnd(16), ...rows.map((r) => (r.cpuMs / naive.cpuMs).toFixed(2).padStart(9))].join(' '),
  )
