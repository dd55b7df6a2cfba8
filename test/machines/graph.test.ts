import { getNextTransitions, type AnyEventObject as EventObject } from 'xstate'
import { getShortestPaths, getStateNodes } from 'xstate/graph'
import { describe, expect, it } from 'vitest'
import { memberLifecycleMachine, OUTCOMES } from '../../machines/member-lifecycle/index.js'
import { challenges, done, failed, fields, http, member } from '../support/lifecycle-fixtures.js'

// xstate/graph path coverage: every state node and every final outcome of the lifecycle is reachable from
// the start with events an actor or a host can produce (architecture.md, house rule 9).

type Snapshot = ReturnType<typeof memberLifecycleMachine.resolveState>

const LATE = Date.UTC(2100, 0, 1) // a read this late is past any job deadline

const reads = (id: string): EventObject[] => [
  ...(
    [
      'CONNECTED',
      'UPDATED',
      'DENIED',
      'CHALLENGED',
      'REJECTED',
      'PENDING',
      'LOCKED',
      'DEGRADED',
      'CLOSED',
      'NEW_IN_2030',
      null,
    ] as const
  ).map((status) => done(id, { member: member(status) })),
  done(id, { member: member('CONNECTED', { is_being_aggregated: true }) }),
  done(id, { member: member('DENIED', { is_oauth: true }) }),
  done(id, { member: member('UPDATED') }, LATE),
]

const serviceErrors = (id: string): EventObject[] => [
  failed(id, http(503), 'retry'),
  failed(id, http(404), 'fatal'),
]

/** Every event that could happen next, per event type the current state accepts. */
function catalogue(eventType: string): EventObject[] {
  const match = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType)
  const kind = match?.[1]
  const id = match?.[2] ?? ''
  if (kind === 'error') {
    const refusals = ['updatingMember', 'resumingAggregation'].includes(id)
      ? [
          failed(id, http(400), 'userAction'),
          failed(id, http(405), 'userAction'),
          failed(id, { _tag: 'NotSent' }, 'userAction'),
        ]
      : id === 'aggregating'
        ? [failed(id, { _tag: 'NotSent' }, 'userAction')]
        : []
    return [...serviceErrors(id), ...refusals]
  }
  if (kind === 'done') {
    switch (id) {
      case 'loadingMember':
      case 'polling':
        return reads(id)
      case 'listingCredentials':
        return [done(id, { fields: [] }), done(id, { fields: fields({}) })]
      case 'listingChallenges':
        return [done(id, { challenges: [] }), done(id, { challenges: challenges('TEXT') })]
      case 'fetchingOAuthUri':
        return [done(id, { uri: 'https://oauth.example/1' })]
      default:
        return [done(id, {})]
    }
  }
  switch (eventType) {
    case 'credentials.submit':
      return [
        { type: 'credentials.submit', submissionId: 's', credentials: [{ guid: 'CRD-0', empty: false }] },
        { type: 'credentials.submit', submissionId: 's', credentials: [{ guid: 'CH-0', empty: false }] },
        { type: 'credentials.submit', submissionId: 's', credentials: [] },
      ]
    case 'mfa.submit':
      return [{ type: 'mfa.submit', submissionId: 's', answers: [{ guid: 'CH-0', empty: false }] }]
    case 'member.webhook':
      return [{ type: 'member.webhook', payload: { kind: 'aggregation', memberGuid: 'MBR-1' } }]
    default:
      return [{ type: eventType }]
  }
}

function eventsFor(snapshot: Snapshot): EventObject[] {
  const types = new Set<string>(
    getNextTransitions(snapshot)
      .map((t) => {
        const type: unknown = t.eventType
        return typeof type === 'string' ? type : ''
      })
      .filter((t) => t !== ''),
  )
  return [...types].flatMap((type: string) => catalogue(type))
}

// Budgets of 1 keep the state space small while every exhaustion path stays reachable.
const input = {
  userId: 'user-1',
  memberGuid: 'MBR-1',
  policy: { attempts: { credentials: 1, mfa: 1, service: 1 } },
}

function key(snapshot: Snapshot): string {
  const c = snapshot.context
  return JSON.stringify([
    snapshot.status,
    snapshot.value,
    c.attempts.credentials,
    c.attempts.mfa,
    c.streak,
    c.retryStep,
    c.member?.status,
    c.member?.aggregating,
    c.pending?.kind,
    c.outcome,
  ])
}

function leafIds(): string[] {
  return getStateNodes(memberLifecycleMachine.root)
    .filter((node) => node.type !== 'compound' && node.type !== 'parallel')
    .map((node) => node.id)
}

describe('lifecycle graph (xstate/graph)', () => {
  const paths = getShortestPaths(memberLifecycleMachine, {
    input,
    events: (snapshot) => eventsFor(snapshot) as never[],
    serializeState: (snapshot) => key(snapshot),
  })
  const reached = paths.map((path) => path.state)

  it('reaches every state node', () => {
    const seen = new Set(reached.flatMap((s) => s._nodes.map((node) => node.id)))
    const missing = leafIds().filter((id) => !seen.has(id) && !id.endsWith('.routing'))
    expect(missing).toEqual([])
    // `routing` is eventless: it is passed through on every read, never rested in.
    expect(reached.some((s) => s.matches('routing'))).toBe(false)
  })

  it('reaches every final outcome, each with its output', () => {
    const outcomes = new Set(reached.filter((s) => s.status === 'done').map((s) => s.output?.outcome))
    expect([...outcomes].sort()).toEqual([...OUTCOMES].sort())
  })

  it('every path to a final state ends with an output matching the state it ended in', () => {
    for (const state of reached.filter((s) => s.status === 'done')) {
      expect(state.value).toBe(state.output?.outcome)
    }
  })
})
