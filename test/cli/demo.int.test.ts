import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { DEMO_SCENARIOS, scenarioAt } from '../../src/cli/demo/scenarios.js'
import { sqliteStore } from '../../src/stores/index.js'
import { capture, type Captured } from './demo-capture.js'

// `mx-reconnect demo` end to end, in-process through `main` (design: reconnector.md "CLI"): the in-process
// simulator, a SQLite store in a temp dir, every scenario. Time scale 0.005 keeps the user deadline of the
// "never answers" members at 4.5 s; outcomes do not depend on timing (nothing here asserts on time).

const MEMBERS = 60
let dir: string
let dbPath: string
let run: Captured
let code: number

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mx-demo-test-'))
  dbPath = join(dir, 'demo.db')
  run = capture()
  code = await main(
    [
      'demo',
      '--members',
      String(MEMBERS),
      '--concurrency',
      '16',
      '--seed',
      '7',
      '--time-scale',
      '0.005',
      '--db',
      dbPath,
    ],
    run.ctx,
  )
}, 90_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The report row of a scenario, split on runs of 2+ spaces. */
function rowOf(name: string): string[] | undefined {
  return run.out.map((line) => line.split(/ {2,}/)).find((cells) => cells[0] === name)
}

describe('mx-reconnect demo', () => {
  it('exits 0 and says every member ended as its scenario implies', () => {
    expect(code, run.all()).toBe(0)
    expect(run.out).toContain(`Result         all ${MEMBERS} members ended as their scenario implies`)
  })

  it('runs on the messy simulator profile by default (what real MX sends)', () => {
    expect(run.err.some((line) => line.startsWith(`Seeding ${MEMBERS} members (messy simulator)`))).toBe(true)
  })

  it('reports every scenario with its expected outcome met by every member of it', () => {
    expect(MEMBERS).toBeGreaterThanOrEqual(DEMO_SCENARIOS.length)
    for (const scenario of DEMO_SCENARIOS) {
      const row = rowOf(scenario.name)
      expect(row, scenario.name).toBeDefined()
      const members = Array.from({ length: MEMBERS }, (_, i) => scenarioAt(i)).filter(
        (s) => s === scenario,
      ).length
      expect(row).toContain(String(members))
      expect(row).toContain(`${scenario.expected} x${members}`)
      expect(row?.at(-1)).toBe('ok')
    }
  })

  it('covers the outcomes lifecycle.md names for these situations', () => {
    // Independent of the scenario table: what the lifecycle spec says for each situation.
    const expected: Record<string, string> = {
      'good-password': 'connected',
      'multi-mfa': 'connected',
      'wrong-password': 'needsCredentials',
      'wrong-mfa': 'needsMfa',
      'never-credentials': 'needsCredentials',
      'never-mfa': 'needsMfa',
      locked: 'needsUserAtInstitution',
      'bad-request': 'retryLater',
      'oauth-pending': 'needsOAuth',
      closed: 'unrecoverable',
      connected: 'connected',
      // Issue 10: a transient status with no job running gets an aggregation; DISABLED is only paused;
      // a member with no status has nothing to aggregate (§4, §8.0).
      reconnected: 'connected',
      'created-idle': 'connected',
      disabled: 'retryLater',
      'no-status': 'unrecoverable',
    }
    for (const [name, outcome] of Object.entries(expected)) {
      expect(rowOf(name)?.[6], name).toMatch(new RegExp(`^${outcome} x\\d+$`))
    }
  })

  it('prints the time scale, HTTP calls, sessions, wall time and the SQLite path', () => {
    const text = run.out.join('\n')
    expect(text).toMatch(/Time scale {5}0\.005: simulator and lifecycle delays on one clock/)
    expect(text).toMatch(/HTTP calls {5}[\d,]+ sent by the client/)
    expect(text).toMatch(/Sessions {7}\d+ opened/)
    expect(text).toMatch(/Wall time {6}[\d.]+ m?s/)
    expect(run.out).toContain(`SQLite store   ${dbPath}`)
  })

  it('shows progress on stderr as a few plain lines when stderr is not a terminal', () => {
    const progress = run.err.filter((line) => line.startsWith('sweep '))
    expect(progress.length).toBeGreaterThanOrEqual(2)
    expect(progress.length).toBeLessThanOrEqual(6)
    expect(progress.at(-1)).toMatch(new RegExp(`^sweep +${MEMBERS}/${MEMBERS}`))
    expect(run.err.some((line) => line.startsWith('deadline '))).toBe(true)
  })

  it('leaves every lifecycle finished in the SQLite store', async () => {
    const store = sqliteStore(dbPath)
    try {
      const counts = await store.counts()
      expect(counts.done).toBe(MEMBERS)
      expect(await store.unfinished()).toEqual([])
    } finally {
      await store.close()
    }
  })
})

describe('mx-reconnect demo --profile clean', () => {
  it('the readable profile ends every scenario as it implies too', async () => {
    const c = capture()
    const members = DEMO_SCENARIOS.length
    const args = [
      'demo',
      '--members',
      String(members),
      '--profile',
      'clean',
      '--seed',
      '3',
      '--time-scale',
      '0.005',
    ]
    expect(await main(args, c.ctx), c.all()).toBe(0)
    expect(c.err.some((line) => line.includes('(clean simulator)'))).toBe(true)
    expect(c.out).toContain(`Result         all ${members} members ended as their scenario implies`)
  }, 90_000)
})

describe('mx-reconnect demo, bad input', () => {
  it.each([
    [['--members', '0'], /--members must be an integer between 1 and 10000 \(got "0"\)/],
    [['--members', 'many'], /--members must be an integer/],
    [['--concurrency=-1'], /--concurrency must be an integer/],
    [['--time-scale', '0'], /--time-scale must be a number between 0\.001 and 1/],
    [['--frobnicate'], /unknown flag --frobnicate/],
    [['--db'], /flag --db needs a value/],
    [['--profile', 'tidy'], /--profile must be clean or messy \(got "tidy"\)/],
  ])('%j gives one clear line and exit 2', async (args, message) => {
    const c = capture()
    expect(await main(['demo', ...args], c.ctx)).toBe(2)
    expect(c.out).toEqual([])
    expect(c.err).toHaveLength(1)
    expect(c.err[0]).toMatch(message)
    expect(c.err[0]).toMatch(/^mx-reconnect demo: /)
  })

  it('--help prints the usage and exits 0', async () => {
    const c = capture()
    expect(await main(['demo', '--help'], c.ctx)).toBe(0)
    expect(c.out.join('\n')).toMatch(/Usage: mx-reconnect demo/)
  })
})
