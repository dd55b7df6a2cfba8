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
import { binInvocations, codeBlocks, shellCommands } from './readme.js'

// Issue 17, done when: `npm pack`, installed into a fresh consumer project, typechecks the README's
// examples with moduleResolution nodenext and bundler, and runs the one-member example to `connected`;
// publint and attw find nothing; the README's CLI example runs through the installed bin and stops on
// SIGTERM / SIGINT. Everything offline (see consumer.ts).

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
      const blocks = codeBlocks('sh').filter((block) => block.includes('npx mx-reconnect simulate'))
      expect(blocks).toHaveLength(1)
      const port = await freePort()
      const commands = shellCommands(blocks[0]!.replaceAll('4010', String(port)))
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

  it(
    'Ctrl+C (SIGINT to the process group) stops `npx mx-reconnect simulate`; SIGTERM to the bin exits 0',
    async () => {
      // A terminal's Ctrl+C signals the whole foreground process group: npm, its sh and the bin.
      const args = ['mx-reconnect', 'simulate', '--port', '0', '--json']
      const viaNpx = track(start('npx', args, consumer, npmEnv(), true))
      await viaNpx.printed('"nexusUrl"')
      const npxPort = Number(
        new URL((JSON.parse(viaNpx.output().split('\n')[0]!) as { nexusUrl: string }).nexusUrl).port,
      )
      viaNpx.stop('SIGINT')
      await stoppedCleanly(viaNpx, npxPort)

      const bin = join(consumer, 'node_modules/.bin/mx-reconnect')
      const direct = track(
        start(process.execPath, [bin, 'simulate', '--port', '0'], consumer, { ...process.env }),
      )
      await direct.printed('Stop with Ctrl+C.')
      const directPort = Number(/Nexus URL +http:\/\/127\.0\.0\.1:(\d+)/.exec(direct.output())![1])
      direct.stop('SIGTERM')
      expect(await direct.closed).toEqual({ code: 0, signal: null })
      expect(direct.output()).toContain('simulator stopped (SIGTERM)')
      expect(await refused(directPort)).toBe(true)
    },
    LONG,
  )

  it(
    'every `npx mx-reconnect` line of the README names a command and flags its --help lists; --version',
    async () => {
      const version = await run('npx', ['mx-reconnect', '--version'], { cwd: consumer })
      expect(version.stdout.trim(), describeRun(version)).toBe(pkg.version)
      const invocations = binInvocations()
      expect(invocations.map((i) => i.command)).toEqual(expect.arrayContaining(['demo', 'simulate', 'sweep']))
      // The bin itself for the --help texts (npx's start-up is covered above and costs seconds each).
      const bin = join(consumer, 'node_modules/.bin/mx-reconnect')
      for (const command of new Set(invocations.map((i) => i.command))) {
        const help = await run(process.execPath, [bin, command, '--help'], { cwd: consumer })
        expect(help.code, describeRun(help)).toBe(0)
        for (const { flags, line } of invocations.filter((i) => i.command === command)) {
          for (const flag of flags) expect(help.stdout, `${line}: ${flag}`).toContain(flag)
        }
      }
    },
    LONG,
  )
})
