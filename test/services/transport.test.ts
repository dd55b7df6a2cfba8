import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { Effect, Either, Exit, ManagedRuntime } from 'effect'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TransportError } from '../../src/domain/index.js'
import { parseConfig } from '../../src/services/config.js'
import type { NexusClientConfig } from '../../src/services/config.js'
import { layerFromConfig } from '../../src/services/layers.js'
import { makeTrafficCounters } from '../../src/services/stats.js'
import { Transport } from '../../src/services/transport.js'
import type { HttpRequest } from '../../src/services/transport.js'
import { startScriptedServer } from '../support/scripted-server.js'
import type { ScriptedServer } from '../support/scripted-server.js'

let server: ScriptedServer
beforeAll(async () => {
  server = await startScriptedServer(() => ({ body: { ok: true } }))
})
afterAll(() => server.close())

function transportFor(url: string, extra: Partial<NexusClientConfig> = {}) {
  const parsed = parseConfig({ nexusUrl: `${url}/base/`, ssoUrl: url, clientId: 'c', apiKey: 'k', ...extra })
  if (Either.isLeft(parsed)) throw parsed.left
  const counters = makeTrafficCounters()
  const runtime = ManagedRuntime.make(layerFromConfig(parsed.right, counters))
  const send = (request: Partial<HttpRequest> = {}) =>
    runtime.runPromiseExit(
      Effect.flatMap(Transport, (t) =>
        t.send({
          api: 'nexus',
          method: 'GET',
          path: '/members/MBR-1',
          endpoint: parsed.right.nexus,
          headers: { accept: 'application/json', 'md-session-token': 'SESSION-secret' },
          ...request,
        }),
      ),
    )
  return { send, counters, close: () => runtime.dispose() }
}

const failureOf = <A>(exit: Exit.Exit<A, TransportError>) => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== 'Fail') throw new Error('expected a failure')
  return exit.cause.error
}

async function refusedUrl(): Promise<string> {
  // Bind then release a port so nothing listens on it.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

describe('Transport', () => {
  it('sends method, base path, headers and body, and reads the whole reply', async () => {
    server.setHandler(() => ({ status: 201, headers: { 'x-thing': 'yes' }, body: '{"ok":true}' }))
    const t = transportFor(server.url)
    const exit = await t.send({
      method: 'PUT',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    })
    await t.close()
    expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ status: 201, text: '{"ok":true}' })
    expect(Exit.isSuccess(exit) && exit.value.headers['x-thing']).toBe('yes')
    const seen = server.requests.at(-1)!
    expect(seen).toMatchObject({ method: 'PUT', path: '/base/members/MBR-1', body: '{"a":1}' })
    expect(seen.headers['content-type']).toBe('application/json')
    expect(t.counters.requests).toBe(1)
  })

  it('keeps connections alive across sequential requests', async () => {
    server.setHandler(() => ({ body: {} }))
    const before = server.connections()
    const t = transportFor(server.url)
    for (let i = 0; i < 10; i++) expect(Exit.isSuccess(await t.send())).toBe(true)
    await t.close()
    // undici may hand the next request to a second pooled client while the first is still settling its
    // previous response; either way the sockets are reused rather than one per request.
    expect(server.connections() - before).toBeLessThanOrEqual(2)
    expect(t.counters.requests).toBe(10)
  })

  it('opens no more connections than the limit', async () => {
    server.setHandler(() => ({ body: {}, delayMs: 20 }))
    const before = server.connections()
    const t = transportFor(server.url, { connections: 2 })
    const exits = await Promise.all(Array.from({ length: 12 }, () => t.send()))
    await t.close()
    expect(exits.every(Exit.isSuccess)).toBe(true)
    expect(server.connections() - before).toBeLessThanOrEqual(2)
  })

  it('maps connection refused to a connect TransportError that was provably not sent', async () => {
    const t = transportFor(await refusedUrl())
    const error = failureOf(await t.send())
    await t.close()
    expect(error).toBeInstanceOf(TransportError)
    expect(error).toMatchObject({ reason: 'connect', sent: false, api: 'nexus', method: 'GET' })
    expect(error.message).toContain('ECONNREFUSED')
  })

  it('maps the per-request deadline to a timeout that may have been sent', async () => {
    // A deadline long enough to connect on a busy machine; the reply comes later still (both timers in
    // this process: the earlier one fires first).
    server.setHandler(() => ({ body: {}, delayMs: 3_000 }))
    const t = transportFor(server.url, { timeoutMs: 1_000 })
    const error = failureOf(await t.send())
    await t.close()
    expect(error).toMatchObject({ _tag: 'TransportError', reason: 'timeout', sent: true })
  })

  it('each request keeps its own deadline: an answered one is not failed, a slow one times out, again after', async () => {
    // One timer serves every deadline (src/services/transport.ts, Deadlines): requests in flight together
    // and one sent after the list emptied must each still get theirs.
    server.setHandler((r) => (r.path.endsWith('/slow') ? { body: {}, delayMs: 3_000 } : { body: { ok: 1 } }))
    const t = transportFor(server.url, { timeoutMs: 1_000 })
    const [slow, fast] = await Promise.all([t.send({ path: '/slow' }), t.send({ path: '/fast' })])
    expect(Exit.isSuccess(fast)).toBe(true)
    expect(failureOf(slow)).toMatchObject({ reason: 'timeout', sent: true, path: '/slow' })
    const again = failureOf(await t.send({ path: '/slow' }))
    await t.close()
    expect(again).toMatchObject({ reason: 'timeout', sent: true, path: '/slow' })
  })

  it('maps a dropped connection to a reset', async () => {
    server.setHandler(() => ({ destroy: true }))
    const t = transportFor(server.url)
    const error = failureOf(await t.send())
    await t.close()
    expect(error).toMatchObject({ _tag: 'TransportError', reason: 'reset', sent: true })
  })

  it('maps a body cut short to a TransportError', async () => {
    const raw = createServer((socket) => {
      socket.once('data', () => {
        socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"mem')
      })
    })
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve))
    const t = transportFor(`http://127.0.0.1:${(raw.address() as AddressInfo).port}`)
    const error = failureOf(await t.send())
    await t.close()
    await new Promise<void>((resolve) => raw.close(() => resolve()))
    expect(error).toBeInstanceOf(TransportError)
    expect(error.sent).toBe(true)
  })

  it('a request undici refuses to send is a TransportError that never left, not a defect', async () => {
    const t = transportFor(server.url)
    const before = server.requests.length
    const error = failureOf(await t.send({ headers: { 'md-session-token': 'bad\r\nvalue' } }))
    await t.close()
    expect(error).toMatchObject({ _tag: 'TransportError', sent: false })
    expect(server.requests.length).toBe(before)
  })

  it('never puts header values or the body in the error', async () => {
    server.setHandler(() => ({ destroy: true }))
    const t = transportFor(server.url)
    const error = failureOf(await t.send({ body: '{"value":"BODY-secret"}' }))
    await t.close()
    const text = JSON.stringify(error) + error.message + String(error.stack)
    expect(text).not.toContain('SESSION-secret')
    expect(text).not.toContain('BODY-secret')
  })
})
