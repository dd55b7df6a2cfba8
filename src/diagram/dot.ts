import type { AnyStateMachine } from 'xstate'
import { diagramModel, transitionLabel, type DiagramModel, type DiagramState } from './model.js'

// Graphviz DOT for the machine: compound states as clusters, outcomes as double circles, root-level
// transitions (such as `cancel`, taken in any state) drawn once from the root's box.

const quote = (text: string): string => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`

/** The DOT node id of a state: its XState id. */
export const dotId = (id: string): string => quote(id)

function children(model: DiagramModel, parent: string): DiagramState[] {
  return model.states.filter((s) => s.parent === parent)
}

function emit(model: DiagramModel, state: DiagramState, lines: string[], indent: string): void {
  const kids = children(model, state.id)
  if (kids.length === 0) {
    const shape = state.type === 'final' ? 'box, peripheries=2' : 'box'
    const style = state.type === 'final' ? 'filled' : 'rounded,filled'
    const fill = state.type === 'final' ? '#e8f5e9' : '#ffffff'
    lines.push(
      `${indent}${dotId(state.id)} [id=${quote(`state:${state.path}`)}, label=${quote(state.key)}, shape=${shape}, style=${quote(style)}, fillcolor=${quote(fill)}];`,
    )
    return
  }
  lines.push(`${indent}subgraph ${quote(`cluster_${state.id}`)} {`)
  lines.push(
    `${indent}  id=${quote(`state:${state.path}`)}; label=${quote(state.key)}; style="rounded"; color="#607d8b";`,
  )
  if (state.initial) {
    lines.push(`${indent}  ${quote(`${state.id}.__initial`)} [shape=point, label=""];`)
  }
  for (const kid of kids) emit(model, kid, lines, `${indent}  `)
  lines.push(`${indent}}`)
}

/**
 * The machine as a Graphviz DOT digraph (render it with `dot -Tsvg` or {@link toSvg}).
 *
 * @example
 * ```ts
 * process.stdout.write(toDot(memberLifecycleMachine)) // digraph "memberLifecycle" { … }
 * ```
 */
export function toDot(machine: AnyStateMachine): string {
  const model = diagramModel(machine)
  const root = model.states.find((s) => s.id === model.id)!
  const lines = [
    `digraph ${quote(model.id)} {`,
    '  rankdir=LR; compound=true; fontname="Helvetica"; fontsize=11;',
    '  node [fontname="Helvetica", fontsize=11]; edge [fontname="Helvetica", fontsize=9, color="#455a64"];',
    `  ${quote(`${model.id}.__initial`)} [shape=point, label=""];`,
  ]
  for (const kid of children(model, root.id)) emit(model, kid, lines, '  ')
  // A box for the root's own transitions (taken from any state).
  const anyState = quote(`${model.id}.__any`)
  if (model.transitions.some((t) => t.source === root.id)) {
    lines.push(`  ${anyState} [label="any state", shape=note, style=dashed];`)
  }
  for (const s of model.states) {
    if (s.initial) lines.push(`  ${quote(`${s.id}.__initial`)} -> ${dotId(s.initial)};`)
  }
  for (const t of model.transitions) {
    const source = t.source === root.id ? anyState : dotId(firstLeaf(model, t.source))
    const target = dotId(firstLeaf(model, t.target))
    const attrs = [`label=${quote(transitionLabel(t))}`]
    const sourceCluster = children(model, t.source).length > 0 && t.source !== root.id
    const targetCluster = children(model, t.target).length > 0
    if (sourceCluster) attrs.push(`ltail=${quote(`cluster_${t.source}`)}`)
    if (targetCluster) attrs.push(`lhead=${quote(`cluster_${t.target}`)}`)
    lines.push(`  ${source} -> ${target} [${attrs.join(', ')}];`)
  }
  lines.push('}')
  return `${lines.join('\n')}\n`
}

/** Edges cannot end on a cluster in DOT: they end on its initial leaf, clipped to the cluster. */
function firstLeaf(model: DiagramModel, id: string): string {
  const state = model.states.find((s) => s.id === id)
  if (!state) return id
  if (state.initial) return firstLeaf(model, state.initial)
  const kid = children(model, id)[0]
  return kid ? firstLeaf(model, kid.id) : id
}
