import { describe, expect, it } from 'vitest'
import { createMachine, type AnyStateMachine } from 'xstate'
import { eventText } from '../../machines/member-lifecycle/diagram.js'
import { toMermaid } from '../../machines/member-lifecycle/index.js'

// toMermaid on machines other than the lifecycle, written against the mutants a Stryker run of diagram.ts
// left alive (docs/testing.md): the lifecycle machine uses one guard shape per kind, one invoke per state
// and no parallel states, so the doc test (test/machines/diagram.test.ts) cannot tell these apart. The
// oracle is Mermaid's stateDiagram-v2 syntax (`[*]` is the start and end pseudo-state, `<<choice>>` a
// choice node, `state "key" as id` an alias) and diagram.ts's stated drawing rules: a targetless
// transition is a loop marked `(stays)`, root-level transitions are notes, actor done/error events read
// `<src> ok` / `<src> failed`, a `wait` actor's event reads `timer`.

const noop = (): void => undefined

describe('toMermaid: guards, loops, the root, parallel states', () => {
  const machine = createMachine({
    id: 'm',
    initial: 'a',
    on: { RESET: { target: '.a' }, PING: { actions: noop } },
    states: {
      a: {
        on: {
          FN: { target: 'b', guard: () => true },
          STAY: { actions: noop },
          TOP: { target: '#m' },
          OBJ: { target: 'b', guard: { type: 'isOdd', params: { x: 1, y: 'z' } } },
          ROUTE: { target: 'b', guard: { type: 'route', params: { a: 'p', b: 'q' } } },
          STEP: { target: 'b', guard: { type: 'retryStepIs', params: { a: 'p', b: 'q' } } },
          NONE: { target: 'b', guard: { type: 'none', params: { count: 0 } } },
          BARE: { target: 'b', guard: { type: 'bare' } },
          NAMED: { target: 'b', guard: 'named' },
        },
      },
      b: { always: [{ target: 'c' }], on: { BACK: { target: 'a' } } },
      c: { type: 'parallel', states: { p: { initial: 'p1', states: { p1: {} } }, q: {} } },
      d: { type: 'final' },
    },
  })

  it('draws each guard shape, a loop for a targetless transition, [*] for the machine itself', () => {
    expect(toMermaid(machine)).toBe(
      [
        'stateDiagram-v2',
        '  [*] --> a',
        '  state c {',
        '    state "p" as c_p',
        '    state c_p {',
        '      [*] --> c_p_p1',
        '      state "p1" as c_p_p1',
        '    }',
        '    state "q" as c_q',
        '  }',
        '  a --> b : FN [guard]',
        '  a --> a : STAY (stays)',
        '  a --> [*] : TOP',
        '  a --> b : OBJ [isOdd 1 z]',
        '  a --> b : ROUTE [p q]',
        '  a --> b : STEP [retry p q]',
        '  a --> b : NONE [empty]',
        '  a --> b : BARE [bare]',
        '  a --> b : NAMED [named]',
        '  b --> c : ',
        '  b --> a : BACK',
        '  d --> [*]',
        '  note right of a : RESET from any state',
        '',
      ].join('\n'),
    )
  })
})

// A state node as toMermaid reads it (diagram.ts's NodeLike), for shapes XState itself does not build.
interface FakeTransition {
  eventType: string
  target?: { id: string }[]
  guard?: { type?: string; params?: Record<string, unknown> } | (() => boolean)
}
interface FakeNode {
  id: string
  key: string
  type: string
  states: Record<string, FakeNode>
  transitions: Map<string, FakeTransition[]>
  always?: FakeTransition[]
  invoke: { id: string; src: unknown }[]
  initial?: { target: { id: string }[] }
}
const node = (id: string, extra: Partial<FakeNode> = {}): FakeNode => ({
  id,
  key: id.split('.').pop()!,
  type: 'atomic',
  states: {},
  transitions: new Map(),
  invoke: [],
  ...extra,
})
const asMachine = (root: FakeNode) => ({ root }) as unknown as AnyStateMachine

describe('toMermaid on hand-built nodes', () => {
  it('an empty target list is a loop; an empty `always` list is no choice; no initial, no start arrow', () => {
    const a = node('r.a', {
      transitions: new Map([['E', [{ eventType: 'E', target: [] }]]]),
      always: [],
    })
    const b = node('r.b', { always: [{ eventType: '', target: [{ id: 'r.a' }] }] })
    const c = node('r.c', { always: [] })
    const root = node('r', {
      type: 'compound',
      states: { a, b, c },
      transitions: new Map([['X', [{ eventType: 'X' }]]]),
    })
    expect(toMermaid(asMachine(root))).toBe(
      ['stateDiagram-v2', '  state b <<choice>>', '  a --> a : E (stays)', '  b --> a : ', ''].join('\n'),
    )
  })

  it('a guard without a type reads `guard`; a guard function reads `guard` whatever it carries', () => {
    const typed = Object.assign(() => true, { type: 'isOdd', params: { n: 1 } })
    const a = node('r.a', {
      transitions: new Map<string, FakeTransition[]>([
        ['UNTYPED', [{ eventType: 'UNTYPED', target: [{ id: 'r.a' }], guard: { params: { n: 2 } } }]],
        ['FN', [{ eventType: 'FN', target: [{ id: 'r.a' }], guard: typed }]],
      ]),
    })
    const root = node('r', { type: 'compound', states: { a } })
    expect(toMermaid(asMachine(root))).toBe(
      ['stateDiagram-v2', '  a --> a : UNTYPED [guard 2]', '  a --> a : FN [guard]', ''].join('\n'),
    )
  })

  it('a state with both eventless and event transitions is not a choice node', () => {
    const a = node('r.a', {
      always: [{ eventType: '', target: [{ id: 'r.b' }] }],
      transitions: new Map([['E', [{ eventType: 'E', target: [{ id: 'r.b' }] }]]]),
    })
    const b = node('r.b')
    const root = node('r', { type: 'compound', states: { a, b }, initial: { target: [{ id: 'r.a' }] } })
    expect(toMermaid(asMachine(root))).toBe(
      ['stateDiagram-v2', '  [*] --> a', '  a --> b : ', '  a --> b : E', ''].join('\n'),
    )
  })
})

describe('eventText', () => {
  const state = {
    invoke: [
      { id: 'first', src: 'readMember' },
      { id: 'second', src: 'listCredentials' },
      { id: 'timer', src: 'wait' },
      { id: 'inline', src: () => undefined },
    ],
  }
  it.each([
    ['xstate.done.actor.second', 'listCredentials ok'],
    ['xstate.error.actor.second', 'listCredentials failed'],
    ['xstate.done.actor.first', 'readMember ok'],
    ['xstate.done.actor.timer', 'timer'],
    ['xstate.error.actor.timer', 'timer'],
    // No invoke of that id, or one whose src is not a name: the id stands for the actor.
    ['xstate.done.actor.missing', 'missing ok'],
    ['xstate.error.actor.inline', 'inline failed'],
    // Not an actor event: kept as it is.
    ['credentials.submit', 'credentials.submit'],
    ['my.xstate.done.actor.first', 'my.xstate.done.actor.first'],
    ['xstate.done.actor.first\nrest', 'xstate.done.actor.first\nrest'],
    ['xstate.done.actor.', 'xstate.done.actor.'],
  ])('%j reads %j', (eventType, text) => {
    expect(eventText(state, eventType)).toBe(text)
  })
})
