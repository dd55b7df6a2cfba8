import type { AnyStateMachine } from 'xstate'
import { toDot } from './dot.js'

/**
 * The machine as SVG, rendered offline from {@link toDot} by Graphviz compiled to WebAssembly
 * (`@viz-js/viz`): no network, no native dependency. Each state's element has `id="state:<path>"`.
 *
 * @example
 * ```ts
 * writeFileSync('docs/lifecycle.svg', await toSvg(memberLifecycleMachine))
 * ```
 */
export async function toSvg(machine: AnyStateMachine): Promise<string> {
  const { instance } = await import('@viz-js/viz')
  const viz = await instance()
  return viz.renderString(toDot(machine), { format: 'svg' })
}
