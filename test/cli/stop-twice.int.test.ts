import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Ctrl+C under npm reaches the bin twice: from the terminal's process group, and again forwarded by npm
// (@npmcli/run-script's signal manager) to its `sh -c`, which dash replaces by the bin. The second must not
// kill the process by Node's default action in the middle of its clean stop (CI on Node 26 saw the worker
// die of it after printing only its start line). A real process, real signals; no timing: the second
// signal is sent once the first was seen.

const script = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'stop-twice.ts')

function startStopper() {
  const child = spawn(process.execPath, ['--import', 'tsx', script, '500'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const waiting: Array<{ line: string; resolve: () => void }> = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line)
    for (const w of waiting.filter((x) => x.line === line)) w.resolve()
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  )
  // A line, or the exit that means it never comes.
  const printed = (line: string) =>
    Promise.race([
      lines.includes(line)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiting.push({ line, resolve })),
      exited.then((end) =>
        Promise.reject(new Error(`exited ${JSON.stringify(end)} before ${line}: ${lines.join(' | ')}`)),
      ),
    ])
  return { child, lines, exited, printed }
}

describe('a repeated stop signal', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s twice: the first stops cleanly, the second is ignored',
    async (signal) => {
      const run = startStopper()
      await run.printed('ready')
      run.child.kill(signal)
      await run.printed(`${signal}, stopping`)
      run.child.kill(signal)
      run.child.kill(signal === 'SIGINT' ? 'SIGTERM' : 'SIGINT')
      expect(await run.exited).toEqual({ code: 0, signal: null })
      expect(run.lines).toEqual(['ready', `${signal}, stopping`, 'stopped'])
    },
    60_000,
  )
})
