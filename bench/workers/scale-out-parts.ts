import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { createNexusClient } from '../../src/client/create-nexus-client.js'
import type { PolicyInput } from '../../machines/member-lifecycle/index.js'
import { createReconnector, type Reconnector } from '../../src/reconnector/index.js'
import { postgresStore, type PostgresLifecycleStore } from '../../src/stores/postgres.js'
import { createBoss, pgBossEngine } from '../../src/worker/index.js'
import type { SimInfo } from '../lib/sim-process.js'

// The parts of the scale-out figures (bench/workers/scale-out.ts): `mx-reconnect worker` processes, a host
// that starts members through the pg-boss engine, a fresh database per run on the bench's own embedded
// PostgreSQL, and a process's RSS.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** A worker process (the real CLI). */
export interface WorkerProc {
  readonly name: string
  readonly pid: number
  readonly ready: Promise<void>
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>
}

/** Starts `mx-reconnect worker --store postgres:URL` with `flags`, its Nexus settings from `sim`. */
export function startWorkerProc(
  name: string,
  url: string,
  sim: SimInfo,
  flags: readonly string[],
): WorkerProc {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--store', `postgres:${url}`, '--name', name, ...flags],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        MX_NEXUS_URL: sim.nexusUrl,
        MX_SSO_URL: sim.ssoUrl,
        MX_CLIENT_ID: sim.clientId,
        MX_API_KEY: sim.apiKey,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let stderr = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      if (stderr.includes('taking work from')) resolve()
    })
    void exited.then((code) => reject(new Error(`worker ${name} exited (${String(code)}): ${stderr}`)))
  })
  return {
    name,
    pid: child.pid ?? -1,
    ready,
    async stop() {
      child.kill('SIGTERM')
      return exited
    },
  }
}

/** Resident set size of `pid` in bytes (Linux /proc; NaN elsewhere). */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]
    return kb === undefined ? Number.NaN : Number(kb) * 1024
  } catch {
    return Number.NaN
  }
}

/** Creates database `name` on the server at `serverUrl`; returns its URL. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE "${name}"`)
  } finally {
    await client.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** The partner's application: starts members and queues them for the workers; runs none itself. */
export interface BenchHost {
  readonly store: PostgresLifecycleStore
  readonly reconnector: Reconnector
  /** Starts every member, `lanes` at a time. */
  startAll(members: readonly { userId: string; memberGuid: string }[], lanes?: number): Promise<void>
  close(): Promise<void>
}

/** A host on `url` with the pg-boss engine at concurrency 0. */
export async function startBenchHost(url: string, sim: SimInfo, policy: PolicyInput): Promise<BenchHost> {
  const store = postgresStore(url, { applicationName: 'mx-reconnect-bench-host' })
  await store.ready()
  const boss = createBoss(url)
  boss.on('error', () => undefined)
  const engine = pgBossEngine({ boss })
  const client = createNexusClient({ ...sim, userAgent: 'mx-reconnect/0.1 (bench host)' })
  const reconnector = createReconnector({ client, store, scheduler: engine.scheduler, owner: 'bench-host' })
  await boss.start()
  await engine.start()
  return {
    store,
    reconnector,
    async startAll(members, lanes = 32) {
      let next = 0
      const lane = async () => {
        for (let i = next++; i < members.length; i = next++)
          await reconnector.start({ ...members[i]!, policy })
      }
      await Promise.all(Array.from({ length: lanes }, lane))
      await engine.flush()
    },
    async close() {
      await reconnector.close()
      await engine.flush()
      await boss.stop({ graceful: false, wait: true })
      await client.close()
      await store.close()
    },
  }
}

/** Adds a fixed latency to every Nexus and SSO request of the simulator (a `latency` fault, no limit). */
export async function addLatency(controlUrl: string, latencyMs: number): Promise<void> {
  if (latencyMs <= 0) return
  for (const api of ['nexus', 'sso']) {
    const res = await fetch(`${controlUrl}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'latency', latencyMs, api }),
    })
    if (!res.ok) throw new Error(`simulator refused the latency fault: ${res.status} ${await res.text()}`)
  }
}
