import { memberLifecycleMachine, toMermaid } from '../../../machines/member-lifecycle/index.js'
import { toDot } from '../../diagram/dot.js'
import { toSvg } from '../../diagram/svg.js'
import { toXStateSource } from '../../diagram/xstate-source.js'
import { parseFlags, UsageError, type CliContext, type Command } from '../args.js'

/** `mx-reconnect diagram`: the lifecycle drawn from the machine object itself (issue 13). */

const FORMATS = ['mermaid', 'dot', 'svg', 'json', 'xstate'] as const
type Format = (typeof FORMATS)[number]

const USAGE = `Usage: mx-reconnect diagram [--format FORMAT]

Prints the member lifecycle, generated from the machine itself: every state, every transition labelled
with its event and guard, and the ten outcomes.

Formats:
  mermaid   a Mermaid stateDiagram-v2 (default; the one in docs/lifecycle.md)
  dot       Graphviz DOT
  svg       SVG, rendered offline (Graphviz compiled to WebAssembly)
  json      the machine definition (XState's machine.toJSON())
  xstate    a standalone createMachine({...}) literal for the Stately editor or XState's VS Code extension

Flags:
  --format FORMAT   one of ${FORMATS.join(', ')}
  -h, --help        show this help`

const FLAGS = {
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/**
 * The lifecycle in `format`, as text.
 *
 * @example
 * ```ts
 * await renderDiagram('dot') // 'digraph "memberLifecycle" { … }'
 * ```
 */
export async function renderDiagram(format: Format): Promise<string> {
  switch (format) {
    case 'mermaid':
      return toMermaid(memberLifecycleMachine)
    case 'dot':
      return toDot(memberLifecycleMachine)
    case 'svg':
      return toSvg(memberLifecycleMachine)
    case 'json':
      return `${JSON.stringify(memberLifecycleMachine.toJSON(), null, 2)}\n`
    case 'xstate':
      return toXStateSource(memberLifecycleMachine)
  }
}

function formatFlag(raw: string | undefined): Format {
  if (raw === undefined) return 'mermaid'
  const format = FORMATS.find((f) => f === raw.trim().toLowerCase())
  if (format === undefined)
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')} (got "${raw}")`)
  return format
}

async function run(argv: readonly string[], ctx: CliContext): Promise<number> {
  const flags = parseFlags(argv, FLAGS)
  if (flags.help === true) {
    ctx.out(USAGE)
    return 0
  }
  const text = await renderDiagram(formatFlag(flags.format))
  ctx.out(text.replace(/\n$/, ''))
  return 0
}

/** The `diagram` command. */
export const command: Command = {
  summary: 'Print the member lifecycle as mermaid, dot, svg, json or an xstate createMachine literal',
  usage: USAGE,
  run,
}
