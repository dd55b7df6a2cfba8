import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import type { CliContext } from '../../src/cli/args.js'
import { main } from '../../src/cli/main.js'
import { DEMO_SCENARIOS } from '../../src/cli/demo/scenarios.js'
import type { PageLifecycle } from '../../src/inspect/feed.js'

// `mx-reconnect inspect` and `demo --inspect-page --inspect ws://…`, in process. The stop signal is
// given by the test once it has looked at the page: no timer decides anything here.

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mx-inspect-cli-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/**
 * A context whose stop arrives when `onStop` (run once the page's URL is printed) resolves. The command asks
 * for its stop request before it prints that line (a Ctrl+C right after it must find the listener), and the
 * context checks it did.
 */
function stoppable(onStop: (url: string) => Promise<void>) {
  const out: string[] = []
  const err: string[] = []
  let printedUrl: (url: string) => void = () => undefined
  const urlPrinted = new Promise<string>((resolve) => (printedUrl = resolve))
  let askedBeforeUrl: boolean | undefined
  const urlOf = (line: string) => /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(line)?.[1]
  const ctx: CliContext = {
    out: (line) => void out.push(line),
    err: (line) => {
      err.push(line)
      const url = urlOf(line)
      if (url !== undefined) printedUrl(url)
    },
    waitForStop: async () => {
      askedBeforeUrl = urlOf(err.join('\n')) === undefined
      await onStop(await urlPrinted)
      return 'SIGINT'
    },
  }
  return { ctx, out, err, askedBeforeUrl: () => askedBeforeUrl }
}

describe('mx-reconnect inspect', () => {
  it('serves the page, the SVG and the (empty) store on 127.0.0.1 until stopped', async () => {
    let seen: { page: string; svg: string; list: unknown } | undefined
    const c = stoppable(async (url) => {
      seen = {
        page: await (await fetch(url)).text(),
        svg: await (await fetch(`${url}lifecycle.svg`)).text(),
        list: await (await fetch(`${url}api/lifecycles`)).json(),
      }
    })
    const code = await main(
      ['inspect', '--store', `sqlite:${join(dir, 'none-yet.db')}`, '--port', '0'],
      c.ctx,
    )
    expect(code).toBe(0)
    // Listening for Ctrl+C before saying where the page is (a stop right after that line must not kill it).
    expect(c.askedBeforeUrl()).toBe(true)
    expect(seen?.page).toContain('<title>mx-reconnect inspect</title>')
    expect(seen?.page).not.toMatch(/<script[^>]+src=|<link[^>]+href=["']?https?:/) // nothing from a CDN
    expect(seen?.svg).toContain('id="state:credentials.awaiting"')
    expect(seen?.list).toEqual([])
  })

  it('refuses a store that is not sqlite:PATH (exit 2)', async () => {
    const c = stoppable(() => Promise.resolve())
    expect(await main(['inspect', '--store', 'memory:'], c.ctx)).toBe(2)
    expect(c.err.join('\n')).toContain('--store must be sqlite:PATH')
  })
})

describe('mx-reconnect demo --inspect-page --inspect ws://', () => {
  it('serves the page on the demo store and streams the lifecycles to the WebSocket inspector', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise<void>((resolve) => server.once('listening', resolve))
    const types = new Set<string>()
    server.on('connection', (socket) =>
      socket.on('message', (data: Buffer) => {
        types.add((JSON.parse(data.toString('utf8')) as { type: string }).type)
      }),
    )
    const ws = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
    const members = DEMO_SCENARIOS.length
    let listed: PageLifecycle[] = []
    const c = stoppable(async (url) => {
      listed = (await (await fetch(`${url}api/lifecycles`)).json()) as PageLifecycle[]
    })
    const args = ['demo', '--members', String(members), '--time-scale', '0.005', '--seed', '5']
    const code = await main([...args, '--inspect-page', '--inspect-port', '0', '--inspect', ws], c.ctx)
    await new Promise<void>((resolve) => server.close(() => resolve()))
    expect(code).toBe(0)
    expect(c.err.join('\n')).toMatch(/Inspect page: http:\/\/127\.0\.0\.1:\d+\//)
    expect(listed).toHaveLength(members)
    expect(listed.every((l) => l.status === 'done' && l.outcome !== undefined)).toBe(true)
    expect([...types].sort()).toEqual(['@xstate.actor', '@xstate.event', '@xstate.snapshot'])
  })

  it('refuses --inspect that is not a WebSocket URL (exit 2)', async () => {
    const c = stoppable(() => Promise.resolve())
    expect(await main(['demo', '--inspect', 'http://127.0.0.1:8080'], c.ctx)).toBe(2)
    expect(c.err.join('\n')).toContain('--inspect must be a ws:// or wss:// URL')
  })
})
