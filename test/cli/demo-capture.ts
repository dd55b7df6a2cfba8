import type { CliContext } from '../../src/cli/args.js'

/** A CliContext that records what a command prints (stdout and stderr lines, in order). */
export interface Captured {
  readonly ctx: CliContext
  readonly out: string[]
  readonly err: string[]
  /** Everything printed, stdout then stderr, as one string (for "never printed" checks). */
  all(): string
}

/** A context without a terminal (no `errTty`) and with the given environment. */
export function capture(env: Readonly<Record<string, string | undefined>> = {}): Captured {
  const out: string[] = []
  const err: string[] = []
  return {
    ctx: {
      out: (line) => void out.push(line),
      err: (line) => void err.push(line),
      // Nobody presses Ctrl+C in a test.
      waitForStop: () => new Promise<string>(() => undefined),
      env,
    },
    out,
    err,
    all: () => [...out, ...err].join('\n'),
  }
}
