import { Effect, Exit, Fiber, TestClock, TestContext } from 'effect'
import { describe, expect, it } from 'vitest'
import { DecodeError, HttpError, TransportError } from '../../src/domain/index.js'
import type { NexusError } from '../../src/domain/index.js'
import type { LogLine } from '../../src/services/config.js'
import { isTransient, retryDelayMs, withRetry } from '../../src/services/retry.js'

const where = { api: 'nexus', method: 'GET', path: '/members/MBR-1' } as const
const http = (status: number, retryAfterMs?: number) =>
  new HttpError({ ...where, status, retryAfterMs, message: `HTTP ${status}` })
const transport = (reason: TransportError['reason'], sent: boolean) =>
  new TransportError({ ...where, reason, sent, message: reason })
const budget = { reads: 3, writes: 2, baseDelayMs: 100, maxDelayMs: 1_000 }

describe('isTransient', () => {
  it.each([
    [transport('connect', false), true, true],
    [transport('reset', true), true, false],
    [transport('timeout', true), true, false],
    [transport('other', true), true, false],
    [transport('aborted', true), false, false],
    [http(429), true, true],
    [http(503), true, true],
    [http(502), true, false],
    [http(504), true, false],
    [http(500), false, false],
    [http(401), false, false],
    [http(404), false, false],
    [new DecodeError({ ...where, issues: [], message: 'bad' }), false, false],
  ] as const)('%s: read %s, write %s', (error, read, write) => {
    expect(isTransient(error, 'read')).toBe(read)
    expect(isTransient(error, 'write')).toBe(write)
  })
})

describe('retryDelayMs', () => {
  it('honours Retry-After exactly, and gives up when it exceeds the longest wait', () => {
    expect(retryDelayMs(http(429, 700), 0, budget, 0.9)).toBe(700)
    expect(retryDelayMs(http(429, 0), 2, budget, 0.9)).toBe(0)
    expect(retryDelayMs(http(503, 1_001), 0, budget, 0)).toBeUndefined()
  })

  it('backs off exponentially with equal jitter, capped', () => {
    expect(retryDelayMs(http(503), 0, budget, 0)).toBe(50)
    expect(retryDelayMs(http(503), 0, budget, 0.999)).toBe(100)
    expect(retryDelayMs(http(503), 2, budget, 0)).toBe(200)
    expect(retryDelayMs(http(503), 10, budget, 0.5)).toBe(750)
  })
})

/** Runs `attempt` under withRetry on the TestClock, advancing virtual time; returns exit, attempts, log. */
function runScripted(errors: readonly NexusError[], kind: 'read' | 'write', advanceMs = 60_000) {
  let attempts = 0
  const lines: LogLine[] = []
  const attempt = Effect.suspend(() => {
    const error = errors[attempts++]
    return error === undefined ? Effect.succeed('ok' as const) : Effect.fail(error)
  })
  const program = Effect.gen(function* () {
    const fiber = yield* Effect.fork(withRetry(attempt, kind, budget, where, (l) => lines.push(l)))
    yield* TestClock.adjust(advanceMs)
    // A fiber still sleeping after the advance has not finished: report it as interrupted.
    const done = yield* Fiber.poll(fiber)
    if (done._tag === 'Some') return done.value
    const stillWaiting = attempts
    yield* Fiber.interrupt(fiber)
    attempts = stillWaiting
    return Exit.interrupt(fiber.id())
  })
  return Effect.runPromise(Effect.provide(program, TestContext.TestContext)).then((exit) => ({
    exit,
    attempts,
    lines,
  }))
}

describe('withRetry', () => {
  it('retries a read through a 503 burst within the budget', async () => {
    const { exit, attempts, lines } = await runScripted([http(503), http(503), http(503)], 'read')
    expect(Exit.isSuccess(exit)).toBe(true)
    expect(attempts).toBe(4)
    expect(lines.map((l) => [l.event, l.attempt, l.status])).toEqual([
      ['retry', 1, 503],
      ['retry', 2, 503],
      ['retry', 3, 503],
    ])
  })

  it('surfaces the last error once the read budget is spent', async () => {
    const { exit, attempts } = await runScripted([http(503), http(503), http(503), http(504)], 'read')
    expect(attempts).toBe(4)
    expect(exit).toEqual(Exit.fail(http(504)))
  })

  it('waits on the clock: nothing is re-sent before the Retry-After has passed', async () => {
    const early = await runScripted([http(429, 800)], 'read', 799)
    expect(early.attempts).toBe(1)
    expect(Exit.isInterrupted(early.exit)).toBe(true)
    const late = await runScripted([http(429, 800)], 'read', 800)
    expect(late.attempts).toBe(2)
    expect(Exit.isSuccess(late.exit)).toBe(true)
    expect(late.lines[0]).toMatchObject({ event: 'retry', delayMs: 800 })
  })

  it('does not repeat a write that may have landed, and repeats one that never left', async () => {
    const timedOut = await runScripted([transport('timeout', true)], 'write')
    expect(timedOut.attempts).toBe(1)
    expect(timedOut.exit).toEqual(Exit.fail(transport('timeout', true)))
    const refused = await runScripted([transport('connect', false), http(503)], 'write')
    expect(refused.attempts).toBe(3)
    expect(Exit.isSuccess(refused.exit)).toBe(true)
  })

  it('spends only the write budget on writes', async () => {
    const { exit, attempts } = await runScripted([http(429), http(503), http(503)], 'write')
    expect(attempts).toBe(3)
    expect(exit).toEqual(Exit.fail(http(503)))
  })

  it('surfaces a Retry-After beyond maxDelayMs at once, for the lifecycle to back off', async () => {
    const { exit, attempts } = await runScripted([http(429, 120_000)], 'read')
    expect(attempts).toBe(1)
    expect(exit).toEqual(Exit.fail(http(429, 120_000)))
  })
})
