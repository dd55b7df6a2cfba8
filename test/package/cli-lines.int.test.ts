import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { asExec, commandOf, liveInGroup, portOf, redirectOf } from './cli-lines.js'

// The helpers the package test reads README lines and watches process groups with (cli-lines.ts): if they
// were wrong, the package test could pass without running a line or without seeing a leftover process.

describe('README line helpers', () => {
  const worker =
    'MX_NEXUS_URL=http://127.0.0.1:4010 MX_API_KEY=sim-key npx mx-reconnect worker --store postgres:postgres://mx@db/mx'

  it('asExec puts exec after the leading assignments and drops a trailing &', () => {
    expect(asExec(worker)).toBe(
      'MX_NEXUS_URL=http://127.0.0.1:4010 MX_API_KEY=sim-key exec npx mx-reconnect worker --store postgres:postgres://mx@db/mx',
    )
    expect(asExec('npx mx-reconnect simulate --port 4010 &')).toBe(
      'exec npx mx-reconnect simulate --port 4010',
    )
  })

  it('reads the command, the redirect target and the port of a line', () => {
    expect(commandOf(worker)).toBe('worker')
    expect(commandOf('echo hello')).toBe('')
    expect(redirectOf('npx mx-reconnect diagram --format mermaid > lifecycle.mmd')).toBe('lifecycle.mmd')
    expect(redirectOf('npx mx-reconnect diagram')).toBeUndefined()
    expect(portOf('npx mx-reconnect inspect --store sqlite:./demo.db --port 4020')).toBe(4020)
    expect(portOf(worker)).toBeUndefined()
  })
})

describe('liveInGroup', () => {
  it('lists a running process of the group, and nothing once it is gone', async () => {
    // A group of its own: `sh` as the leader and a `sleep` child (the shape npx's sh -c leaves behind).
    const leader = spawn('sh', ['-c', 'sleep 600 & wait'], { detached: true, stdio: 'ignore' })
    const pgid = leader.pid!
    await expect.poll(() => liveInGroup(pgid).length, { timeout: 30_000 }).toBe(2)
    expect(liveInGroup(pgid)).toContain(pgid)
    const exited = once(leader, 'exit')
    process.kill(-pgid, 'SIGKILL')
    await exited
    await expect.poll(() => liveInGroup(pgid), { timeout: 30_000 }).toEqual([])
  })
})
