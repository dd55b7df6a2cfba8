import type { AnyStateMachine } from 'xstate'

// `mx-reconnect diagram --format xstate`: the machine as ONE standalone `createMachine({...})` literal, no
// helper calls and no imports beyond xstate, so the Stately editor and XState's VS Code extension can open
// it. It is read from the machine object (its definition), not from machine.ts, so it cannot drift.
// Implementations (action, guard and actor code, context and output functions) are named, not included.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

interface GuardDef {
  readonly type: string
  readonly params?: unknown
}

/** A target as the definition holds it: `#id` text or the state node itself. */
type TargetDef = string | { readonly id: string }

const targetText = (t: TargetDef): string => (typeof t === 'string' ? t : `#${t.id}`)

interface TransitionDef {
  readonly target?: readonly TargetDef[]
  readonly guard?: string | GuardDef | ((...args: never[]) => unknown)
  readonly actions?: readonly unknown[]
  readonly reenter?: boolean
  readonly eventType: string
  readonly description?: string
}

interface InvokeDef {
  readonly id: string
  readonly src: unknown
  readonly systemId?: string
}

interface NodeDef {
  readonly id: string
  readonly key: string
  readonly type: string
  readonly initial?: { readonly target: readonly TargetDef[] }
  readonly history?: string | false
  readonly states: Record<string, NodeDef>
  readonly on: Record<string, readonly TransitionDef[]>
  readonly entry: readonly unknown[]
  readonly exit: readonly unknown[]
  readonly invoke: readonly InvokeDef[]
  readonly tags?: readonly string[]
  readonly meta?: unknown
  readonly description?: string
}

/** An action as plain data: `{ type, params }` and names stay; inline code becomes its XState type. */
export function plainAction(action: unknown): Json {
  if (typeof action === 'string') return action
  if (typeof action === 'function') {
    const type = (action as { type?: unknown }).type
    return typeof type === 'string' ? type : action.name || 'inline'
  }
  if (typeof action === 'object' && action !== null) {
    const { type, params } = action as { type?: unknown; params?: unknown }
    if (typeof type !== 'string') return 'inline'
    return params === undefined || typeof params === 'function'
      ? { type }
      : { type, params: JSON.parse(JSON.stringify(params)) as Json }
  }
  return 'inline'
}

/** A guard as plain data (a guard function becomes its name). */
export function plainGuard(guard: TransitionDef['guard']): Json | undefined {
  if (guard === undefined) return undefined
  if (typeof guard === 'string') return guard
  if (typeof guard === 'function') return guard.name || 'inline'
  return guard.params === undefined || typeof guard.params === 'function'
    ? { type: guard.type }
    : { type: guard.type, params: JSON.parse(JSON.stringify(guard.params)) as Json }
}

function transition(t: TransitionDef): Json {
  const out: { [key: string]: Json } = {}
  const targets = (t.target ?? []).map(targetText)
  if (targets.length > 0) out.target = targets.length === 1 ? targets[0]! : targets
  const guard = plainGuard(t.guard)
  if (guard !== undefined) out.guard = guard
  if (t.actions && t.actions.length > 0) out.actions = t.actions.map(plainAction)
  if (t.reenter === true) out.reenter = true
  if (t.description !== undefined) out.description = t.description
  return out
}

/** A state node: its definition, plus its eventless transitions (XState's definition leaves them out). */
interface StateNodeLike {
  readonly key: string
  readonly definition: NodeDef
  readonly always?: readonly TransitionDef[]
  readonly states: Record<string, StateNodeLike>
}

function node(stateNode: StateNodeLike, defaultId: string): { [key: string]: Json } {
  const def = stateNode.definition
  const out: { [key: string]: Json } = {}
  if (def.id !== defaultId) out.id = def.id
  if (def.type === 'final' || def.type === 'parallel' || def.type === 'history') out.type = def.type
  if (def.type === 'history' && def.history) out.history = def.history
  const first = def.initial?.target[0]
  const initial = first === undefined ? undefined : targetText(first)
  if (initial !== undefined && Object.keys(def.states).length > 0) {
    const child = Object.values(def.states).find((s) => `#${s.id}` === initial || s.id === initial)
    out.initial = child ? child.key : initial
  }
  if (def.description !== undefined) out.description = def.description
  if (def.tags && def.tags.length > 0) out.tags = [...def.tags]
  if (def.meta !== undefined) out.meta = JSON.parse(JSON.stringify(def.meta)) as Json
  if (def.entry.length > 0) out.entry = def.entry.map(plainAction)
  if (def.exit.length > 0) out.exit = def.exit.map(plainAction)
  const doneOrError = new Map<string, { onDone?: Json; onError?: Json }>()
  const on: { [key: string]: Json } = {}
  const always: Json[] = (stateNode.always ?? []).map(transition)
  for (const [event, list] of Object.entries(def.on)) {
    const ts = list.map(transition)
    const match = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event)
    const invoke = match ? def.invoke.find((i) => i.id === match[2]) : undefined
    if (match && invoke) {
      const slot = doneOrError.get(invoke.id) ?? {}
      slot[match[1] === 'done' ? 'onDone' : 'onError'] = ts.length === 1 ? ts[0]! : ts
      doneOrError.set(invoke.id, slot)
    } else if (event === '') {
      always.push(...ts)
    } else {
      on[event] = ts.length === 1 ? ts[0]! : ts
    }
  }
  if (def.invoke.length > 0) {
    const invokes = def.invoke.map((i): Json => {
      const src = typeof i.src === 'string' ? i.src : 'inline'
      return {
        id: i.id,
        src,
        ...(i.systemId === undefined ? {} : { systemId: i.systemId }),
        ...doneOrError.get(i.id),
      }
    })
    out.invoke = invokes.length === 1 ? invokes[0]! : invokes
  }
  if (always.length > 0) out.always = always.length === 1 ? always[0]! : always
  if (Object.keys(on).length > 0) out.on = on
  const states = Object.values(stateNode.states)
  if (states.length > 0) {
    out.states = Object.fromEntries(states.map((s) => [s.key, node(s, `${defaultId}.${s.key}`)]))
  }
  return out
}

/**
 * The machine's config as plain data, ready for `createMachine`: what {@link toXStateSource} prints.
 *
 * @example
 * ```ts
 * createMachine(machineConfigLiteral(memberLifecycleMachine)).toJSON() // the same states and transitions
 * ```
 */
export function machineConfigLiteral(machine: AnyStateMachine): { [key: string]: Json } {
  const root = machine.root as unknown as StateNodeLike
  return { id: machine.id, ...node(root, machine.id) }
}

/**
 * A standalone TypeScript/JavaScript module: `createMachine({...})` with the whole config as one literal.
 *
 * @example
 * ```ts
 * writeFileSync('member-lifecycle.stately.ts', toXStateSource(memberLifecycleMachine))
 * ```
 */
export function toXStateSource(machine: AnyStateMachine): string {
  const literal = JSON.stringify(machineConfigLiteral(machine), null, 2)
  return [
    '// Generated from the machine object by `mx-reconnect diagram --format xstate`: the structure only.',
    '// Actions, guards and actors are named; their code lives in mx-reconnect (machines/member-lifecycle).',
    "import { createMachine } from 'xstate'",
    '',
    `export const machine = createMachine(${literal})`,
    '',
  ].join('\n')
}
