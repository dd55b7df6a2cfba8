import { intFlag, parseFlags, UsageError, type CliContext, type Command } from '../args.js'
import { startInspectServer } from '../../inspect/server.js'
import { openStorePath } from '../../inspect/store-path.js'

/** `mx-reconnect inspect`: the live local page over a SQLite store (issue 13; docs/inspect.md). */

const USAGE = `Usage: mx-reconnect inspect --store sqlite:PATH [--port N]

Serves a page on 127.0.0.1 that draws the member lifecycle and lists every lifecycle in the store, each
with its current state highlighted live, its prompt (field and challenge labels, never a value), its
history and its outcome. Run it beside a sweep on the same store; works offline. Ctrl-C stops it.

Flags:
  --store URL   sqlite:PATH, the store a sweep or your reconnector writes
  --port N      port on 127.0.0.1 (default 4020; 0 picks a free one)
  -h, --help    show this help`

const FLAGS = {
  store: { type: 'string' },
  port: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

async function run(argv: readonly string[], ctx: CliContext): Promise<number> {
  const flags = parseFlags(argv, FLAGS)
  if (flags.help === true) {
    ctx.out(USAGE)
    return 0
  }
  if (flags.store === undefined) throw new UsageError('--store sqlite:PATH is required')
  const dbPath = openStorePath(flags.store)
  const port = intFlag('port', flags.port, 4020, { min: 0, max: 65_535 })
  const page = await startInspectServer({ dbPath, port })
  // Listening before the line a caller waits on: a Ctrl+C right after it must find the listener.
  const stop = ctx.waitForStop()
  ctx.err(`inspect page for sqlite:${dbPath} at ${page.url} (Ctrl-C to stop)`)
  const signal = await stop
  await page.close()
  ctx.err(`stopped (${signal})`)
  return 0
}

/** The `inspect` command. */
export const command: Command = {
  summary: 'Serve a local page that draws the lifecycle and shows every stored lifecycle live',
  usage: USAGE,
  run,
}
