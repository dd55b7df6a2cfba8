import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { describeRun, ROOT, run } from './consumer.js'

// Issue 17: the API reference builds from the TSDoc with no warning. typedoc.json sets
// treatWarningsAsErrors and the validations (a type used by a public signature but not exported, a broken
// {@link}); `--emit none` checks without writing docs/api. test/public-api.test.ts checks that every export
// is documented and every value export has an @example.

describe('npm run docs:api (TypeDoc)', () => {
  it('documents every entry of the package without a warning', async () => {
    const typedoc = join(ROOT, 'node_modules/typedoc/bin/typedoc')
    const result = await run(process.execPath, [typedoc, '--emit', 'none'], {
      cwd: ROOT,
      env: { ...process.env },
    })
    expect(result.code, describeRun(result)).toBe(0)
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/\[(warning|error)\]/)
  }, 600_000)

  it('covers every entry point of package.json', () => {
    const config = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8')) as { entryPoints: string[] }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, { import?: string } | string>
    }
    const sources = Object.values(pkg.exports)
      .flatMap((target) => (typeof target === 'string' ? [] : [target.import ?? '']))
      .map((built) => built.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'))
    expect([...config.entryPoints].sort()).toEqual(sources.sort())
  })
})
