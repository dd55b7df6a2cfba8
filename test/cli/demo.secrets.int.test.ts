import { readFile } from 'node:fs/promises'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runDemo, type DemoResult } from '../../src/cli/demo/run.js'
import { KNOWN_STATUSES } from '../../src/domain/index.js'
import type { Simulator } from '../../src/simulator/index.js'
import { sqliteStore } from '../../src/stores/index.js'
import { findInFile } from '../support/scan-file.js'

// House rule 8 ("Secrets never rest") on the demo's SQLite file: nothing the test users typed, not the API
// key, not an SSO or session token, is in the bytes of the database or its WAL. Scanned while the store is
// still open (the WAL still on disk) and again after it closed.

let dir: string
let result: DemoResult
let simulator: Simulator | undefined
let typed: () => readonly string[] = () => []
const scans: { open: string[]; wal: boolean; tokens: string[] } = { open: [], wal: false, tokens: [] }
/** The store's own view of each member's outcome, read through a second connection before the demo closes. */
const stored = new Map<string, string | undefined>()

/**
 * Values a test user types that also occur in the store for reasons that are not a leak: connection status
 * names (LOCKED, DEGRADED…, the simulator's test passwords double as statuses), and words of the prompt
 * structure (`challenges`, `options`, `imageOptions`, the REJECTED message "…were incorrect").
 */
const PUBLIC_WORDS = new Set<string>([...KNOWN_STATUSES, 'challenge', 'options', 'image', 'correct'])

/** 48 hex characters: the shape of the simulator's SSO api tokens and session tokens. */
const TOKEN_SHAPE = /[0-9a-f]{48}/g

async function tokenShapes(path: string): Promise<string[]> {
  const found: string[] = []
  for (const file of [path, `${path}-wal`]) {
    const bytes = await readFile(file).catch(() => undefined)
    if (bytes !== undefined) found.push(...(bytes.toString('latin1').match(TOKEN_SHAPE) ?? []))
  }
  return found
}

const needles = (): string[] => [
  ...typed().filter((v) => !PUBLIC_WORDS.has(v)),
  simulator?.apiKey ?? 'missing-key',
]

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mx-demo-secrets-'))
  result = await runDemo(
    { members: 40, concurrency: 8, seed: 5, timeScale: 0.005, dbPath: join(dir, 'demo.db') },
    {
      observe: (probe) => {
        simulator = probe.simulator
        typed = probe.typed
      },
      beforeClose: async (r) => {
        scans.wal = (await readFile(`${r.dbPath}-wal`).catch(() => undefined)) !== undefined
        scans.open = await findInFile(r.dbPath, needles())
        scans.tokens = await tokenShapes(r.dbPath)
        const second = sqliteStore(r.dbPath)
        try {
          for (const m of r.members) {
            const record = await second.get(m.member.memberGuid)
            stored.set(
              m.member.memberGuid,
              (record?.outcome as { outcome?: string } | null | undefined)?.outcome,
            )
          }
        } finally {
          await second.close()
        }
      },
    },
  )
}, 90_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the demo store holds no secret', () => {
  it('had users type distinctive secrets to look for', () => {
    const list = needles()
    // Right passwords, PINs, wrong MFA answers, the username, and the API key.
    expect(list.filter((v) => v.startsWith('demo-Pa55-')).length).toBeGreaterThan(1)
    expect(list.some((v) => v.startsWith('pin-'))).toBe(true)
    expect(list.some((v) => v.startsWith('wrong-'))).toBe(true)
    expect(list).toContain('mxuser')
    expect(list).toContain('UNAUTHORIZED')
    expect(simulator?.apiKey).toMatch(/^sim_/)
  })

  it('scans the right bytes: a member guid, which is stored, is found', async () => {
    const guid = result.members[0]?.member.memberGuid ?? 'none'
    expect(await findInFile(result.dbPath, [guid])).toEqual([guid])
  })

  it('finds none of them in the database or its WAL while the store is open', () => {
    expect(scans.wal).toBe(true)
    expect(scans.open).toEqual([])
    expect(scans.tokens).toEqual([])
  })

  it('finds none of them after the store closed', async () => {
    expect(await findInFile(result.dbPath, needles())).toEqual([])
    expect(await tokenShapes(result.dbPath)).toEqual([])
  })

  it('stored the outcome each member’s scenario implies', () => {
    expect(result.mismatches).toEqual([])
    for (const m of result.members)
      expect(stored.get(m.member.memberGuid), m.member.scenario.name).toBe(m.member.scenario.expected)
  })
})
