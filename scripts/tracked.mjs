#!/usr/bin/env node
// Runs a checker (eslint or prettier) on the files git tracks, so `npm test` never lints or format-checks
// untracked scratch files (issue 17). Newly created files count once they are `git add`ed. Outside a git
// checkout it checks the whole tree, as before.
//
//   node scripts/tracked.mjs eslint --max-warnings 0
//   node scripts/tracked.mjs prettier --check
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import process from 'node:process'

const TOOLS = {
  eslint: {
    pkg: 'eslint',
    bin: 'bin/eslint.js',
    patterns: ['*.ts', '*.js', '*.mjs', '*.cjs'],
    extra: ['--no-warn-ignored'],
  },
  prettier: { pkg: 'prettier', bin: 'bin/prettier.cjs', patterns: [], extra: ['--ignore-unknown'] },
}

const [tool, ...args] = process.argv.slice(2)
const spec = tool === undefined ? undefined : TOOLS[tool]
if (spec === undefined) {
  process.stderr.write(`usage: node scripts/tracked.mjs <${Object.keys(TOOLS).join('|')}> [args]\n`)
  process.exit(2)
}

const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--', ...spec.patterns], { encoding: 'utf8' })
const files =
  listed.status === 0 ? listed.stdout.split('\0').filter((file) => file !== '' && existsSync(file)) : ['.']
if (files.length === 0) process.exit(0)

// The package's own bin (its `exports` do not expose it, so resolve its package.json and go from there).
const bin = join(dirname(createRequire(import.meta.url).resolve(`${spec.pkg}/package.json`)), spec.bin)
const run = spawnSync(process.execPath, [bin, ...args, ...spec.extra, ...files], { stdio: 'inherit' })
process.exit(run.status ?? 1)
