import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

// `@opentelemetry/api` is an optional peer: without it the package loads and reconnects a member as usual
// (issue 17). A child process hides the API from Node's resolver (fixtures/hide-otel.mjs) and runs one
// member to `connected` through the public entry, against the simulator.

const run = promisify(execFile)
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

describe('without @opentelemetry/api', () => {
  it('loads no telemetry and reconnects a member to connected', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', fixture('hide-otel.mjs'), '--import', 'tsx', fixture('without-otel.ts')],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 110_000 },
    )
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      resolvable: false,
      telemetry: 'absent',
      outcome: 'connected',
    })
  })
})
