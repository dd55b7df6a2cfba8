import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The version in mx-reconnect's own package.json, for `mx-reconnect --version`. Found by walking up from
 * this module, which sits at `src/cli/` in a checkout and at `dist/src/cli/` in the installed package.
 *
 * @example
 * ```ts
 * packageVersion() // '0.1.0'
 * ```
 */
export function packageVersion(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from)
  for (;;) {
    const candidate = join(dir, 'package.json')
    try {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown }
      if (pkg.name === 'mx-reconnect' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // no package.json here (or not ours): keep walking up
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error('cannot find mx-reconnect’s package.json')
    dir = parent
  }
}
