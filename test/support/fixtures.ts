import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** A real MX example copied from the shared reference (`test/fixtures/mx/README.md` lists the sources). */
export interface MxFixture {
  readonly file: string
  readonly source: string
  readonly kind: 'request' | 'response'
  readonly method: string
  readonly path: string
  readonly body: unknown
}

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mx')

/** Every copied fixture, parsed. */
export function loadMxFixtures(): MxFixture[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      ...(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<MxFixture, 'file'>),
    }))
}
