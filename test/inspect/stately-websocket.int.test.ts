import type { AddressInfo } from 'node:net'
import { createWebSocketInspector } from '@statelyai/inspect'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import { memberLifecycleMachine } from '../../machines/member-lifecycle/index.js'
import type { SecretValue } from '../../src/client/types.js'
import { reconnectMember } from '../../src/reconnect-member.js'
import { TIME_SCALE, simEnv } from '../support/sim-env.js'

// Issue 13, "Done when": a reconnection with `createWebSocketInspector` pointed at a local WebSocket
// server (offline, 127.0.0.1) delivers the machine definition and the lifecycle's events in Stately's
// format, and no secret rides along: not the password, not an MFA answer, not the API key.

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
let server: WebSocketServer
let url: string

interface Received {
  readonly type: string
  readonly sessionId: string
  readonly rootId?: string
  readonly _version: string
  readonly createdAt: string
  readonly definition?: string
  readonly name?: string
  readonly event?: { readonly type: string }
  readonly snapshot?: { readonly value?: unknown; readonly status?: string; readonly output?: unknown }
}

beforeAll(async () => {
  env = await simEnv()
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await env.close()
})

const WRONG_ANSWER = 'answer-Wrong-Q7zX'

describe('createWebSocketInspector → local WebSocket server', () => {
  it('receives the machine definition and the lifecycle events in Stately format, without secrets', async () => {
    const raw: string[] = []
    const connected = new Promise<WebSocket>((resolve) => server.once('connection', resolve))
    const inspector = createWebSocketInspector({ url })
    const socket = await connected
    /** Resolves once the root actor's done snapshot has arrived (event-driven, no timer). */
    const finished = new Promise<void>((resolve) => {
      socket.on('message', (data: Buffer) => {
        const text = data.toString('utf8')
        raw.push(text)
        const m = JSON.parse(text) as Received
        if (m.type === '@xstate.snapshot' && m.snapshot?.status === 'done' && m.sessionId === m.rootId)
          resolve()
      })
    })
    // `challenge` → one TEXT challenge; the first answer is wrong, the second `correct` (simulator.md).
    const memberGuid = env.sim.createMember({
      userId: 'inspect-1',
      institutionCode: 'mxbank',
      username: 'mxuser',
      password: 'old',
      status: 'DENIED',
    })
    let round = 0
    const output = await reconnectMember({
      client: env.client,
      userId: 'inspect-1',
      memberGuid,
      policy: { timeScale: TIME_SCALE },
      inspect: inspector.inspect, // an Observer<InspectionEvent>: no cast
      credentials: ({ fields }): SecretValue[] =>
        fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'challenge' : 'mxuser' })),
      mfa: ({ challenges }): SecretValue[] => {
        round++
        return challenges.map((c) => ({ guid: c.guid, value: round === 1 ? WRONG_ANSWER : 'correct' }))
      },
    })
    await finished
    inspector.stop()
    expect(output.outcome).toBe('connected')
    expect(round).toBeGreaterThanOrEqual(2)

    const messages = raw.map((t) => JSON.parse(t) as Received)
    // Stately's format: every message an inspection event with session, version and time.
    for (const m of messages) {
      expect(['@xstate.actor', '@xstate.event', '@xstate.snapshot']).toContain(m.type)
      expect(typeof m.sessionId).toBe('string')
      expect(typeof m._version).toBe('string')
      expect(typeof m.createdAt).toBe('string')
    }
    // The machine definition, as the Stately inspector draws it.
    const actor = messages.find((m) => m.type === '@xstate.actor' && m.name === memberLifecycleMachine.id)
    expect(actor?.definition).toBeDefined()
    const definition = JSON.parse(actor!.definition!) as { id: string; states: Record<string, unknown> }
    expect(definition.id).toBe(memberLifecycleMachine.id)
    expect(Object.keys(definition.states).sort()).toEqual(
      Object.keys(memberLifecycleMachine.root.states).sort(),
    )
    // The lifecycle's own events and its states, root actor only.
    const root = messages.filter((m) => m.sessionId === actor!.sessionId)
    const events = root.filter((m) => m.type === '@xstate.event').map((m) => m.event?.type)
    expect(events).toContain('credentials.submit')
    expect(events.filter((e) => e === 'mfa.submit').length).toBe(round)
    const snapshots = root.filter((m) => m.type === '@xstate.snapshot')
    expect(snapshots.length).toBeGreaterThan(3)
    expect(snapshots.at(-1)?.snapshot).toMatchObject({ status: 'done', output: { outcome: 'connected' } })

    // No secret anywhere in what went over the wire: no string in any message is a submitted value,
    // and the API key and the wrong answer appear nowhere, not even inside a longer string.
    const wire = raw.join('\n')
    expect(wire.includes(WRONG_ANSWER)).toBe(false)
    expect(wire.includes(env.config.apiKey)).toBe(false)
    const submitted = new Set(['challenge', 'correct', WRONG_ANSWER, 'mxuser'])
    const leaks = messages.flatMap((m) => strings(m)).filter((s) => submitted.has(s))
    expect(leaks).toEqual([])
  })
})

/** Every string value inside `value` (keys excluded). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') {
    // The definition travels as a JSON string: look inside it too.
    if (value.startsWith('{')) return [value, ...strings(JSON.parse(value))]
    return [value]
  }
  if (Array.isArray(value)) return value.flatMap(strings)
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(strings)
  return []
}
