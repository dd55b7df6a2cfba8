import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReconnector } from '../../src/reconnector/index.js'
import type { LifecycleView } from '../../src/reconnector/index.js'
import { memoryStore } from '../../src/stores/index.js'
import { seedDenied, simEnv, TIME_SCALE } from '../support/sim-env.js'
import { exportedText, installOtel, parentOf, recordWireSecrets, type OtelHarness } from './otel-harness.js'

// The reconnector's counters (issue 17) through an in-memory metric reader, for one member taken from
// DENIED through a credentials prompt and an MFA prompt to CONNECTED. The reconnector parks the lifecycle in
// the store while it waits for the user, so the member runs as several lifecycle runs (one trace each).
// Each counter is checked against what the spans and the simulator's request log say happened.

const USER = 'otel-reconnector-1'

let otel: OtelHarness
let env: Awaited<ReturnType<typeof simEnv>>
let wire: ReturnType<typeof recordWireSecrets>

beforeAll(async () => {
  otel = installOtel()
  wire = recordWireSecrets()
  env = await simEnv({ seed: 21 })
})

afterAll(async () => {
  wire?.stop()
  await env?.close()
  await otel?.close()
})

const attr = (span: ReadableSpan, key: string) => span.attributes[key]

/** `{ value: count }` of one attribute over some spans. */
function tally(spans: readonly ReadableSpan[], key: string, prefix: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const span of spans) {
    const value = `${prefix}=${String(attr(span, key))}`
    out[value] = (out[value] ?? 0) + 1
  }
  return out
}

describe('reconnector counters', () => {
  let spans: ReadableSpan[]
  let done: LifecycleView | undefined
  let memberGuid: string

  beforeAll(async () => {
    const store = memoryStore()
    const r = createReconnector({ client: env.client, store, policy: { timeScale: TIME_SCALE } })
    memberGuid = seedDenied(env.sim, USER)
    const ref = { userId: USER, memberGuid }
    await r.start(ref)
    const asked = await r.settled(memberGuid)
    const fields = asked?.prompt?.type === 'credentials.required' ? asked.prompt.fields : []
    await r.submitCredentials(
      ref,
      fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'challenge' : 'mxuser' })),
    )
    const mfa = await r.settled(memberGuid)
    const challenges = mfa?.prompt?.type === 'mfa.required' ? mfa.prompt.challenges : []
    await r.submitMfa(
      ref,
      challenges.map((c) => ({ guid: c.guid, value: 'correct' })),
    )
    done = await r.settled(memberGuid)
    await r.close()
    await store.close()
    spans = otel.exporter.getFinishedSpans()
  })

  it('connects over several lifecycle runs, each its own tree', () => {
    expect(done?.outcome?.outcome).toBe('connected')
    const roots = spans.filter((s) => parentOf(s) === undefined)
    expect(roots.every((s) => s.name === 'mx.lifecycle')).toBe(true)
    expect(roots.length).toBeGreaterThanOrEqual(3) // started, restored for the credentials, for the answer
    expect(roots.filter((s) => attr(s, 'mx.lifecycle.run') === 'start')).toHaveLength(1)
    const outcomes = roots.map((s) => attr(s, 'mx.lifecycle.outcome')).filter((o) => o !== undefined)
    expect(outcomes).toEqual(['connected'])
    // Parked runs end as `stopped`, with the state they waited in.
    const parked = roots.filter((s) => attr(s, 'mx.lifecycle.status') === 'stopped')
    expect(parked.map((s) => attr(s, 'mx.lifecycle.final_state'))).toEqual(
      expect.arrayContaining(['credentials.awaiting', 'mfa.awaiting']),
    )
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]))
    for (const span of spans.filter((s) => parentOf(s) !== undefined)) {
      const parent = byId.get(parentOf(span)!)
      expect(parent).toBeDefined()
      expect(parent!.spanContext().traceId).toBe(span.spanContext().traceId)
    }
  })

  it('counts runs, states, outcomes, calls and sessions as the spans and the simulator saw them', async () => {
    const roots = spans.filter((s) => s.name === 'mx.lifecycle')
    const steps = spans.filter((s) => s.name.startsWith('mx.lifecycle.step '))
    const calls = spans.filter((s) => attr(s, 'http.request.method') !== undefined)

    expect(await otel.counter('mx_reconnect.lifecycle.runs')).toEqual(
      tally(roots, 'mx.lifecycle.run', 'mx.lifecycle.run'),
    )
    expect(await otel.counter('mx_reconnect.lifecycle.steps')).toEqual(
      tally(steps, 'mx.lifecycle.state', 'mx.lifecycle.state'),
    )
    expect(await otel.counter('mx_reconnect.lifecycle.outcomes')).toEqual({
      'mx.lifecycle.outcome=connected': 1,
    })
    // Every run ended (finished or parked): none is counted as running in any state.
    const active = await otel.counter('mx_reconnect.lifecycle.active')
    expect(Object.keys(active).length).toBeGreaterThan(0)
    expect(Object.values(active).every((n) => n === 0)).toBe(true)

    const callCounts = await otel.counter('mx_reconnect.http.calls')
    const total = Object.values(callCounts).reduce((a, b) => a + b, 0)
    expect(total).toBe(calls.length)
    const attempts = calls.reduce((n, c) => n + 1 + Number(attr(c, 'http.request.resend_count') ?? 0), 0)
    expect(attempts).toBe(env.sim.requests().length)

    const opened = env.sim
      .requests()
      .filter(
        (q) => q.method === 'POST' && q.path === '/sessions' && q.status >= 200 && q.status < 300,
      ).length
    expect(opened).toBeGreaterThan(0)
    expect(await otel.counter('mx_reconnect.sessions.opened')).toEqual({ '': opened })
  })

  it('exports no secret from any run', () => {
    const text = exportedText(spans)
    expect(wire.values.size).toBeGreaterThanOrEqual(3)
    for (const secret of [...wire.values, env.sim.apiKey]) expect(text).not.toContain(secret)
    const words = new Set(text.split(/[^A-Za-z0-9_-]+/))
    for (const value of ['challenge', 'mxuser', 'correct', USER, env.sim.clientId])
      expect(words.has(value)).toBe(false)
  })
})
