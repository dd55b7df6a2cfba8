import { parseArgs, type ParseArgsConfig } from 'node:util'

/**
 * Shared flag helpers for `mx-reconnect` commands (reconnector.md "CLI": bad input gets a clear one-line
 * error and a non-zero exit, never a stack trace).
 */

/** Bad command-line input: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

type Options = NonNullable<ParseArgsConfig['options']>

/** The parsed values of `options` (string flags → string, boolean flags → boolean). */
export type FlagValues<O extends Options> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string
}

interface NodeArgError {
  readonly code?: unknown
  readonly message: string
}

/** `node:util` `parseArgs` in strict mode, with its errors turned into short {@link UsageError}s. */
export function parseFlags<O extends Options>(argv: readonly string[], options: O): FlagValues<O> {
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false })
    return values
  } catch (error) {
    const e = error as NodeArgError
    const named = /'(-[^' ]+)/.exec(e.message)?.[1]
    switch (e.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(`unknown flag ${named ?? ''}`.trim())
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        if (/argument missing/.test(e.message)) throw new UsageError(`flag ${named ?? ''} needs a value`)
        if (/ambiguous/.test(e.message)) {
          throw new UsageError(
            `flag ${named ?? ''} needs a value (write ${named ?? '--flag'}=-VALUE for one starting with "-")`,
          )
        }
        throw new UsageError(`flag ${named ?? ''} does not take a value`)
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
        const word = /'([^']+)'/.exec(e.message)?.[1]
        throw new UsageError(`unexpected argument ${word ?? ''}`.trim())
      }
      default:
        throw new UsageError(e.message.split('\n')[0] ?? 'bad arguments')
    }
  }
}

/** Range limits for number flags. */
export interface NumberLimits {
  readonly min?: number
  readonly max?: number
}

function describeRange(limits: NumberLimits): string {
  if (limits.min !== undefined && limits.max !== undefined) return ` between ${limits.min} and ${limits.max}`
  if (limits.min !== undefined) return ` >= ${limits.min}`
  if (limits.max !== undefined) return ` <= ${limits.max}`
  return ''
}

/** An integer flag: `fallback` when absent, UsageError when not an integer in range. */
export function intFlag(
  name: string,
  raw: string | undefined,
  fallback: number,
  limits: NumberLimits = {},
): number {
  if (raw === undefined) return fallback
  const value = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN
  if (
    !Number.isSafeInteger(value) ||
    (limits.min !== undefined && value < limits.min) ||
    (limits.max !== undefined && value > limits.max)
  ) {
    throw new UsageError(`--${name} must be an integer${describeRange(limits)} (got "${raw}")`)
  }
  return value
}

/** A number flag: `fallback` when absent, UsageError when not a finite number in range. */
export function floatFlag(
  name: string,
  raw: string | undefined,
  fallback: number,
  limits: NumberLimits = {},
): number {
  if (raw === undefined) return fallback
  const value = raw.trim() === '' ? Number.NaN : Number(raw)
  if (
    !Number.isFinite(value) ||
    (limits.min !== undefined && value < limits.min) ||
    (limits.max !== undefined && value > limits.max)
  ) {
    throw new UsageError(`--${name} must be a number${describeRange(limits)} (got "${raw}")`)
  }
  return value
}

/**
 * The one range every command accepts for `--time-scale` (real time per simulated time): 0.001 runs the
 * clock 1000× faster, 1 is real time. The simulator freezes its clock with `simulate --frozen-clock`.
 */
export const TIME_SCALE_LIMITS: NumberLimits = { min: 0.001, max: 1 }

/** `--time-scale X`: `fallback` when absent, the same range and message in every command. */
export function timeScaleFlag(raw: string | undefined, fallback: number): number {
  return floatFlag('time-scale', raw, fallback, TIME_SCALE_LIMITS)
}

/** What a command gets from the dispatcher. */
export interface CliContext {
  /** Writes one line to stdout. */
  readonly out: (line: string) => void
  /** Writes one line to stderr. */
  readonly err: (line: string) => void
  /** Resolves with the signal name when the user asks to stop (SIGINT / SIGTERM in the real CLI). */
  readonly waitForStop: () => Promise<string>
  /** Environment variables (default `process.env`); tests pass their own. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /**
   * Writes raw text to stderr (no newline added), for a progress bar redrawn in place. Set only when stderr
   * is a terminal; commands fall back to a few plain `err` lines without it.
   */
  readonly errTty?: (text: string) => void
}

/** A `mx-reconnect` command module. */
export interface Command {
  /** One line for `mx-reconnect --help`. */
  readonly summary: string
  /** The command's `--help` text. */
  readonly usage: string
  /** Runs the command; resolves to the exit code. Throws {@link UsageError} on bad flags. */
  run(argv: readonly string[], ctx: CliContext): Promise<number>
}
