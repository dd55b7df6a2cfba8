import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { Either, Exit, Fiber, ManagedRuntime } from 'effect'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TransportError } from '../../src/domain/index.js'
import type { ReplyInfo } from '../../src/services/http-errors.js'
import { parseConfig } from '../../src/services/config.js'
import type { LogLine, NexusClientConfig } from '../../src/services/config.js'
import { layerFromConfig } from '../../src/services/layers.js'
import { makeTrafficCounters } from '../../src/services/stats.js'
import { abortedByCaller, dispatcherOf, toTransportError, Transport } from '../../src/services/transport.js'
import type { Dispatch, HttpRequest, TransportService } from '../../src/services/transport.js'

// Written against the mutants Stryker left alive in src/services/transport.ts (docs/testing.md). Oracles:
// docs/errors.md (`TransportError`: `reason` connect / reset / timeout / aborted / other, `sent` false only
// when the request provably never left), the transport's documented contract (one deadline of `timeoutMs`
// per request, measured from its start; an idle transport holds no timer; an aborted or expired request is
// cancelled on the wire; `done` told exactly once; the whole body read), Node's and undici's error codes
// (connect-phase codes mean nothing was sent), and `LogLine.durationMs`.
//
// Time: the deadline timer and `performance.now()` are driven by the test (vitest fake `setTimeout` plus a
// stubbed `performance.now`), and the order of events on the wire by a local server that answers only when
// told: no real-time waits.

interface Held {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly path: string
  /** Resolves when the client closed the request before it was answered. */
  readonly closedEarly: Promise<void>
}

let server: Server
let url = ''
const held: Held[] = []
let onRequest: (() => void) | undefined
let runtime: { dispose(): Promise<void> } | undefined
let fakeNow = 0
const lines: LogLine[] = []

beforeEach(async () => {
  held.length = 0
  lines.length = 0
  server = createServer((req, res) => {
    const closedEarly = new Promise<void>((resolve) =>
      res.on('close', () => {
        if (!res.writableFinished) resolve()
      }),
    )
    req.resume()
    req.on('end', () => {
      held.push({ req, res, path: req.url ?? '', closedEarly })
      onRequest?.()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterEach(async () => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  for (const h of held) if (!h.res.writableEnded) h.res.destroy()
  await runtime?.dispose()
  runtime = undefined
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

/** Resolves once the server holds `n` requests. */
const holding = (n: number) =>
  new Promise<void>((resolve) => {
    const check = () => {
      if (held.length >= n) {
        onRequest = undefined
        resolve()
      }
    }
    onRequest = check
    check()
  })

async function transportOf(extra: Partial<NexusClientConfig> = {}) {
  const parsed = parseConfig({
    nexusUrl: `${url}/base`,
    ssoUrl: url,
    clientId: 'c',
    apiKey: 'k',
    timeoutMs: 1_000,
    logger: (line: LogLine) => lines.push(line),
    ...extra,
  })
  if (Either.isLeft(parsed)) throw parsed.left
  const rt = ManagedRuntime.make(layerFromConfig(parsed.right, makeTrafficCounters()))
  runtime = rt
  const transport: TransportService = await rt.runPromise(Transport)
  const dispatch: Dispatch | undefined = dispatcherOf(transport)
  const request = (path: string): HttpRequest => ({
    api: 'nexus',
    method: 'GET',
    path,
    endpoint: parsed.right.nexus,
    headers: { accept: 'application/json' },
  })
  return { transport, dispatch: dispatch!, request, rt }
}

/** A `done` callback that records its calls. */
const recorder = () => {
  const calls: { reply: ReplyInfo | undefined; error: TransportError | undefined }[] = []
  let wake: (() => void) | undefined
  const settled = new Promise<void>((resolve) => (wake = resolve))
  return {
    calls,
    settled,
    done: (reply: ReplyInfo | undefined, error: TransportError | undefined) => {
      calls.push({ reply, error })
      wake?.()
    },
  }
}

/** Takes over the deadline timer and the clock the transport reads. */
const fakeTime = () => {
  fakeNow = 10_000
  vi.spyOn(performance, 'now').mockImplementation(() => fakeNow)
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
}
/** Moves both the clock and the timers to `at` (absolute, in fake ms). */
const advanceTo = (at: number) => {
  const by = at - fakeNow
  fakeNow = at
  vi.advanceTimersByTime(by)
}

describe('toTransportError (docs/errors.md)', () => {
  const info = { api: 'nexus', method: 'PUT', path: '/members/MBR-1' } as const
  const withCode = (code: string) => Object.assign(new Error('boom'), { code })

  it.each([
    ['ECONNREFUSED', 'connect', false],
    ['ENOTFOUND', 'connect', false],
    ['EAI_AGAIN', 'connect', false],
    ['EHOSTUNREACH', 'connect', false],
    ['ENETUNREACH', 'connect', false],
    ['EADDRNOTAVAIL', 'connect', false],
    ['UND_ERR_CONNECT_TIMEOUT', 'connect', false],
    ['ECONNRESET', 'reset', true],
    ['EPIPE', 'reset', true],
    ['UND_ERR_SOCKET', 'reset', true],
    ['UND_ERR_CLOSED', 'reset', true],
    ['ECONNABORTED', 'reset', true],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout', true],
    ['UND_ERR_BODY_TIMEOUT', 'timeout', true],
    ['ETIMEDOUT', 'timeout', true],
    ['UND_ERR_ABORTED', 'aborted', true],
    ['ABORT_ERR', 'aborted', true],
    ['ERR_SOMETHING_ELSE', 'other', true],
  ] as const)('%s is %s, sent %s', (code, reason, sent) => {
    const error = toTransportError(info, withCode(code), false)
    expect(error).toBeInstanceOf(TransportError)
    expect(error).toMatchObject({ ...info, reason, sent })
    expect(error.message).toContain(code)
    expect(error.message).toContain('PUT /members/MBR-1')
    expect(error.message).toContain(reason)
    expect(error.message).not.toContain('boom')
  })

  it('finds the code on a wrapped cause (fetch-style `cause` chains)', () => {
    const wrapped = new Error('fetch failed', {
      cause: new Error('inner', { cause: withCode('ECONNREFUSED') }),
    })
    expect(toTransportError(info, wrapped, false)).toMatchObject({ reason: 'connect', sent: false })
    // A string code on the outer error wins over the cause's.
    const outer = Object.assign(new Error('x', { cause: withCode('ECONNREFUSED') }), { code: 'ECONNRESET' })
    expect(toTransportError(info, outer, false)).toMatchObject({ reason: 'reset', sent: true })
    // A non-string code is no code: the cause's is read.
    const numeric = Object.assign(new Error('x', { cause: withCode('EPIPE') }), { code: 42 })
    expect(toTransportError(info, numeric, false).reason).toBe('reset')
  })

  it('without a code: an AbortError by its name is aborted; any other error or value is other', () => {
    const abort = new Error('stop')
    abort.name = 'AbortError'
    expect(toTransportError(info, abort, false)).toMatchObject({ reason: 'aborted', sent: true })
    const type = toTransportError(info, new TypeError('bad'), false)
    expect(type).toMatchObject({ reason: 'other', sent: true })
    expect(type.message).toContain('TypeError')
    for (const value of ['text', 42, null, undefined, { code: undefined }]) {
      const error = toTransportError(info, value, false)
      expect(error).toMatchObject({ reason: 'other', sent: true })
      expect(error.message).toContain('unknown')
    }
  })

  it('a deadline is a timeout whatever the cause; it was sent unless the request never started', () => {
    expect(toTransportError(info, withCode('ECONNREFUSED'), true)).toMatchObject({
      reason: 'timeout',
      sent: true,
    })
    expect(toTransportError(info, undefined, true, false)).toMatchObject({ reason: 'timeout', sent: false })
    expect(toTransportError(info, withCode('ECONNRESET'), false, false)).toMatchObject({
      reason: 'reset',
      sent: false,
    })
    expect(toTransportError(info, withCode('ECONNREFUSED'), false, true).sent).toBe(false)
  })

  it('abortedByCaller: an aborted TransportError naming the call', () => {
    const error = abortedByCaller(info)
    expect(error).toBeInstanceOf(TransportError)
    expect(error).toMatchObject({ ...info, reason: 'aborted', sent: true })
    expect(error.message).toBe('PUT /members/MBR-1 was aborted by the caller')
  })
})

describe('one deadline of timeoutMs per request, from its start', () => {
  it('a request started later keeps its own later deadline after an earlier one is answered; none at exactly its time is late', async () => {
    const { dispatch, request } = await transportOf()
    fakeTime()
    const a = recorder()
    const b = recorder()
    dispatch(request('/a'), undefined, a.done) // due at 11_000
    await holding(1)
    advanceTo(10_400)
    dispatch(request('/b'), undefined, b.done) // due at 11_400
    await holding(2)
    held[0]!.res.end('{}')
    await a.settled
    expect(a.calls[0]!.reply?.status).toBe(200)
    advanceTo(11_000)
    expect(b.calls).toHaveLength(0)
    advanceTo(11_399)
    expect(b.calls).toHaveLength(0)
    advanceTo(11_400)
    expect(b.calls).toHaveLength(1)
    expect(b.calls[0]!.error).toMatchObject({ reason: 'timeout', sent: true, path: '/b' })
    // The expired request is cancelled on the wire.
    await held[1]!.closedEarly
  })

  it('requests in flight together: the earliest expires first, the next at its own time, each told once', async () => {
    const { dispatch, request } = await transportOf()
    fakeTime()
    const a = recorder()
    const b = recorder()
    const c = recorder()
    dispatch(request('/a'), undefined, a.done) // 11_000
    await holding(1)
    advanceTo(10_300)
    dispatch(request('/b'), undefined, b.done) // 11_300
    await holding(2)
    advanceTo(10_600)
    dispatch(request('/c'), undefined, c.done) // 11_600
    await holding(3)
    advanceTo(11_000)
    expect([a.calls.length, b.calls.length, c.calls.length]).toEqual([1, 0, 0])
    // Both remaining deadlines passed by the next firing: both expire in it.
    advanceTo(11_700)
    expect([a.calls.length, b.calls.length, c.calls.length]).toEqual([1, 1, 1])
    for (const r of [a, b, c]) expect(r.calls[0]!.error?.reason).toBe('timeout')
    // Each expired request is cancelled on the wire, and told only once.
    await Promise.all(held.map((h) => h.closedEarly))
    expect([a.calls.length, b.calls.length, c.calls.length]).toEqual([1, 1, 1])
  })

  it('an answered request is not failed at its deadline, and the next one, started when none is in flight, gets its own', async () => {
    const { dispatch, request } = await transportOf()
    fakeTime()
    const a = recorder()
    dispatch(request('/a'), undefined, a.done)
    await holding(1)
    held[0]!.res.end('{"ok":1}')
    await a.settled
    // Its deadline is gone with it: nothing fires at its time.
    advanceTo(11_000)
    expect(a.calls).toHaveLength(1)
    advanceTo(50_000)
    const b = recorder()
    dispatch(request('/b'), undefined, b.done)
    await holding(2)
    advanceTo(50_999)
    expect(b.calls).toHaveLength(0)
    advanceTo(51_000)
    expect(b.calls[0]!.error).toMatchObject({ reason: 'timeout', path: '/b' })
  })

  it('a request still queued for a socket when its deadline falls provably never left (sent: false)', async () => {
    const { dispatch, request } = await transportOf({ connections: 1 })
    fakeTime()
    const a = recorder()
    const b = recorder()
    dispatch(request('/a'), undefined, a.done)
    await holding(1)
    dispatch(request('/b'), undefined, b.done) // waits for the only connection
    advanceTo(11_000)
    expect(a.calls[0]!.error).toMatchObject({ reason: 'timeout', sent: true, path: '/a' })
    expect(b.calls[0]!.error).toMatchObject({ reason: 'timeout', sent: false, path: '/b' })
    // It is never sent afterwards: the next request is the next one the server sees.
    vi.useRealTimers()
    const c = recorder()
    dispatch(request('/c'), undefined, c.done)
    await holding(2)
    expect(held.map((h) => h.path)).toEqual(['/base/a', '/base/c'])
    held[1]!.res.end('{}')
    await c.settled
  })
})

describe('cancellation', () => {
  it('an abort before the request reaches a socket settles at once and the request is never sent', async () => {
    const { dispatch, request } = await transportOf({ connections: 1, timeoutMs: 60_000 })
    const a = recorder()
    const b = recorder()
    const c = recorder()
    dispatch(request('/a'), undefined, a.done)
    await holding(1)
    const controller = new AbortController()
    dispatch(request('/b'), controller.signal, b.done)
    controller.abort()
    expect(b.calls).toHaveLength(1)
    expect(b.calls[0]!.error).toMatchObject(abortedByCaller(request('/b')))
    dispatch(request('/c'), undefined, c.done)
    held[0]!.res.end('{}')
    await a.settled
    await holding(2)
    expect(held.map((h) => h.path)).toEqual(['/base/a', '/base/c'])
    held[1]!.res.end('{}')
    await c.settled
    expect(b.calls).toHaveLength(1)
  })

  it('an abort in flight cancels the request on the wire and tells done once; a later abort changes nothing', async () => {
    const { dispatch, request } = await transportOf({ timeoutMs: 60_000 })
    const a = recorder()
    const controller = new AbortController()
    dispatch(request('/a'), controller.signal, a.done)
    await holding(1)
    controller.abort()
    await held[0]!.closedEarly
    expect(a.calls).toEqual([{ reply: undefined, error: abortedByCaller(request('/a')) }])
    // Answered requests stop listening: aborting after the answer tells nothing more.
    const b = recorder()
    const later = new AbortController()
    dispatch(request('/b'), later.signal, b.done)
    await holding(2)
    held[1]!.res.end('{}')
    await b.settled
    later.abort()
    expect(b.calls).toHaveLength(1)
    expect(b.calls[0]!.reply?.status).toBe(200)
  })

  it('an already aborted signal: nothing is sent, done is told with the caller-abort error', async () => {
    const { dispatch, request } = await transportOf()
    const a = recorder()
    dispatch(request('/a'), AbortSignal.abort(), a.done)
    expect(a.calls).toEqual([{ reply: undefined, error: abortedByCaller(request('/a')) }])
  })

  it('an interrupted Effect send cancels its request on the wire', async () => {
    const { transport, request, rt } = await transportOf({ timeoutMs: 60_000 })
    const fiber = rt.runFork(transport.send(request('/a')))
    await holding(1)
    const exit = await rt.runPromise(Fiber.interrupt(fiber))
    expect(Exit.isInterrupted(exit)).toBe(true)
    await held[0]!.closedEarly
    // And the transport keeps working (the deadline list is left clean).
    const again = rt.runPromise(transport.send(request('/b')))
    await holding(2)
    held[1]!.res.end('{"b":1}')
    await expect(again).resolves.toMatchObject({ status: 200, text: '{"b":1}' })
  })
})

describe('replies', () => {
  it('a body in many chunks is read whole, multi-byte characters included', async () => {
    const { dispatch, request } = await transportOf()
    const text = JSON.stringify({ v: 'é€😀'.repeat(40_000) })
    const a = recorder()
    dispatch(request('/a'), undefined, a.done)
    await holding(1)
    const bytes = Buffer.from(text, 'utf8')
    const res = held[0]!.res
    res.writeHead(200, { 'content-length': String(bytes.length) })
    // Cut inside a multi-byte character on purpose.
    res.write(bytes.subarray(0, 1001))
    res.end(bytes.subarray(1001))
    await a.settled
    expect(a.calls[0]!.reply?.text).toBe(text)
  })

  it('the http log line carries the status and the time the exchange took (LogLine.durationMs)', async () => {
    const { dispatch, request } = await transportOf()
    fakeTime()
    const a = recorder()
    dispatch(request('/a'), undefined, a.done)
    await holding(1)
    advanceTo(10_250)
    held[0]!.res.writeHead(201).end('{}')
    await a.settled
    const line = lines.find((l) => l.event === 'http' && l.path === '/a')
    expect(line).toMatchObject({ api: 'nexus', method: 'GET', path: '/a', status: 201, durationMs: 250 })
    const b = recorder()
    dispatch(request('/b'), undefined, b.done)
    await holding(2)
    advanceTo(11_250)
    const failed = lines.find((l) => l.event === 'http' && l.path === '/b')
    expect(failed).toMatchObject({
      api: 'nexus',
      method: 'GET',
      path: '/b',
      error: 'TransportError',
      durationMs: 1_000,
    })
    expect(failed?.message).toContain('timeout')
  })
})
