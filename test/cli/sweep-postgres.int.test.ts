import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import type { KnownStatus } from '../../src/domain/index.js'
import type { SweepReport } from '../../src/reconnector/index.js'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'
import { postgresStore } from '../../src/stores/index.js'
import { useTestDatabase } from '../support/postgres.js'
import { capture } from './demo-capture.js'

// `mx-reconnect sweep --store postgres:URL` (issue 16) against the simulator on 127.0.0.1 port 0 and the
// test run's real PostgreSQL: the same sweep as over SQLite (run here with --run-here), every lifecycle kept
// in the database.

const database = useTestDatabase('cli_sweep')
let sim: Simulator
let dir: string
let env: Record<string, string>
const expected = new Map<string, string>()

const SEEDS: readonly { readonly status: KnownStatus; readonly outcome: string }[] = [
  { status: 'CONNECTED', outcome: 'connected' },
  { status: 'DENIED', outcome: 'awaitingUser' },
  { status: 'LOCKED', outcome: 'needsUserAtInstitution' },
  { status: 'CLOSED', outcome: 'unrecoverable' },
]
const USERS = ['pg-user-a', 'pg-user-b']

beforeAll(async () => {
  sim = await startSimulator({ seed: 16, timeScale: 0.01, challengeTtlMs: 24 * 3_600_000 })
  dir = mkdtempSync(join(tmpdir(), 'mx-sweep-pg-'))
  SEEDS.forEach((seed, i) => {
    const guid = sim.createMember({ userId: USERS[i % USERS.length]!, status: seed.status, password: 'x' })
    expected.set(guid, seed.outcome)
  })
  env = {
    MX_NEXUS_URL: sim.nexusUrl,
    MX_SSO_URL: sim.ssoUrl,
    MX_CLIENT_ID: sim.clientId,
    MX_API_KEY: sim.apiKey,
  }
})

afterAll(async () => {
  await sim.close()
  rmSync(dir, { recursive: true, force: true })
})

async function sweep(args: readonly string[]) {
  const c = capture(env)
  const code = await main(['sweep', ...args], c.ctx)
  return { code, c }
}

describe('mx-reconnect sweep --store postgres:URL', () => {
  it('sweeps every member and keeps every lifecycle in PostgreSQL, printing no password', async () => {
    const users = join(dir, 'users.json')
    writeFileSync(users, JSON.stringify(USERS))
    const url = database()
    const password = decodeURIComponent(new URL(url).password)
    // --run-here: this process is the worker (test/worker/sweep.int.test.ts hands them to worker processes).
    const { code, c } = await sweep(['--users', users, '--store', `postgres:${url}`, '--run-here', '--json'])
    expect(code, c.all()).toBe(0)
    const report = JSON.parse(c.out[0] ?? '') as SweepReport
    expect(Object.fromEntries(report.members.map((m) => [m.memberGuid, m.outcome]))).toEqual(
      Object.fromEntries(expected),
    )
    if (password !== '') expect(c.all()).not.toContain(password)

    const store = postgresStore(url)
    try {
      expect(await store.counts()).toEqual({ running: 0, waiting: 1, done: 3 })
      for (const [guid, outcome] of expected) {
        const record = await store.get(guid)
        expect(record?.status, guid).toBe(outcome === 'awaitingUser' ? 'waiting' : 'done')
        expect((await store.history(guid)).length, guid).toBeGreaterThan(0)
      }
      // The sweep closed its journal; a resume finds nothing left to do.
      expect(await store.openSweeps()).toEqual([])
    } finally {
      await store.close()
    }

    const table = await sweep(['--resume', '--store', url])
    expect(table.code, table.c.all()).toBe(0)
    expect(table.c.out.join('\n')).toMatch(/^Store +postgres:postgres:\/\/\S+ \(schema mx_reconnect\)$/m)
    if (password !== '') expect(table.c.all()).not.toContain(password)
  })
})
