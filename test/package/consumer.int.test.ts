import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  describeRun,
  freePort,
  installConsumer,
  npmEnv,
  packProject,
  refused,
  ROOT,
  run,
  start,
  type Running,
} from './consumer.js'
import {
  commandOf,
  FINISHES,
  LONG_RUNNING,
  portOf,
  runsToTheEnd,
  stopsCleanly,
  type StopWay,
} from './cli-lines.js'
import { binInvocations, codeBlocks, shellCommands } from './readme.js'
import { createTestDatabase } from '../support/postgres.js'

// Issue 17, done when: `npm pack`, installed into a fresh consumer project, typechecks the README's
// examples with moduleResolution nodenext and bundler, and runs the one-member example to `connected`;
// publint and attw find nothing; every `npx mx-reconnect` line of the README runs through the installed
// bin: each either ends with exit 0 and the output the README promises, or runs until stopped and then
// stops cleanly on Ctrl+C, on `kill` of npx's pid and on SIGTERM to the bin (cli-lines.ts). Everything
// offline (see consumer.ts) but the worker's PostgreSQL, which is the run's local test server.

const work = mkdtempSync(join(tmpdir(), 'mx-reconnect-package-'))
const consumer = join(work, 'consumer')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
let tarball = ''

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc')
// Generous bounds for calls that must succeed (tsc, attw, npm): on a loaded 2-core machine they take minutes.
const LONG = 600_000

const TSCONFIG = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out' },
  bundler: { module: 'preserve', moduleResolution: 'bundler', noEmit: true },
} as const

beforeAll(async () => {
  mkdirSync(join(work, 'pack'))
  tarball = await packProject(join(work, 'pack'))
  const installed = await installConsumer(consumer, tarball)
  if (installed.code !== 0)
    throw new Error(`npm ci --offline in the consumer failed: ${describeRun(installed)}`)
  mkdirSync(join(consumer, 'examples'))
  codeBlocks('ts').forEach((block, i) =>
    writeFileSync(join(consumer, 'examples', `readme-${i + 1}.ts`), block),
  )
  for (const [name, options] of Object.entries(TSCONFIG)) {
    // skipLibCheck as most consumers set it: the package's own .d.ts are checked by attw below, and a
    // full check of every dependency's types (effect, xstate, zod) costs minutes on a loaded machine.
    const compilerOptions = {
      target: 'es2022',
      strict: true,
      skipLibCheck: true,
      types: ['node'],
      ...options,
    }
    writeFileSync(
      join(consumer, `tsconfig.${name}.json`),
      JSON.stringify({ compilerOptions, include: ['examples/*.ts'] }, null, 2),
    )
  }
}, 900_000)

const started: Running[] = []
const track = (running: Running): Running => (started.push(running), running)

afterAll(() => {
  // A failed test may leave a simulator running: end what this file started, then its files.
  for (const running of started) running.stop('SIGKILL')
  rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 })
})

const installed = () => join(consumer, 'node_modules/mx-reconnect')
const bin = () => join(consumer, 'node_modules/.bin/mx-reconnect')

/** The README's script: a simulator in the background, a sweep against it, `kill $SIM`. */
function simulateScript(): string {
  const blocks = codeBlocks('sh').filter((block) => block.includes('npx mx-reconnect simulate'))
  expect(blocks).toHaveLength(1)
  return blocks[0]!
}

const isLongRunning = (line: string): boolean => LONG_RUNNING[commandOf(line)] !== undefined
/** Commands whose README lines run in tests of their own (in parallel with the others), not in order. */
const SEPARATE = ['simulate', 'worker']
const STOP_WAYS: readonly StopWay[] = ['Ctrl+C to the process group', 'SIGTERM to npx', 'SIGTERM to the bin']

const taken = new Set<number>()

/** A port free now and not handed out before in this file (tests here run at once). */
async function takePort(): Promise<number> {
  let free = await freePort()
  while (taken.has(free)) free = await freePort()
  taken.add(free)
  return free
}

/** The line with its fixed `--port N` (the README's) swapped for one from {@link takePort}. */
async function onFreePort(line: string): Promise<string> {
  const port = portOf(line)
  return port === undefined ? line : line.replace(`--port ${port}`, `--port ${await takePort()}`)
}

/** Stops a long-running line each way, all at once (each on its own port), to keep the file's wall time. */
const stopsEveryWay = (line: string, dir: string): Promise<unknown> =>
  Promise.all(STOP_WAYS.map(async (way) => stopsCleanly(await onFreePort(line), dir, way, bin(), track)))

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

/** Waits for a stopped run to end, with every process that held its output gone, and its port free. */
async function stoppedCleanly(running: Running, port: number): Promise<void> {
  await running.closed
  expect(await refused(port), running.output()).toBe(true)
}

describe.concurrent('the packed package in a fresh consumer project', () => {
  it('has at least the README examples to check', () => {
    expect(codeBlocks('ts').length).toBeGreaterThanOrEqual(2)
    expect(codeBlocks('ts').some((block) => block.includes('startSimulator'))).toBe(true)
  })

  it('publint: no error, warning or suggestion (strict)', async () => {
    const data = readFileSync(tarball)
    const { messages, pkg: packed } = await publint({
      pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
      level: 'suggestion',
      strict: true,
    })
    expect(messages.map((message) => formatMessage(message, packed))).toEqual([])
  })

  it(
    'attw: the types resolve for every entry (ESM only: node16 from ESM, bundler)',
    async () => {
      const attw = join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js')
      const result = await run(
        process.execPath,
        [attw, tarball, '--profile', 'esm-only', '--format', 'json'],
        {
          cwd: work,
        },
      )
      expect(result.code, describeRun(result)).toBe(0)
      const report = JSON.parse(result.stdout) as {
        problems: Record<string, { entrypoint: string; resolutionKind?: string }[]>
      }
      // The esm-only profile: a CommonJS `require` of an ESM-only package (node16-cjs) and node10's lack of
      // subpath exports are not problems for a package that is ESM only by decision (docs/decisions).
      const counted = Object.values(report.problems)
        .flat()
        .filter((problem) => problem.resolutionKind !== 'node10' && problem.resolutionKind !== 'node16-cjs')
      expect(counted).toEqual([])
    },
    LONG,
  )

  it('ships dist/, LICENSE and README; no sources, tests or install scripts; maps carry their sources', () => {
    const files = filesUnder(installed()).map((path) => relative(installed(), path))
    expect(files).toContain('LICENSE')
    expect(files).toContain('README.md')
    expect(files).toContain('dist/src/index.js')
    expect(files).toContain('dist/src/index.d.ts')
    expect(
      files.filter((file) => /^(src|test|bench|scripts|machines|coverage|reports)\//.test(file)),
    ).toEqual([])
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([])
    const maps = files.filter((file) => file.endsWith('.js.map'))
    expect(maps.length).toBeGreaterThan(0)
    for (const map of maps) {
      const parsed = JSON.parse(readFileSync(join(installed(), map), 'utf8')) as {
        sources: string[]
        sourcesContent?: (string | null)[]
      }
      expect(parsed.sourcesContent?.length, map).toBe(parsed.sources.length)
      expect(parsed.sourcesContent?.every((content) => typeof content === 'string' && content !== '')).toBe(
        true,
      )
    }
    const manifest = JSON.parse(readFileSync(join(installed(), 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>
    }
    for (const hook of ['prepare', 'preinstall', 'install', 'postinstall'])
      expect(manifest.scripts ?? {}).not.toHaveProperty(hook)
  })

  it(
    'moduleResolution nodenext: the README examples typecheck, and run (the one-member example to connected)',
    async () => {
      const tsc = await run(process.execPath, [TSC, '-p', 'tsconfig.nodenext.json'], { cwd: consumer })
      expect(tsc.code, describeRun(tsc)).toBe(0)
      const outcomes: string[] = []
      for (const [i, block] of codeBlocks('ts').entries()) {
        const example = await run(process.execPath, [join('out', `readme-${i + 1}.js`)], { cwd: consumer })
        expect(example.code, describeRun(example)).toBe(0)
        if (block.includes('startSimulator')) outcomes.push(example.stdout.trim())
      }
      expect(outcomes).toEqual(['connected'])
    },
    LONG,
  )

  it(
    'moduleResolution bundler: the README examples typecheck',
    async () => {
      const tsc = await run(process.execPath, [TSC, '-p', 'tsconfig.bundler.json'], { cwd: consumer })
      expect(tsc.code, describeRun(tsc)).toBe(0)
    },
    LONG,
  )

  it(
    'the README CLI example runs through the installed bin, and `kill $SIM` (SIGTERM to npx) stops the simulator',
    async () => {
      const port = await takePort()
      const commands = shellCommands(simulateScript().replaceAll('4010', String(port)))
      let simulator: Running | undefined
      for (const command of commands) {
        if (command.endsWith('&')) {
          simulator = track(
            start('bash', ['-c', `exec ${command.slice(0, -1).trim()}`], consumer, npmEnv(), true),
          )
          await simulator.printed('Stop with Ctrl+C.')
        } else if (command === 'SIM=$!') {
          expect(simulator).toBeDefined()
        } else if (command === 'kill $SIM') {
          simulator!.child.kill('SIGTERM') // npx's pid, as `kill $SIM` does
          await stoppedCleanly(simulator!, port)
          expect(simulator!.output()).toContain('simulator stopped')
        } else {
          const step = await run('bash', ['-c', command], { cwd: consumer })
          expect(step.code, `${command}\n${describeRun(step)}`).toBe(0)
          if (command.includes(' sweep ')) expect(step.stdout).toMatch(/Members {4}12: /)
        }
      }
      expect(await refused(port)).toBe(true)
    },
    LONG,
  )

  it('every `npx mx-reconnect` line of the README is run by a test here (or the script above)', () => {
    const lines = binInvocations().map((invocation) => invocation.line)
    expect(lines.map(commandOf)).toEqual(
      expect.arrayContaining(['demo', 'diagram', 'inspect', 'simulate', 'worker']),
    )
    const script = shellCommands(simulateScript())
    const unplanned = lines.filter(
      (line) => !script.includes(line) && FINISHES[commandOf(line)] === undefined && !isLongRunning(line),
    )
    expect(unplanned).toEqual([])
  })

  it(
    'the README CLI lines run through the installed bin in order: each ends with exit 0 and the promised output, or stops cleanly on Ctrl+C, on SIGTERM to npx and on SIGTERM to the bin',
    async () => {
      // One directory for all of them, in README order: `inspect` reads the store that `demo` wrote.
      const dir = join(consumer, 'readme-cli')
      mkdirSync(dir)
      const lines = binInvocations()
        .map((invocation) => invocation.line)
        .filter((line) => !SEPARATE.includes(commandOf(line)))
      for (const line of lines) {
        if (FINISHES[commandOf(line)] !== undefined) await runsToTheEnd(line, dir)
        else if (isLongRunning(line)) await stopsEveryWay(line, dir)
      }
    },
    LONG,
  )

  it(
    'the README simulate line through the installed bin stops cleanly on Ctrl+C, on SIGTERM to npx and on SIGTERM to the bin',
    async () => {
      const lines = binInvocations()
        .map((invocation) => invocation.line)
        .filter((line) => commandOf(line) === 'simulate')
      expect(lines.length).toBeGreaterThanOrEqual(1)
      const dir = join(consumer, 'readme-simulate')
      mkdirSync(dir)
      for (const line of lines) await stopsEveryWay(line, dir)
    },
    LONG,
  )

  it(
    'the README worker line, on a real PostgreSQL, stops cleanly on Ctrl+C, on SIGTERM to npx and on SIGTERM to the bin',
    async () => {
      const lines = binInvocations()
        .map((invocation) => invocation.line)
        .filter((line) => commandOf(line) === 'worker')
      expect(lines).toHaveLength(1)
      const database = await createTestDatabase('package_worker')
      try {
        // The README's example URL is a placeholder: this run's database takes its place.
        const line = lines[0]!.replace(/postgres:postgres:\/\/\S+/, `postgres:${database.url}`)
        expect(line).not.toBe(lines[0])
        const dir = join(consumer, 'readme-worker')
        mkdirSync(dir)
        for (const way of STOP_WAYS) await stopsCleanly(line, dir, way, bin(), track)
      } finally {
        await database.drop()
      }
    },
    LONG,
  )

  it(
    'every `npx mx-reconnect` line of the README names a command and flags its --help lists; --version',
    async () => {
      const version = await run('npx', ['mx-reconnect', '--version'], { cwd: consumer })
      expect(version.stdout.trim(), describeRun(version)).toBe(pkg.version)
      const invocations = binInvocations()
      expect(invocations.map((i) => i.command)).toEqual(
        expect.arrayContaining(['demo', 'diagram', 'inspect', 'simulate', 'sweep', 'worker']),
      )
      // The bin itself for the --help texts (npx's start-up is covered above and costs seconds each).
      for (const command of new Set(invocations.map((i) => i.command))) {
        const help = await run(process.execPath, [bin(), command, '--help'], { cwd: consumer })
        expect(help.code, describeRun(help)).toBe(0)
        for (const { flags, line } of invocations.filter((i) => i.command === command)) {
          for (const flag of flags) expect(help.stdout, `${line}: ${flag}`).toContain(flag)
        }
      }
    },
    LONG,
  )
})
