import type { AnyStateMachine } from 'xstate'
import { eventText, type TransitionLike } from '../../machines/member-lifecycle/diagram.js'

// A neutral picture of a machine, read from the machine object itself (never from its source text):
// every state node and every transition, labelled with its event and guard. The DOT, SVG and live page
// drawings are made from it (issue 13), so none of them can drift from the code.

/** One state node. `id` is XState's (e.g. `memberLifecycle.credentials.awaiting`). */
export interface DiagramState {
  readonly id: string
  readonly key: string
  /** XState's node type: `atomic`, `compound`, `parallel`, `final`, `history`. */
  readonly type: string
  /** The parent's id; undefined for the root. */
  readonly parent?: string
  /** The initial child's id, for compound states. */
  readonly initial?: string
  /** `a.b.c` below the root, as the reconnector reports states (`credentials.awaiting`); '' for the root. */
  readonly path: string
}

/** One transition (a targetless one `stays` in its source). */
export interface DiagramTransition {
  readonly source: string
  readonly target: string
  /** The raw XState event type ('' for an eventless `always` transition). */
  readonly eventType: string
  /** A short reading of the event: `readMember ok`, `timer`, `cancel`… */
  readonly event: string
  /** The guard as `type params…`, or undefined. */
  readonly guard?: string
  readonly stays: boolean
}

/** The machine as states and transitions. */
export interface DiagramModel {
  readonly id: string
  readonly states: readonly DiagramState[]
  readonly transitions: readonly DiagramTransition[]
  /** Ids of the final states: the outcomes. */
  readonly outcomes: readonly string[]
}

interface NodeLike {
  readonly id: string
  readonly key: string
  readonly type: string
  readonly path: readonly string[]
  readonly states: Record<string, NodeLike>
  readonly transitions: Map<string, TransitionLike[]>
  readonly always?: TransitionLike[]
  readonly invoke: readonly { readonly id: string; readonly src: unknown }[]
  readonly initial?: { readonly target: readonly { readonly id: string }[] }
}

/** `type p1 p2`, from a guard as XState holds it. */
export function guardLabel(guard: TransitionLike['guard']): string | undefined {
  if (guard === undefined) return undefined
  if (typeof guard === 'string') return guard
  if (typeof guard === 'function') return guard.name || 'guard'
  const params = guard.params ? Object.values(guard.params).map((v) => String(v)) : []
  return [guard.type ?? 'guard', ...params].join(' ')
}

function eventLabel(node: NodeLike, eventType: string): string {
  return eventType === '' ? 'always' : eventText(node, eventType)
}

function nodes(node: NodeLike): NodeLike[] {
  return [node, ...Object.values(node.states).flatMap(nodes)]
}

/**
 * The machine's states and transitions.
 *
 * @example
 * ```ts
 * const model = diagramModel(memberLifecycleMachine)
 * model.outcomes.length // 10
 * ```
 */
export function diagramModel(machine: AnyStateMachine): DiagramModel {
  const root = machine.root as unknown as NodeLike
  const all = nodes(root)
  const states: DiagramState[] = all.map((n) => {
    const parent = all.find((p) => Object.values(p.states).includes(n))
    const initial = n.initial?.target[0]?.id
    return {
      id: n.id,
      key: n.key,
      type: n.type,
      path: n.path.join('.'),
      ...(parent ? { parent: parent.id } : {}),
      ...(initial ? { initial } : {}),
    }
  })
  const transitions: DiagramTransition[] = []
  for (const n of all) {
    const list = [...(n.always ?? []), ...[...n.transitions.values()].flat()]
    for (const t of list) {
      const targets = t.target && t.target.length > 0 ? t.target.map((x) => x.id) : [n.id]
      const guard = guardLabel(t.guard)
      for (const target of targets) {
        transitions.push({
          source: n.id,
          target,
          eventType: t.eventType,
          event: eventLabel(n, t.eventType),
          ...(guard === undefined ? {} : { guard }),
          stays: !(t.target && t.target.length > 0),
        })
      }
    }
  }
  const outcomes = states.filter((s) => s.type === 'final' && s.parent === root.id).map((s) => s.id)
  return { id: root.id, states, transitions, outcomes }
}

/** `event [guard]`, the label drawn on a transition. */
export function transitionLabel(t: DiagramTransition): string {
  const base = t.guard === undefined ? t.event : `${t.event} [${t.guard}]`
  return t.stays ? `${base} (stays)` : base
}
