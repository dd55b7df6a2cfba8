import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { defaultOwner } from '../../src/cli/sweep/owner.js'
import type { SweepReport } from '../../src/reconnector/index.js'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'
import { sqliteStore } from '../../src/stores/index.js'
import { capture } from './demo-capture.js'

// `mx-reconnect sweep` killed with SIGKILL mid-sweep, then `--resume` (issue 11 item 8). The simulator's
// clock is frozen, so the members' jobs cannot finish while the first process runs: whenever the kill
// lands, every member is still unfinished. The restart uses the same (default) owner, so it takes the dead
// process's leases back at once instead of waiting them out (60 s).

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const USERS = ['resume-user-a', 'resume-user-b']
const LEASE_MS = 60_000

let sim: Simulator
let dir: string
let env: Record<string, string>
const guids: string[] = []

beforeAll(async () => {
  sim = await startSimulator({ seed: 31, timeScale: 0, profile: 'messy' })
  dir = mkdtempSync(join(tmpdir(), 'mx-sweep-resume-'))
  for (let i = 0; i < 6; i++) {
    // A job is running: the lifecycle waits on it (polls from the 3 s floor) and cannot finish while the
    // simulated clock stands still.
    guids.push(sim.createMember({ userId: USERS[i % 2]!, status: 'CONNECTED', aggregating: true }))
  }
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

/** Resolves once every member has a stored lifecycle (read from the file the child writes, WAL). */
async function waitUntilStored(db: string): Promise<void> {
  const store = sqliteStore(db)
  try {
    // A generous bound (the child's start loop is paced): the wait ends on what the file shows, not a time.
    const deadline = Date.now() + 90_000
    for (;;) {
      const records = await Promise.all(guids.map((g) => store.get(g)))
      if (records.every((r) => r !== undefined)) return
      if (Date.now() > deadline) throw new Error('the sweep never stored every member')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } finally {
    await store.close()
  }
}

/**
 * Runs the CLI as a child process and kills it (SIGKILL) once its progress shows the sweep started and
 * every member's lifecycle is stored (the start loop is paced, so progress 0 of N comes first).
 */
async function sweepAndKill(args: readonly string[], db: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sweep', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let printed = ''
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  )
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      printed += chunk.toString('utf8')
      // Printed once every member was journalled (progress 0 of N).
      if (/^sweep 0\/\d+/m.test(printed)) resolve()
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    void exited.then(() => reject(new Error(`the sweep exited before it was killed:\n${printed}`)))
  })
  await waitUntilStored(db)
  child.kill('SIGKILL')
  // Wait until the process is reaped: only then is it provably gone.
  expect(await exited).toBe('SIGKILL')
  return printed
}

describe('mx-reconnect sweep, killed and resumed', () => {
  it('--resume finishes the interrupted sweep at once, with the same owner, and nothing is lost', async () => {
    const users = join(dir, 'users.json')
    writeFileSync(users, JSON.stringify(USERS))
    const db = join(dir, 'resume.db')
    const printed = await sweepAndKill(['--users', users, '--store', `sqlite:${db}`], db)
    expect(printed).toMatch(/^sweep 0\/6/m)

    // The dead run left every member unfinished, its leases held under the stable default owner.
    const store = sqliteStore(db)
    try {
      const records = await Promise.all(guids.map((g) => store.get(g)))
      for (const [i, record] of records.entries()) {
        expect(record, guids[i]).toBeDefined()
        expect(record?.status, guids[i]).not.toBe('done')
      }
      const owners = records.map((r) => r?.owner).filter((o): o is string => o !== null && o !== undefined)
      expect(owners.length).toBeGreaterThan(0)
      for (const owner of owners) expect(owner.startsWith(`${defaultOwner(db)}/`), owner).toBe(true)
    } finally {
      await store.close()
    }

    // The jobs finish at MX while nobody runs; then the restart resumes the sweep from its journal.
    sim.advanceTime(10 * 60_000)
    const c = capture(env)
    const code = await main(['sweep', '--resume', '--store', `sqlite:${db}`, '--json'], c.ctx)
    expect(code, c.all()).toBe(0)
    expect(c.out).toHaveLength(1)
    const report = JSON.parse(c.out[0]!) as SweepReport
    expect(report.members.map((m) => m.memberGuid).sort()).toEqual([...guids].sort())
    for (const m of report.members) expect(m.outcome, m.memberGuid).toBe('connected')
    expect(report.quarantined).toEqual([])
    // It took the dead run's leases over instead of waiting them out (they would have held ~60 s).
    expect(report.durationMs).toBeLessThan(LEASE_MS * 0.75)

    const after = sqliteStore(db)
    try {
      for (const guid of guids) expect((await after.get(guid))?.status, guid).toBe('done')
    } finally {
      await after.close()
    }

    // Nothing is left to resume: the journal is closed.
    const again = capture(env)
    expect(await main(['sweep', '--resume', '--store', `sqlite:${db}`, '--json'], again.ctx)).toBe(0)
    expect((JSON.parse(again.out[0]!) as SweepReport).members).toEqual([])
  })
})
