import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliContext } from '../../src/cli/args.js'
import { workerStoreUrl } from '../../src/cli/commands/worker.js'
import { main } from '../../src/cli/main.js'

// `mx-reconnect worker`: bad flags exit 2 naming the flag; a store that does not open exits 1 naming the
// server without its password. (Running workers: fleet.int.test.ts.)

function capture(): CliContext & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = []
  const errLines: string[] = []
  return {
    outLines,
    errLines,
    out: (line) => void outLines.push(line),
    err: (line) => void errLines.push(line),
    waitForStop: () => new Promise(() => undefined),
    env: {
      MX_NEXUS_URL: 'http://127.0.0.1:9/nexus',
      MX_SSO_URL: 'http://127.0.0.1:9/sso',
      MX_CLIENT_ID: 'c',
      MX_API_KEY: 'k',
    },
  }
}

/** A port that accepts connections and closes them at once: not a PostgreSQL server. */
let closed: Server
let port = 0
beforeAll(async () => {
  closed = createServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  port = (closed.address() as { port: number }).port
})
afterAll(() => new Promise<void>((resolve) => closed.close(() => resolve())))

describe('mx-reconnect worker flags', () => {
  it.each([
    [[], '--store is required'],
    [['--store', 'sqlite:/tmp/x.db'], 'workers need PostgreSQL'],
    [['--store', 'postgres:'], 'workers need PostgreSQL'],
    [['--store', 'postgres://h/db', '--concurrency', '0'], '--concurrency'],
    [['--store', 'postgres://h/db', '--lease-ms', 'soon'], '--lease-ms'],
    [['--store', 'postgres://h/db', '--name', 'a b'], '--name'],
    [['--store', 'postgres://h/db', '--bogus'], 'bogus'],
  ])('%j exits 2 naming the problem', async (argv, message) => {
    const ctx = capture()
    expect(await main(['worker', ...argv], ctx)).toBe(2)
    expect(ctx.errLines.join('\n')).toContain(message)
  })

  it('missing MX settings exit 2 naming them', async () => {
    const ctx = { ...capture(), env: {} }
    expect(await main(['worker', '--store', 'postgres://h/db'], ctx)).toBe(2)
    expect(ctx.errLines.join('\n')).toContain('MX_NEXUS_URL')
  })

  it('accepts postgres:URL and a bare URL', () => {
    expect(workerStoreUrl('postgres:postgres://u:p@h:5432/db')).toBe('postgres://u:p@h:5432/db')
    expect(workerStoreUrl('postgresql://u@h/db')).toBe('postgresql://u@h/db')
  })

  it('a URL that does not connect exits 1, naming the server but never the password', async () => {
    const ctx = capture()
    const code = await main(
      ['worker', '--store', `postgres:postgres://mx:hunter2secret@127.0.0.1:${port}/mx`],
      ctx,
    )
    expect(code).toBe(1)
    const text = ctx.errLines.join('\n')
    expect(text).toContain(`127.0.0.1:${port}`)
    expect(text).not.toContain('hunter2secret')
  })
})
