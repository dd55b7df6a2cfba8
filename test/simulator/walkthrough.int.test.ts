import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

// docs/simulator.md's curl walk-through, run verbatim against `mx-reconnect simulate` (started with the
// doc's own flags, on a free port instead of the fixed one), so the page cannot go stale.

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const doc = readFileSync(join(root, 'docs', 'simulator.md'), 'utf8')

/** The first ```sh block after an HTML comment marker. */
function block(marker: string): string {
  const at = doc.indexOf(`<!-- ${marker} -->`)
  if (at < 0) throw new Error(`docs/simulator.md lost its ${marker} marker`)
  const match = /```sh\n([^]*?)```/.exec(doc.slice(at))
  if (match?.[1] === undefined) throw new Error(`no sh block after ${marker}`)
  return match[1]
}

/** Lines the script prints: each `# …` comment right under a command. */
function expectedOutput(script: string): string[] {
  const lines = script.split('\n')
  const out: string[] = []
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? ''
    const previous = lines[i - 1] ?? ''
    if (line.startsWith('# ') && previous.trim() !== '' && !previous.startsWith('#')) out.push(line.slice(2))
  }
  return out
}

let child: ChildProcess | undefined

afterAll(async () => {
  if (child?.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
})

describe('docs/simulator.md walk-through', () => {
  it('runs verbatim and prints what the page says', async () => {
    const server = block('walkthrough:server').trim()
    const prefix = 'npm run simulate -- '
    expect(server.startsWith(prefix)).toBe(true)
    const flags = server.slice(prefix.length).split(/\s+/)
    const portAt = flags.indexOf('--port')
    expect(portAt).toBeGreaterThanOrEqual(0)
    const docPort = flags[portAt + 1]!
    flags[portAt + 1] = '0'

    const script = block('walkthrough:script')
    const simLine = `SIM=http://127.0.0.1:${docPort}`
    expect(script.split('\n')).toContain(simLine)
    const expected = expectedOutput(script)
    expect(expected.length).toBeGreaterThanOrEqual(6)

    // `npm run simulate` is `tsx src/cli/main.ts simulate`; run the same module in one node process.
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'simulate', ...flags], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let printed = ''
    const url = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (chunk: Buffer) => {
        printed += chunk.toString('utf8')
        const found = /Nexus URL\s+(http:\/\/\S+)/.exec(printed)
        if (found?.[1] !== undefined && printed.includes('Stop with Ctrl+C.')) resolve(found[1])
      })
      child!.once('exit', (code) => reject(new Error(`simulate exited early (${String(code)}): ${printed}`)))
    })
    const key = /API key\s+(\S+)/.exec(printed)?.[1]
    expect(script).toContain(`KEY=${key}`)

    const { stdout } = await promisify(execFile)(
      'bash',
      ['-euo', 'pipefail', '-c', script.replace(simLine, `SIM=${url}`)],
      {
        cwd: root,
        timeout: 60_000,
      },
    )
    expect(stdout.trimEnd().split('\n')).toEqual(expected)

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve))
    child.kill('SIGINT')
    expect(await exited).toBe(0)
  })
})
