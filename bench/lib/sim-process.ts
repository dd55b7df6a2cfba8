import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Agent, request } from 'undici'

// The simulator in its own process (issue 7, figure 4: "the simulator in its own process so the client's
// CPU is measured apart"), started through the CLI (`mx-reconnect simulate --json`, docs/simulator.md) and
// seeded through its `/_sim/` control routes.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** What `simulate --json` prints on start. */
export interface SimInfo {
  readonly nexusUrl: string
  readonly ssoUrl: string
  readonly mdxUrl: string
  readonly controlUrl: string
  readonly clientId: string
  readonly apiKey: string
}

/** Options for {@link startSimProcess}. */
export interface SimProcessOptions {
  readonly seed?: number
  /** Real time per simulated time (0.01 = a 3 s poll lasts 30 ms; 0 = a stopped clock). */
  readonly timeScale: number
  readonly webhookUrl?: string
}

/** A member to seed (the `/_sim/members` body). */
export interface SeedMember {
  readonly userId: string
  readonly status: string
  readonly password: string
  readonly institutionCode?: string
}

/** A simulator child process. */
export interface SimProcess extends SimInfo {
  readonly pid: number
  /** Seeds members (users are created on the way); returns their guids in order. */
  seed(members: readonly SeedMember[], concurrency?: number): Promise<string[]>
  /** `GET /_sim/stats`. */
  stats(): Promise<{
    readonly requests: number
    readonly sessionsOpened: number
    readonly jobsStarted: number
  }>
  stop(): Promise<void>
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const onExit = (code: number | null) => reject(new Error(`simulator exited early (code ${String(code)})`))
    child.once('exit', onExit)
    lines.once('line', (line) => {
      child.off('exit', onExit)
      lines.close()
      resolve(line)
    })
  })
}

/** Starts `mx-reconnect simulate` on a free port in a child process (control routes on). */
export async function startSimProcess(options: SimProcessOptions): Promise<SimProcess> {
  const args = [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'simulate',
    '--port',
    '0',
    '--seed',
    String(options.seed ?? 1),
    // A stopped clock is its own flag (`--time-scale` takes 0.001 to 1).
    ...(options.timeScale === 0 ? ['--frozen-clock'] : ['--time-scale', String(options.timeScale)]),
    '--json',
    ...(options.webhookUrl === undefined ? [] : ['--webhook-url', options.webhookUrl]),
  ]
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  const info = JSON.parse(await firstLine(child)) as SimInfo
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const agent = new Agent({ connections: 16 })

  const control = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await request(`${info.controlUrl}${path}`, {
      method,
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.body.text()
    if (res.statusCode !== 200)
      throw new Error(`simulator control ${method} ${path}: ${res.statusCode} ${text}`)
    return JSON.parse(text) as T
  }

  return {
    ...info,
    pid: child.pid ?? -1,
    async seed(members, concurrency = 16) {
      const guids = new Array<string>(members.length)
      let next = 0
      const lane = async () => {
        for (let i = next++; i < members.length; i = next++) {
          const m = members[i]!
          const body = await control<{ member: { guid: string } }>('POST', '/members', {
            userId: m.userId,
            status: m.status,
            password: m.password,
            ...(m.institutionCode === undefined ? {} : { institutionCode: m.institutionCode }),
          })
          guids[i] = body.member.guid
        }
      }
      await Promise.all(Array.from({ length: concurrency }, lane))
      return guids
    },
    stats: () => control('GET', '/stats'),
    async stop() {
      await agent.close()
      child.kill('SIGTERM')
      await exited
    },
  }
}
