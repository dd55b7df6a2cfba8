import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Agent, request } from 'undici'
import { describe, expect, it } from 'vitest'
import type { CliContext } from '../../src/cli/args.js'
import { main } from '../../src/cli/main.js'

// `mx-reconnect simulate`: serves, prints its URLs and keys, seeds members, and shuts down cleanly.

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

interface Info {
  nexusUrl: string
  ssoUrl: string
  mdxUrl: string
  controlUrl: string | null
  clientId: string
  apiKey: string
  seed: number
  members: { userId: string; memberGuid: string; status: string; scenario: string }[]
}

/**
 * A context whose `firstLine` resolves with the first line the command prints (out or err): the tests
 * wait on that event, never on a clock (the test's own timeout bounds the wait).
 */
function capturing(out: string[]) {
  let stop!: (signal: string) => void
  let linesWhenAsked: number | undefined
  let printed!: (line: string) => void
  const firstLine = new Promise<string>((resolve) => (printed = resolve))
  const ctx: CliContext = {
    out: (line) => {
      out.push(line)
      printed(line)
    },
    err: (line) => {
      out.push(`ERR ${line}`)
      printed(`ERR ${line}`)
    },
    waitForStop: () => {
      linesWhenAsked ??= out.length
      return new Promise((resolve) => (stop = resolve))
    },
  }
  // How many lines were printed when the command asked for its stop request: none, so a Ctrl+C right
  // after the lines a caller waits on (URLs, keys) finds the listener in place.
  return { ctx, firstLine, stop: (signal: string) => stop(signal), linesWhenAsked: () => linesWhenAsked }
}

/** The first line printed, or a failure naming the exit code if the command ended without printing. */
async function firstLineOf(firstLine: Promise<string>, done: Promise<number>): Promise<string> {
  return Promise.race([
    firstLine,
    done.then((code) => Promise.reject(new Error(`exited with ${code} before printing`))),
  ])
}

describe('simulate (in process)', () => {
  it('prints JSON info, serves SSO + Nexus + control, seeds members, stops on request', async () => {
    const out: string[] = []
    const { ctx, firstLine, stop, linesWhenAsked } = capturing(out)
    const done = main(
      ['simulate', '--port', '0', '--seed', '42', '--members', '13', '--json', '--frozen-clock'],
      ctx,
    )
    const info = JSON.parse(await firstLineOf(firstLine, done)) as Info
    expect(linesWhenAsked()).toBe(0)
    expect(info).toMatchObject({
      clientId: 'mx-sim-client',
      apiKey: 'sim_7b378804fc399502bce824169cf1ea00',
      seed: 42,
    })
    expect(info.members.map((m) => m.status)).toEqual([
      'CONNECTED',
      'DENIED',
      'DENIED',
      'CHALLENGED',
      'PREVENTED',
      'EXPIRED',
      'REJECTED',
      'LOCKED',
      'CONNECTED',
      'CONNECTED',
      'IMPAIRED',
      'PENDING',
      'DEGRADED',
    ])
    const agent = new Agent()
    const sso = await request(
      `${info.ssoUrl}/${info.clientId}/users/${info.members[0]!.userId}/api_token.json`,
      {
        headers: { 'MD-API-KEY': info.apiKey },
        dispatcher: agent,
      },
    )
    expect(sso.statusCode).toBe(200)
    await sso.body.dump()
    const stats = await request(`${info.controlUrl!}/stats`, { dispatcher: agent })
    expect(((await stats.body.json()) as { apiTokensIssued: number }).apiTokensIssued).toBe(1)
    await agent.close()
    stop('SIGTERM')
    expect(await done).toBe(0)
    await expect(request(info.nexusUrl, { dispatcher: new Agent() })).rejects.toThrow()
  })

  it('--profile messy serves what real MX sends; the default is clean; a bad profile is a usage error', async () => {
    const read = async (profile: string[]) => {
      const { ctx, firstLine, stop } = capturing([])
      const done = main(
        ['simulate', '--port', '0', '--seed', '9', '--json', '--frozen-clock', ...profile],
        ctx,
      )
      const info = JSON.parse(await firstLineOf(firstLine, done)) as Info & { profile: string }
      const agent = new Agent()
      const seeded = await request(`${info.controlUrl!}/members`, {
        method: 'POST',
        body: JSON.stringify({ userId: 'p-user', status: 'CONNECTED' }),
        dispatcher: agent,
      })
      // The full state of every member carries the member exactly as GET /members/{guid} renders it.
      const { member } = (await seeded.body.json()) as { member: { member: Record<string, unknown> } }
      await agent.close()
      stop('SIGTERM')
      expect(await done).toBe(0)
      return { profile: info.profile, keys: Object.keys(member.member) }
    }
    const clean = await read([])
    expect(clean.profile).toBe('clean')
    expect(clean.keys).toEqual(expect.arrayContaining(['use_cases', 'institution_code', 'is_oauth']))
    const messy = await read(['--profile', 'messy'])
    expect(messy.profile).toBe('messy')
    // Seed 9's first member gets one of the real examples' shapes: fewer keys than the clean member.
    expect(messy.keys.length).not.toBe(clean.keys.length)
    const lines: string[] = []
    const ctx: CliContext = {
      out: () => undefined,
      err: (l) => void lines.push(l),
      waitForStop: () => Promise.resolve('x'),
    }
    expect(await main(['simulate', '--profile', 'real'], ctx)).toBe(2)
    expect(lines[0]).toMatch(/--profile must be clean or messy \(got "real"\)/)
  })

  it('a port in use is a one-line error, exit 1', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    const lines: string[] = []
    const ctx: CliContext = {
      out: () => undefined,
      err: (l) => void lines.push(l),
      waitForStop: () => Promise.resolve('x'),
    }
    try {
      expect(await main(['simulate', '--port', String(port)], ctx)).toBe(1)
      expect(lines).toEqual([
        `mx-reconnect simulate: port ${port} is already in use (choose another with --port, or --port 0)`,
      ])
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
  })
})

describe('simulate (as a process)', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('shuts down cleanly on %s with exit 0', async (signal) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'simulate', '--port', '0', '--seed', '7'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let printed = ''
    let errors = ''
    child.stderr.on('data', (c: Buffer) => (errors += c.toString('utf8')))
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        printed += c.toString('utf8')
        const found = /Nexus URL\s+(\S+)/.exec(printed)
        if (found?.[1] !== undefined && printed.includes('Stop with Ctrl+C.')) resolve(found[1])
      })
      child.once('exit', () => reject(new Error(`exited early: ${printed}${errors}`)))
    })
    expect(printed).toMatch(/SSO URL\s+http:\/\/127\.0\.0\.1:\d+\/sso/)
    expect(printed).toMatch(/API key\s+sim_[0-9a-f]{32}/)
    const agent = new Agent()
    const r = await request(`${url}/members`, { dispatcher: agent })
    expect(r.statusCode).toBe(401)
    await r.body.dump()
    await agent.close()
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    child.kill(signal)
    expect(await exited).toBe(0)
    expect(printed).toContain(`simulator stopped (${signal})`)
    expect(errors).toBe('')
  })
})
