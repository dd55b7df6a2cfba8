import { ESLint } from 'eslint'
import tseslint from 'typescript-eslint'
import { describe, expect, it } from 'vitest'

// House rule 1 (architecture.md): machines/ imports only xstate and src/domain, enforced by ESLint so a
// violation fails `npm test`. The probe files are linted from text with the project's real config
// (type information switched off, because the probes are not on disk).
const eslint = new ESLint({ overrideConfig: [tseslint.configs.disableTypeChecked] })

async function fenceErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return (result?.messages ?? [])
    .filter((m) =>
      ['no-restricted-imports', 'no-restricted-properties', 'no-restricted-globals'].includes(m.ruleId ?? ''),
    )
    .map((m) => m.message)
}

describe('the machines/ lint fence', () => {
  it.each([
    ["import { Effect } from 'effect'", 'effect'],
    ["import { readFileSync } from 'node:fs'", 'node:fs'],
    ["import { request } from 'undici'", 'undici'],
    ["import * as fs from 'fs'", 'fs'],
    ["import { Schedule } from 'effect/Schedule'", 'effect/Schedule'],
    ["import { x } from '../../src/services/transport.js'", 'services'],
  ])('rejects %s', async (line) => {
    const errors = await fenceErrors('machines/member-lifecycle/probe.ts', `${line}\nexport const y = 1\n`)
    expect(errors.length).toBeGreaterThan(0)
  })

  it('rejects Date.now() and Math.random() in a machine', async () => {
    const errors = await fenceErrors(
      'machines/member-lifecycle/probe.ts',
      'export const t = Date.now() + Math.random()\n',
    )
    expect(errors).toHaveLength(2)
  })

  it('allows xstate and the domain inside machines/', async () => {
    const code =
      "import { setup } from 'xstate'\nimport { statusClass } from '../../src/domain/index.js'\nexport const m = [setup, statusClass]\n"
    expect(await fenceErrors('machines/member-lifecycle/probe.ts', code)).toEqual([])
  })

  it('does not fence code outside machines/', async () => {
    const code =
      "import { Effect } from 'effect'\nimport { readFileSync } from 'node:fs'\nexport const m = [Effect, readFileSync]\n"
    expect(await fenceErrors('src/services/probe.ts', code)).toEqual([])
  })
})
