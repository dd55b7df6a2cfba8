import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { UsageError, type CliContext, type Command } from './args.js'
import { stopRequest } from './stop.js'
import { packageVersion } from './version.js'

/**
 * `mx-reconnect <command>`: a table from command names to modules in `./commands/` (loaded on demand, so
 * one command's dependencies never slow another's start). Add a command by adding a row.
 */

interface CommandEntry {
  readonly summary: string
  readonly load: () => Promise<Command>
}

const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  demo: {
    summary: 'Sweep simulated members across every scenario and report (in-process simulator)',
    load: async () => (await import('./commands/demo.js')).command,
  },
  simulate: {
    summary: 'Serve the MX (SSO + Nexus) simulator on its own',
    load: async () => (await import('./commands/simulate.js')).command,
  },
  sweep: {
    summary: 'Reconnect the members of a users file against MX (URLs and keys from flags or env)',
    load: async () => (await import('./commands/sweep.js')).command,
  },
  worker: {
    summary: 'Run member lifecycles from a PostgreSQL store, as one of N workers (pg-boss)',
    load: async () => (await import('./commands/worker.js')).command,
  },
  diagram: {
    summary: 'Print the member lifecycle as mermaid, dot, svg, json or an xstate createMachine literal',
    load: async () => (await import('./commands/diagram.js')).command,
  },
  inspect: {
    summary: 'Serve a local page that draws the lifecycle and shows every stored lifecycle live',
    load: async () => (await import('./commands/inspect.js')).command,
  },
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length))
  const rows = Object.entries(COMMANDS).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`)
  return [
    'Usage: mx-reconnect <command> [flags]',
    '',
    'Commands:',
    ...rows,
    '',
    'Run `mx-reconnect <command> --help` for a command’s flags; `mx-reconnect --version` prints the version.',
  ].join('\n')
}

const oneLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'failed'

/**
 * Runs `mx-reconnect` with `argv` (without node and script); resolves to the exit code: 0 success,
 * 1 failure, 2 bad usage; a command may add its own (`sweep`: 3 done with failed users or set-aside rows,
 * 130 stopped).
 *
 * @example
 * ```ts
 * process.exitCode = await main(['simulate', '--port', '4010'], nodeContext())
 * ```
 */
export async function main(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined) {
    ctx.err(usage())
    return 2
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    ctx.out(packageVersion())
    return 0
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    ctx.out(usage())
    return 0
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (entry === undefined) {
    ctx.err(`mx-reconnect: unknown command "${name}" (run mx-reconnect --help)`)
    return 2
  }
  try {
    const command = await entry.load()
    return await command.run(rest, ctx)
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.err(`mx-reconnect ${name}: ${error.message} (run mx-reconnect ${name} --help)`)
      return 2
    }
    ctx.err(`mx-reconnect ${name}: ${oneLine(error)}`)
    return 1
  }
}

/** The real process's context: stdout/stderr lines; SIGINT, SIGTERM or (under npm) npm exiting stops it. */
export function nodeContext(): CliContext {
  let stop: Promise<string> | undefined
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    env: process.env,
    ...(process.stderr.isTTY ? { errTty: (text: string) => void process.stderr.write(text) } : {}),
    waitForStop: () => (stop ??= stopRequest()),
  }
}

// Run when executed directly (`tsx src/cli/main.ts`) or through the package's bin launcher, not when
// imported (tests call `main` themselves).
function invokedDirectly(): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  let resolved = script
  try {
    resolved = realpathSync(script)
  } catch {
    // keep the raw path
  }
  return resolved === fileURLToPath(import.meta.url) || /[\\/]bin[\\/]mx-reconnect(\.js)?$/.test(resolved)
}

if (invokedDirectly()) {
  process.exitCode = await main(process.argv.slice(2), nodeContext())
}
