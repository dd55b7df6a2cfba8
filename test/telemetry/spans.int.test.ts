import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LifecycleOutput } from '../../machines/member-lifecycle/index.js'
import { createMemberLifecycle } from '../../src/bridge/lifecycle.js'
import { stateKey } from '../../src/telemetry/attributes.js'
import { scaledEnv, seedDenied, type ScaledEnv } from '../support/sim-env.js'
import { exportedText, installOtel, parentOf, recordWireSecrets, type OtelHarness } from './otel-harness.js'

// The span tree of one reconnection (issue 17): a DENIED member, credentials that lead to one MFA round,
// the answer, CONNECTED. Real HTTP against the loopback simulator; the SDK's in-memory exporter; the
// AsyncLocalStorage context manager a partner's Node SDK registers.

const USER = 'otel-user-1'
const PASSWORD = 'challenge' // the simulator's test bank: one TEXT challenge (docs/simulator.md)
const USERNAME = 'mxuser'
const ANSWER = 'correct'

let otel: OtelHarness
let env: ScaledEnv
let wire: ReturnType<typeof recordWireSecrets>

beforeAll(async () => {
  otel = installOtel()
  wire = recordWireSecrets()
  env = await scaledEnv({ seed: 17 })
  env.sim.createUser({ id: USER })
})

afterAll(async () => {
  wire?.stop()
  await env?.close()
  await otel?.close()
})

const attr = (span: ReadableSpan, key: string) => span.attributes[key]

describe('span tree of one reconnection', () => {
  let spans: ReadableSpan[]
  let output: LifecycleOutput
  let states: string[]
  let memberGuid: string

  beforeAll(async () => {
    memberGuid = seedDenied(env.sim, USER)
    // Two 503s on the credential list: absorbed by request-level retries (services/retry.ts) inside one call.
    env.sim.faults.inject({ method: 'GET', path: /\/credentials$/, status: 503, times: 2 })
    const lifecycle = createMemberLifecycle(env.client, { clock: env.clock })
    const actor = lifecycle.start({ userId: USER, memberGuid, policy: { userResponseMs: 600_000 } })
    states = [stateKey(actor.getSnapshot().value)]
    actor.subscribe((s) => {
      const key = stateKey(s.value)
      if (key !== states.at(-1)) states.push(key)
    })
    actor.on('credentials.required', ({ fields }) => {
      lifecycle.submitCredentials(
        actor,
        fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? PASSWORD : USERNAME })),
      )
    })
    actor.on('mfa.required', ({ challenges }) => {
      lifecycle.submitMfa(
        actor,
        challenges.map((c) => ({ guid: c.guid, value: ANSWER })),
      )
    })
    output = await new Promise<LifecycleOutput>((resolve) =>
      actor.subscribe({ complete: () => resolve(actor.getSnapshot().output!) }),
    )
    spans = otel.exporter.getFinishedSpans()
  })

  it('connects, and every span belongs to one trace under one lifecycle root', () => {
    expect(output.outcome).toBe('connected')
    const roots = spans.filter((s) => parentOf(s) === undefined)
    expect(roots.map((s) => s.name)).toEqual(['mx.lifecycle'])
    const root = roots[0]!
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([root.spanContext().traceId]))
    expect(attr(root, 'mx.member.guid')).toBe(memberGuid)
    expect(attr(root, 'mx.lifecycle.run')).toBe('start')
    expect(attr(root, 'mx.lifecycle.status')).toBe('done')
    expect(attr(root, 'mx.lifecycle.outcome')).toBe('connected')
    expect(attr(root, 'mx.member.connection_status')).toBe('CONNECTED')
    expect(attr(root, 'mx.lifecycle.attempts.credentials')).toBe(output.attempts.credentials)
    expect(attr(root, 'mx.lifecycle.attempts.mfa')).toBe(output.attempts.mfa)
    expect(attr(root, 'mx.lifecycle.retries')).toBe(output.attempts.service)
  })

  it('has one step span per state the actor passed through, in order, each a child of the root', () => {
    const root = spans.find((s) => s.name === 'mx.lifecycle')!
    const steps = spans
      .filter((s) => s.name.startsWith('mx.lifecycle.step '))
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])
    expect(steps.map((s) => attr(s, 'mx.lifecycle.state'))).toEqual(states)
    expect(states).toEqual(expect.arrayContaining(['loadingMember', 'credentials.awaiting']))
    expect(states.some((s) => s.startsWith('mfa.'))).toBe(true)
    for (const [i, step] of steps.entries()) {
      expect(parentOf(step)).toBe(root.spanContext().spanId)
      expect(step.name).toBe(`mx.lifecycle.step ${states[i]}`)
      expect(attr(step, 'mx.member.guid')).toBe(memberGuid)
      expect(attr(step, 'mx.lifecycle.next_state')).toBe(states[i + 1])
    }
    expect(attr(steps.at(-1)!, 'mx.lifecycle.outcome')).toBe('connected')
  })

  it('puts every HTTP call under the step that made it, with method, route template, status and retries', () => {
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]))
    const calls = spans.filter((s) => attr(s, 'http.request.method') !== undefined)
    expect(calls.length).toBeGreaterThan(5)
    for (const call of calls) {
      const step = byId.get(parentOf(call)!)
      expect(step?.name).toMatch(/^mx\.lifecycle\.step /)
      expect(call.name).toBe(
        `${String(attr(call, 'http.request.method'))} ${String(attr(call, 'url.template'))}`,
      )
      expect(attr(call, 'url.template')).toMatch(/^\/[a-z_.{}/]*$/)
      expect(attr(call, 'server.address')).toBe('127.0.0.1')
      expect(typeof attr(call, 'http.response.status_code')).toBe('number')
    }
    const under = (route: string) =>
      calls
        .filter(
          (c) => `${String(attr(c, 'http.request.method'))} ${String(attr(c, 'url.template'))}` === route,
        )
        .map((c) => String(attr(byId.get(parentOf(c)!)!, 'mx.lifecycle.state')))
    // The session opens for the first call (SSO api token, then POST /sessions), inside the first step.
    expect(under('GET /{client_id}/users/{user_id}/api_token.json')[0]).toBe('loadingMember')
    expect(under('POST /sessions')[0]).toBe('loadingMember')
    expect(under('GET /members/{member_guid}')[0]).toBe('loadingMember')
    expect(under('PUT /members/{member_guid}').every((s) => s.startsWith('credentials.'))).toBe(true)
    expect(under('PUT /members/{member_guid}/resume').every((s) => s.startsWith('mfa.'))).toBe(true)
    expect(under('PUT /members/{member_guid}')).toHaveLength(1)
    expect(under('PUT /members/{member_guid}/resume')).toHaveLength(1)
    for (const call of calls.filter(
      (c) => attr(c, 'mx.api') === 'nexus' && attr(c, 'url.template') !== '/sessions',
    )) {
      expect(attr(call, 'mx.member.guid')).toBe(memberGuid)
    }
    const [listing, ...more] = calls.filter(
      (c) => attr(c, 'url.template') === '/members/{member_guid}/credentials',
    )
    expect(more).toHaveLength(0)
    expect(attr(listing!, 'http.request.resend_count')).toBe(2)
    expect(attr(listing!, 'http.response.status_code')).toBe(200)
    expect(attr(listing!, 'mx.outcome')).toBe('ok')
    expect(listing!.events.map((e) => [e.name, e.attributes?.['error.type']])).toEqual([
      ['retry', '503'],
      ['retry', '503'],
    ])
    expect(
      calls.filter((c) => c !== listing).every((c) => attr(c, 'http.request.resend_count') === undefined),
    ).toBe(true)
    // Every attempt is one request the simulator logged: a call and its retries (http.request.resend_count).
    const attempts = calls.reduce((n, c) => n + 1 + Number(attr(c, 'http.request.resend_count') ?? 0), 0)
    expect(attempts).toBe(env.sim.requests().length)
  })

  it('never exports a secret: API key, tokens, credential values, MFA answers, user or client id', () => {
    const text = exportedText(spans)
    expect(wire.values.size).toBeGreaterThanOrEqual(3) // the API key, an SSO api token, a session token
    for (const secret of [...wire.values, env.sim.apiKey]) {
      expect(secret.length).toBeGreaterThan(8)
      expect(text).not.toContain(secret)
    }
    // Short values are checked word by word (`challenge` is also part of the route `/challenges`).
    const words = new Set(text.split(/[^A-Za-z0-9_-]+/))
    for (const value of [PASSWORD, USERNAME, ANSWER, USER, env.sim.clientId])
      expect(words.has(value)).toBe(false)
    expect(text).not.toContain(USERNAME)
    expect(text).not.toContain(USER)
  })
})

describe('lifecycles running at once', () => {
  it('keeps each call in its own lifecycle trace (the context rides with the fiber, not the scheduler)', async () => {
    otel.exporter.reset()
    const lifecycle = createMemberLifecycle(env.client, { clock: env.clock })
    const users = ['otel-many-1', 'otel-many-2', 'otel-many-3', 'otel-many-4', 'otel-many-5', 'otel-many-6']
    const runs = users.map((userId) => {
      env.sim.createUser({ id: userId })
      const memberGuid = seedDenied(env.sim, userId)
      const actor = lifecycle.start({ userId, memberGuid, policy: { userResponseMs: 600_000 } })
      // Once it asks for credentials the calls are over: cancel, and wait for the end.
      actor.on('credentials.required', () => lifecycle.send(actor, { type: 'cancel' }))
      return new Promise<void>((resolve) => actor.subscribe({ complete: () => resolve() }))
    })
    await Promise.all(runs)
    const spans = otel.exporter.getFinishedSpans()
    const roots = new Map(
      spans.filter((s) => parentOf(s) === undefined).map((s) => [s.spanContext().traceId, s] as const),
    )
    expect(roots.size).toBe(users.length)
    const calls = spans.filter((s) => attr(s, 'http.request.method') !== undefined)
    // Each user needs an SSO token, a session, the member and its credentials: all in that member's trace.
    expect(calls.length).toBeGreaterThanOrEqual(users.length * 4)
    for (const call of calls) {
      const root = roots.get(call.spanContext().traceId)
      expect(root?.name).toBe('mx.lifecycle')
      const guid = attr(call, 'mx.member.guid')
      if (guid !== undefined) expect(guid).toBe(attr(root!, 'mx.member.guid'))
    }
    for (const root of roots.values()) {
      const mine = calls.filter((c) => c.spanContext().traceId === root.spanContext().traceId)
      expect(
        mine
          .map((c) => `${String(attr(c, 'http.request.method'))} ${String(attr(c, 'url.template'))}`)
          .sort(),
      ).toEqual([
        'GET /members/{member_guid}',
        'GET /members/{member_guid}/credentials',
        'GET /{client_id}/users/{user_id}/api_token.json',
        'POST /sessions',
      ])
    }
  })
})
