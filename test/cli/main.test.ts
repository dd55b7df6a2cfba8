import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { floatFlag, intFlag, parseFlags, UsageError, type CliContext } from '../../src/cli/args.js'
import { main } from '../../src/cli/main.js'
import { countOf } from '../../src/cli/report/table.js'
import { packageVersion } from '../../src/cli/version.js'

// The `mx-reconnect` dispatcher and flag helpers, in process (reconnector.md "CLI": one-line errors and a
// non-zero exit, never a stack trace).

function capture(): CliContext & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = []
  const errLines: string[] = []
  return {
    outLines,
    errLines,
    out: (line) => void outLines.push(line),
    err: (line) => void errLines.push(line),
    waitForStop: () => Promise.resolve('test'),
  }
}

describe('mx-reconnect dispatcher', () => {
  it.each([['--version'], ['-v'], ['version']])(
    '%s prints the version of package.json, exit 0',
    async (flag) => {
      const ctx = capture()
      const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
      expect(await main([flag], ctx)).toBe(0)
      expect(ctx.outLines).toEqual([pkg.version])
      expect(ctx.errLines).toEqual([])
    },
  )

  it('packageVersion walks up to mx-reconnect’s package.json, from src/ or dist/, and fails elsewhere', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
    expect(packageVersion(resolve('dist/src/cli/main.js'))).toBe(pkg.version)
    expect(packageVersion(resolve('node_modules/xstate/dist/index.js'))).toBe(pkg.version)
    expect(() => packageVersion('/no-such-dir/x.js')).toThrow('cannot find mx-reconnect’s package.json')
  })

  // Issue 17: one range and one message for --time-scale in every command that takes it.
  it.each([
    ['demo', []],
    ['simulate', []],
    ['sweep', ['--users', 'users.json', '--store', 'memory:']],
    ['worker', ['--store', 'postgres://mx@127.0.0.1:1/mx']],
  ])('%s: --time-scale takes 0.001 to 1, with the same message', async (command, base) => {
    for (const bad of ['0.0005', '2', 'fast']) {
      const ctx = capture()
      expect(await main([command, ...base, '--time-scale', bad], ctx)).toBe(2)
      expect(ctx.errLines).toEqual([
        `mx-reconnect ${command}: --time-scale must be a number between 0.001 and 1 (got "${bad}")` +
          ` (run mx-reconnect ${command} --help)`,
      ])
    }
    const help = capture()
    expect(await main([command, '--help'], help)).toBe(0)
    expect(help.outLines.join('\n')).toMatch(/--time-scale X +[^\n]*0\.001 to 1/)
  })

  it('--help lists the commands and exits 0', async () => {
    const ctx = capture()
    expect(await main(['--help'], ctx)).toBe(0)
    expect(ctx.outLines.join('\n')).toMatch(/Usage: mx-reconnect <command>[^]*simulate/)
  })

  it('no command: usage on stderr, exit 2', async () => {
    const ctx = capture()
    expect(await main([], ctx)).toBe(2)
    expect(ctx.errLines.join('\n')).toContain('Usage:')
  })

  it('unknown command: one line, exit 2', async () => {
    const ctx = capture()
    expect(await main(['frobnicate'], ctx)).toBe(2)
    expect(ctx.errLines).toEqual(['mx-reconnect: unknown command "frobnicate" (run mx-reconnect --help)'])
  })

  it.each([
    [['--bogus'], 'unknown flag --bogus'],
    [['--port'], 'flag --port needs a value'],
    [['--port', 'abc'], '--port must be an integer between 0 and 65535 (got "abc")'],
    [['--port', '70000'], '--port must be an integer between 0 and 65535 (got "70000")'],
    [['--time-scale', 'fast'], '--time-scale must be a number between 0.001 and 1 (got "fast")'],
    [['--time-scale', '0'], '--time-scale must be a number between 0.001 and 1 (got "0")'],
    [['--frozen-clock', '--time-scale', '1'], '--frozen-clock and --time-scale do not go together'],
    [['--members', '-1'], 'flag --members needs a value (write --members=-VALUE for one starting with "-")'],
    [['--members=-1'], '--members must be an integer between 0 and 1000000 (got "-1")'],
    [['--json=yes'], 'flag --json does not take a value'],
    [['stray'], 'unexpected argument stray'],
    [['--webhook-url', 'nope'], '--webhook-url must be an http(s) URL (got "nope")'],
  ])('simulate %j: one-line usage error, exit 2', async (argv, message) => {
    const ctx = capture()
    expect(await main(['simulate', ...argv], ctx)).toBe(2)
    expect(ctx.errLines).toEqual([`mx-reconnect simulate: ${message} (run mx-reconnect simulate --help)`])
    expect(ctx.outLines).toEqual([])
  })

  const sweepBase = ['--users', 'users.json', '--store', 'memory:']
  it.each([
    [
      [...sweepBase, '--concurrency', 'abc'],
      '--concurrency must be an integer between 1 and 10000 (got "abc")',
    ],
    [[...sweepBase, '--concurrency', '0'], '--concurrency must be an integer between 1 and 10000 (got "0")'],
    [
      [...sweepBase, '--time-scale', '-1'],
      'flag --time-scale needs a value (write --time-scale=-VALUE for one starting with "-")',
    ],
    [[...sweepBase, '--time-scale=-1'], '--time-scale must be a number between 0.001 and 1 (got "-1")'],
    [
      [...sweepBase, '--time-scale', 'fast'],
      '--time-scale must be a number between 0.001 and 1 (got "fast")',
    ],
    [[...sweepBase, '--frobnicate'], 'unknown flag --frobnicate'],
    [[...sweepBase, '--json=yes'], 'flag --json does not take a value'],
    [[...sweepBase, 'stray'], 'unexpected argument stray'],
    [
      [...sweepBase, '--owner', 'a b'],
      '--owner must be 1-200 letters, digits or . _ : @ - (no spaces or slashes)',
    ],
    [
      [...sweepBase, '--owner', 'x/y'],
      '--owner must be 1-200 letters, digits or . _ : @ - (no spaces or slashes)',
    ],
    [['--store', 'memory:'], '--users FILE is required (or --resume to finish an interrupted sweep)'],
    [
      ['--resume', '--users', 'u.json', '--store', 'sqlite:x.db'],
      '--resume finishes the sweep stored in --store: give it no --users',
    ],
    [
      ['--resume', '--store', 'memory:'],
      '--resume needs --store sqlite:PATH (memory: keeps nothing to resume)',
    ],
    [['--resume'], '--store is required (sqlite:PATH or memory:)'],
  ])('sweep %j: one-line usage error, exit 2, before anything is read', async (argv, message) => {
    const ctx = capture()
    expect(await main(['sweep', ...argv], ctx)).toBe(2)
    expect(ctx.errLines).toEqual([`mx-reconnect sweep: ${message} (run mx-reconnect sweep --help)`])
    expect(ctx.outLines).toEqual([])
  })

  it('sweep --help documents --resume, --owner and the exit codes', async () => {
    const ctx = capture()
    expect(await main(['sweep', '--help'], ctx)).toBe(0)
    const help = ctx.outLines.join('\n')
    expect(help).toMatch(/--resume[^]*--owner NAME/)
    expect(help).toMatch(
      /Exit codes:\n {2}0 {4}every user reachable[^]*\n {2}3 {4}done, but some users failed[^]*\n {2}2 {4}bad flags[^]*\n {2}1 {4}fatal/,
    )
  })

  it('simulate --help prints the flags and exits 0', async () => {
    const ctx = capture()
    expect(await main(['simulate', '--help'], ctx)).toBe(0)
    expect(ctx.outLines.join('\n')).toMatch(/--port N[^]*--seed N[^]*--time-scale X[^]*--members N/)
  })
})

describe('report wording', () => {
  it('countOf: singular for one, plural otherwise, with thousands separators', () => {
    expect(countOf(1, 'session')).toBe('1 session')
    expect(countOf(0, 'session')).toBe('0 sessions')
    expect(countOf(2, 'user')).toBe('2 users')
    expect(countOf(1200, 'request')).toBe('1,200 requests')
  })
})

describe('flag helpers', () => {
  it('intFlag / floatFlag: fallback, parse, range', () => {
    expect(intFlag('n', undefined, 5)).toBe(5)
    expect(intFlag('n', '42', 5, { min: 0 })).toBe(42)
    expect(() => intFlag('n', '4.2', 5)).toThrow(UsageError)
    expect(() => intFlag('n', '', 5)).toThrow('--n must be an integer (got "")')
    expect(() => intFlag('n', '9', 5, { max: 8 })).toThrow('--n must be an integer <= 8 (got "9")')
    expect(floatFlag('x', '0.01', 1, { min: 0 })).toBe(0.01)
    expect(() => floatFlag('x', 'Infinity', 1)).toThrow(UsageError)
    expect(() => floatFlag('x', '-1', 1, { min: 0 })).toThrow('--x must be a number >= 0 (got "-1")')
  })

  it('parseFlags is strict', () => {
    const options = { port: { type: 'string' }, json: { type: 'boolean' } } as const
    expect(parseFlags(['--port', '1', '--json'], options)).toEqual({ port: '1', json: true })
    expect(() => parseFlags(['--nope'], options)).toThrow('unknown flag --nope')
    expect(() => parseFlags(['-x'], options)).toThrow(UsageError)
  })
})
