import { Clock, Duration, Effect, Exit, Random } from 'effect'
import { describe, expect, it } from 'vitest'
import { DecodeError, HttpError, TransportError } from '../../src/domain/index.js'
import type { NexusError } from '../../src/domain/index.js'
import type { LogLine, RetryBudget } from '../../src/services/config.js'
import { budgetFor, retryAfterFirst, retryDelayMs, withRetry } from '../../src/services/retry.js'
import type { RequestKind } from '../../src/services/retry.js'

// Written against src/services/retry.ts as changed for the fiber-less path (ca20032, decision 0006).
// Oracle: `retryAfterFirst`'s contract, "what `withRetry(attempt, …)` does once its first attempt has
// failed with `error`": for every error, kind and budget, the two must fail or succeed alike, run the
// attempt the same number of times, wait the same delays and log the same lines. Also `budgetFor` (reads
// for a read, writes for anything else) and the retry log line's documented fields (LogLine).

const where = { api: 'nexus', method: 'GET', path: '/members/MBR-1' } as const
const http = (status: number, retryAfterMs?: number) =>
  new HttpError({ ...where, status, retryAfterMs, message: `HTTP ${status}` })
const transport = (reason: TransportError['reason'], sent: boolean) =>
  new TransportError({ ...where, reason, sent, message: reason })
const decode = new DecodeError({ ...where, issues: [], message: 'bad' })

/** A clock whose sleeps return at once and are recorded. */
const recordingClock = (sleeps: number[]): Clock.Clock => {
  const real = Clock.make()
  return {
    ...real,
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => 0,
    currentTimeMillis: Effect.succeed(0),
    unsafeCurrentTimeNanos: () => 0n,
    currentTimeNanos: Effect.succeed(0n),
    sleep: (duration) => Effect.sync(() => void sleeps.push(Duration.toMillis(duration))),
  }
}

/** Runs `run(attempt)` where `attempt` fails with `rest` in turn, then succeeds. */
async function observe(
  rest: readonly NexusError[],
  run: (
    attempt: Effect.Effect<string, NexusError>,
    log: (l: LogLine) => void,
  ) => Effect.Effect<string, NexusError>,
) {
  let runs = 0
  const sleeps: number[] = []
  const lines: LogLine[] = []
  const attempt = Effect.suspend(() => {
    const error = rest[runs++]
    return error === undefined ? Effect.succeed('ok') : Effect.fail(error)
  })
  const exit = await Effect.runPromiseExit(
    run(attempt, (l) => lines.push(l)).pipe(
      Effect.withClock(recordingClock(sleeps)),
      Effect.withRandom(Random.make('seed')),
    ),
  )
  return { exit, runs, sleeps, lines }
}

const budgets: readonly RetryBudget[] = [
  { reads: 2, writes: 1, baseDelayMs: 100, maxDelayMs: 1_000 },
  { reads: 0, writes: 0, baseDelayMs: 100, maxDelayMs: 1_000 },
  { reads: 1, writes: 0, baseDelayMs: 100, maxDelayMs: 1_000 },
  { reads: 0, writes: 2, baseDelayMs: 100, maxDelayMs: 1_000 },
]
const firsts: readonly NexusError[] = [
  http(503),
  http(502),
  http(429, 300),
  http(503, 5_000),
  http(404),
  transport('connect', false),
  transport('reset', true),
  transport('aborted', true),
  decode,
]
const thens: readonly (readonly NexusError[])[] = [[], [http(503)], [http(503), http(503)], [http(404)]]

describe('retryAfterFirst is withRetry after a failed first attempt', () => {
  const cases = budgets.flatMap((budget) =>
    (['read', 'write'] as const).flatMap((kind) =>
      firsts.flatMap((first) => thens.map((then) => [budget, kind, first, then] as const)),
    ),
  )
  it.each(cases)('budget %j, %s, first %s, then %j', async (budget, kind: RequestKind, first, then) => {
    const whole = await observe([first, ...then], (attempt, log) =>
      withRetry(attempt, kind, budget, where, log),
    )
    const split = await observe(then, (attempt, log) =>
      retryAfterFirst(first, attempt, kind, budget, where, log),
    )
    expect(split.runs + 1).toBe(whole.runs)
    expect(split.sleeps).toEqual(whole.sleeps)
    expect(split.lines).toEqual(whole.lines)
    expect(Exit.isSuccess(split.exit)).toBe(Exit.isSuccess(whole.exit))
    if (Exit.isFailure(whole.exit)) expect(split.exit).toEqual(whole.exit)
  })

  it('retries a transient first failure within budget (not only fails it)', async () => {
    const budget = budgets[0]!
    const split = await observe([], (attempt, log) =>
      retryAfterFirst(http(503), attempt, 'read', budget, where, log),
    )
    expect(Exit.isSuccess(split.exit)).toBe(true)
    expect(split.runs).toBe(1)
    const none = await observe([], (attempt, log) =>
      retryAfterFirst(http(503), attempt, 'read', budgets[1]!, where, log),
    )
    expect(none.exit).toEqual(Exit.fail(http(503)))
    expect(none.runs).toBe(0)
  })
})

describe('retryDelayMs at the longest wait', () => {
  it('a Retry-After of exactly maxDelayMs is honoured (only a longer one is surfaced)', () => {
    const budget = { reads: 1, writes: 1, baseDelayMs: 100, maxDelayMs: 1_000 }
    expect(retryDelayMs(http(429, 1_000), 0, budget, 0.5)).toBe(1_000)
    expect(retryDelayMs(http(429, 1_001), 0, budget, 0.5)).toBeUndefined()
  })
})

describe('budgetFor and the retry log line', () => {
  it('reads spend the read budget, writes the write budget', () => {
    const budget = { reads: 3, writes: 1, baseDelayMs: 1, maxDelayMs: 1 }
    expect(budgetFor('read', budget)).toBe(3)
    expect(budgetFor('write', budget)).toBe(1)
  })

  it('names the request, the attempt, the wait and the error (and its status for an HttpError)', async () => {
    const budget = { reads: 2, writes: 1, baseDelayMs: 100, maxDelayMs: 1_000 }
    const { lines, sleeps } = await observe([http(503, 250), transport('reset', true)], (attempt, log) =>
      withRetry(attempt, 'read', budget, where, log),
    )
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({
      event: 'retry',
      api: 'nexus',
      method: 'GET',
      path: '/members/MBR-1',
      attempt: 1,
      delayMs: 250,
      error: 'HttpError',
      status: 503,
    })
    expect(lines[1]).toMatchObject({ event: 'retry', attempt: 2, error: 'TransportError' })
    expect(lines[1]).not.toHaveProperty('status')
    expect(lines[1]!.delayMs).toBe(sleeps[1])
    expect(lines[0]!.message).toContain('GET /members/MBR-1')
  })
})
