import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { describeRun, npmEnv, refused, run, start, type Running } from './consumer.js'

// How the package test runs each `npx mx-reconnect …` line of the README (issue 17: every CLI example runs
// through the installed bin and stops cleanly on SIGINT / SIGTERM). A line either ends on its own (exit 0,
// with the output the README promises) or runs until stopped; every command the README shows has a row in
// exactly one of the two tables, and the test fails naming a line whose command has none.

/** Commands whose README lines end on their own: what their output must show (stdout, or the file `>` names). */
export const FINISHES: Readonly<Record<string, (output: string, line: string) => void>> = {
  demo: (output, line) => {
    const members = /--members (\d+)/.exec(line)?.[1] ?? '100'
    // README "Demo": expected against actual per scenario, calls per member, sessions, wall time, SQLite path.
    expect(output).toMatch(/^scenario +seeded as .* expected +actual +calls\/member +ok$/m)
    expect(output).toMatch(/^HTTP calls +[\d,]+ sent by the client/m)
    expect(output).toMatch(/^Sessions +\d+ opened/m)
    expect(output).toMatch(/^Wall time +[\d.]+ s/m)
    const db = /--db (\S+)/.exec(line)?.[1]
    const file = db?.replace(/^\.\//, '/').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    if (file !== undefined) expect(output).toMatch(new RegExp(`^SQLite store +\\S*${file}$`, 'm'))
    expect(output).toContain(`Result         all ${members} members ended as their scenario implies`)
  },
  diagram: (output, line) => {
    const format = /--format (\S+)/.exec(line)?.[1] ?? 'mermaid'
    const opening: Record<string, RegExp> = {
      mermaid: /^stateDiagram-v2\n/,
      dot: /^digraph /,
      svg: /<svg[\s>]/,
      json: /^\{/,
      xstate: /createMachine\(/,
    }
    expect(output).toMatch(opening[format] ?? /^$/)
    expect(output).toContain('loadingMember')
  },
}

/** Commands whose README lines run until stopped: what they print once serving, and once stopped. */
export const LONG_RUNNING: Readonly<Record<string, { readonly ready: string; readonly stopped: string }>> = {
  simulate: { ready: 'Stop with Ctrl+C.', stopped: 'simulator stopped (' },
  inspect: { ready: 'inspect page for sqlite:', stopped: 'stopped (' },
  worker: { ready: ': taking work from ', stopped: "stopped; every lifecycle's state is in the store" },
}

/** A README line's command name (`npx mx-reconnect NAME …`). */
export const commandOf = (line: string): string => /npx mx-reconnect (\S+)/.exec(line)?.[1] ?? ''

/** The file a line's output goes to (`… > FILE`), if any. */
export const redirectOf = (line: string): string | undefined => / > (\S+)$/.exec(line)?.[1]

/** The port a line serves on (`--port N`), if it names one. */
export const portOf = (line: string): number | undefined => {
  const port = /--port (\d+)/.exec(line)?.[1]
  return port === undefined ? undefined : Number(port)
}

/**
 * A line as bash runs it with the process of interest as bash's own pid: the trailing `&` dropped and
 * `exec` put after the leading `NAME=value` assignments (so the signal goes to `npx`, as `kill $!` does).
 */
export function asExec(line: string): string {
  const command = line.replace(/\s*&$/, '')
  const match = /^((?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*)(.*)$/.exec(command)!
  return `${match[1]}exec ${match[2]}`
}

/** Ends a line on its own in `dir`: exit 0, and the output its command's row in {@link FINISHES} expects. */
export async function runsToTheEnd(line: string, dir: string): Promise<void> {
  const check = FINISHES[commandOf(line)]
  if (check === undefined) throw new Error(`no FINISHES row for: ${line}`)
  // The line exactly as the README writes it. (The demo's challenges live at least a real minute whatever
  // its time scale, src/cli/demo/run.ts, so the default 0.01 holds on a loaded machine.)
  const result = await run('bash', ['-c', line], { cwd: dir })
  expect(result.code, `${line}\n${describeRun(result)}`).toBe(0)
  const file = redirectOf(line)
  check(file === undefined ? result.stdout : readFileSync(join(dir, file), 'utf8'), line)
}

/** How a long-running line is stopped: a terminal's Ctrl+C, `kill` of npx's pid, or SIGTERM to the bin. */
export type StopWay = 'Ctrl+C to the process group' | 'SIGTERM to npx' | 'SIGTERM to the bin'

/** Pids in process group `pgid` that are still running (zombies, already exited, do not count). */
export function liveInGroup(pgid: number): number[] {
  const live: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue // ended meanwhile
    }
    // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(pgrp) === pgid && state !== 'Z') live.push(Number(entry))
  }
  return live
}

/**
 * How long a stopped command may take to be gone, every process of it included. Generous on purpose (a
 * loaded 2-core machine; the worker's pg-boss stop): it only turns a hang into a failure that names what
 * is still running, instead of the test's own timeout much later.
 */
const STOP_BOUND_MS = 120_000

/** Waits until no process of group `pgid` runs, or `ms` pass; returns those still running. */
async function goneWithin(pgid: number, ms: number): Promise<number[]> {
  const until = Date.now() + ms
  let left = liveInGroup(pgid)
  while (left.length > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    left = liveInGroup(pgid)
  }
  return left
}

/** `running.closed`, or, after `ms`, a failure naming the processes of group `pgid` still running. */
async function endsWithin(
  running: Running,
  pgid: number,
  ms: number,
  what: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)))
  const end = await Promise.race([running.closed, late])
  clearTimeout(timer)
  if (end !== 'late') return end
  const left = liveInGroup(pgid)
  running.stop('SIGKILL')
  throw new Error(
    `${what}: not gone ${ms / 1000} s after the stop; still running: ${left.join(', ')}\n${running.output()}`,
  )
}

/**
 * Starts a long-running line in `dir` (as its own process group), waits until it serves, stops it `way`,
 * and checks the stop was clean: the documented exit, the command's stop message, every process that held
 * its output gone, nothing left running in its process group, its port (if any) free again.
 */
export async function stopsCleanly(
  line: string,
  dir: string,
  way: StopWay,
  bin: string,
  track: (running: Running) => Running,
): Promise<void> {
  const expected = LONG_RUNNING[commandOf(line)]
  if (expected === undefined) throw new Error(`no LONG_RUNNING row for: ${line}`)
  const direct = way === 'SIGTERM to the bin'
  const script = asExec(direct ? line.replace('npx mx-reconnect', `${process.execPath} ${bin}`) : line)
  // Outside npm the bin listens to signals only; npm_command (set when the suite runs under npm) would tell
  // it that npm started it.
  const env = npmEnv()
  if (direct) delete env['npm_command']
  const running = track(start('bash', ['-c', script], dir, env, true))
  await running.printed(expected.ready)
  const port = portOf(line)
  if (port !== undefined) expect(await refused(port), running.output()).toBe(false)
  const pgid = running.child.pid!
  if (way === 'Ctrl+C to the process group') running.stop('SIGINT')
  else running.child.kill('SIGTERM')
  const end = await endsWithin(running, pgid, STOP_BOUND_MS, `${way}: ${line}`)
  const output = running.output()
  const context = `${way}: ${line}\n${output}`
  if (direct) {
    expect(end, context).toEqual({ code: 0, signal: null })
    expect(output, context).toContain('SIGTERM')
  } else {
    // npm forwards the signal to its `sh -c`, which dies of it, and npm then ends by the same signal.
    const signal = way === 'SIGTERM to npx' ? 'SIGTERM' : 'SIGINT'
    const code = signal === 'SIGTERM' ? 143 : 130
    expect(end.signal === signal || end.code === code, `${JSON.stringify(end)}\n${context}`).toBe(true)
    // Ctrl+C reaches the bin itself; a kill of npx's pid reaches only npm, and the bin stops as npm goes.
    if (signal === 'SIGINT') expect(output, context).toContain('SIGINT')
  }
  expect(output, context).toContain(expected.stopped)
  // A process that printed its stop line may still be exiting when npm's shell has gone: wait (bounded).
  expect(await goneWithin(pgid, STOP_BOUND_MS), context).toEqual([])
  if (port !== undefined) expect(await refused(port), context).toBe(true)
}
