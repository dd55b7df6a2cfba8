import type { AnyStateMachine } from 'xstate'

// Mermaid `stateDiagram-v2` text generated from the machine itself, so the picture in docs/lifecycle.md
// cannot drift from the code (architecture.md, house rule 12). Pure string building: no I/O here.

/** A guard as XState holds it on a transition (shared with src/diagram). */
export interface GuardLike {
  readonly type?: string
  readonly params?: Record<string, unknown>
}

/** A transition as XState holds it on a state node (shared with src/diagram). */
export interface TransitionLike {
  readonly eventType: string
  readonly guard?: string | GuardLike | ((...args: never[]) => unknown)
  readonly target?: readonly { readonly id: string }[]
}

interface InvokeLike {
  readonly id: string
  readonly src: unknown
}

interface NodeLike {
  readonly id: string
  readonly key: string
  readonly type: string
  readonly states: Record<string, NodeLike>
  readonly transitions: Map<string, TransitionLike[]>
  readonly always?: TransitionLike[]
  readonly invoke: InvokeLike[]
  readonly initial?: { readonly target: readonly { readonly id: string }[] }
}

function name(id: string, rootId: string): string {
  return id === rootId ? '[*]' : id.slice(rootId.length + 1).replace(/\./g, '_')
}

function guardText(guard: TransitionLike['guard']): string {
  if (guard === undefined) return ''
  if (typeof guard === 'string') return guard
  if (typeof guard === 'function') return 'guard'
  const params = guard.params ? Object.values(guard.params).map(String) : []
  if (guard.type === 'route') return `${params.join(' ')}`
  if (guard.type === 'retryStepIs') return `retry ${params.join(' ')}`
  if (guard.type === 'none') return 'empty'
  return [guard.type ?? 'guard', ...params].join(' ')
}

/** `readMember ok`, `timer`, … for XState's actor done/error events; other events as they are. */
export function eventText(node: { readonly invoke: readonly InvokeLike[] }, eventType: string): string {
  const match = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType)
  if (!match) return eventType
  const invoke = node.invoke.find((i) => i.id === match[2])
  const src = typeof invoke?.src === 'string' ? invoke.src : (match[2] ?? 'actor')
  if (src === 'wait') return 'timer'
  return match[1] === 'done' ? `${src} ok` : `${src} failed`
}

function edges(node: NodeLike, rootId: string, lines: string[], indent: string): void {
  const all: { event: string; t: TransitionLike }[] = [
    ...(node.always ?? []).map((t) => ({ event: '', t })),
    ...[...node.transitions.entries()].flatMap(([event, ts]) => ts.map((t) => ({ event, t }))),
  ]
  for (const { event, t } of all) {
    const label = [event ? eventText(node, event) : '', guardText(t.guard)].filter(Boolean)
    const text = label.length === 2 ? `${label[0]} [${label[1]}]` : (label[0] ?? '')
    // A targetless transition (e.g. an invalid submission) keeps the state: drawn as a loop.
    const targets = t.target && t.target.length > 0 ? t.target : [{ id: node.id }]
    const suffix = t.target && t.target.length > 0 ? '' : ' (stays)'
    for (const target of targets) {
      lines.push(`${indent}${name(node.id, rootId)} --> ${name(target.id, rootId)} : ${text}${suffix}`)
    }
  }
}

function declare(node: NodeLike, rootId: string, lines: string[], indent: string): void {
  const initial = node.initial?.target[0]
  if (initial) lines.push(`${indent}[*] --> ${name(initial.id, rootId)}`)
  for (const child of Object.values(node.states)) {
    const id = name(child.id, rootId)
    if (child.key !== id) lines.push(`${indent}state "${child.key}" as ${id}`)
    if (child.always && child.always.length > 0 && child.transitions.size === 0) {
      lines.push(`${indent}state ${id} <<choice>>`)
    }
    if (Object.keys(child.states).length > 0) {
      lines.push(`${indent}state ${id} {`)
      declare(child, rootId, lines, `${indent}  `)
      lines.push(`${indent}}`)
    }
  }
}

function descendants(node: NodeLike): NodeLike[] {
  return Object.values(node.states).flatMap((child) => [child, ...descendants(child)])
}

/**
 * The machine as a Mermaid state diagram. Root-level transitions (such as `cancel`, accepted in every
 * state) are listed as a note rather than drawn from every state.
 *
 * @example
 * ```ts
 * import { memberLifecycleMachine, toMermaid } from 'mx-reconnect/machines'
 * writeDoc(toMermaid(memberLifecycleMachine)) // stateDiagram-v2 …
 * ```
 */
export function toMermaid(machine: AnyStateMachine): string {
  const root = machine.root as unknown as NodeLike
  const lines = ['stateDiagram-v2']
  declare(root, root.id, lines, '  ')
  for (const node of descendants(root)) {
    edges(node, root.id, lines, '  ')
    if (node.type === 'final') lines.push(`  ${name(node.id, root.id)} --> [*]`)
  }
  for (const [event, ts] of root.transitions.entries()) {
    for (const t of ts) {
      for (const target of t.target ?? []) {
        lines.push(`  note right of ${name(target.id, root.id)} : ${event} from any state`)
      }
    }
  }
  return `${lines.join('\n')}\n`
}
