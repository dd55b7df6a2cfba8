import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { sqliteStore } from '../../src/stores/index.js'
import { expectedAt } from './fixtures/crash-writer.js'
import { useTempDir } from './harness.js'

// "Every state change persisted before the next side effect" and "a crash loses nothing but in-flight
// requests" (design/reconnector.md): a writer process is SIGKILLed mid-stream; every save it acknowledged
// must be in the file, and no row may be torn (docs/decisions/0004-stores.md: WAL + synchronous=NORMAL).

const dir = useTempDir()
const root = fileURLToPath(new URL('../..', import.meta.url))
const writer = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url))
const MEMBERS = 4

/** Runs the writer until it has acknowledged `killAfter` saves, SIGKILLs it, and returns the last ack per member. */
function writeThenKill(path: string, killAfter: number): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, path, String(MEMBERS)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const acked = new Map<string, number>()
    let count = 0
    let buffered = ''
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        const [, guid, version] = line.split(' ')
        acked.set(guid!, Number(version))
        if (++count === killAfter) child.kill('SIGKILL')
      }
    })
    // Never leave a writer behind, even when acks stop coming.
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(guard)
      if (signal === 'SIGKILL' && count >= killAfter) resolve(acked)
      else reject(new Error(`writer ended (${code ?? signal}) after ${count} acks: ${stderr}`))
    })
  })
}

describe('sqliteStore survives SIGKILL', () => {
  it.each([5, 300, 2000])('keeps every acknowledged save when killed after %i acks', async (killAfter) => {
    const path = join(dir, `crash-${killAfter}.db`)
    const acked = await writeThenKill(path, killAfter)
    expect(acked.size).toBeGreaterThan(0)

    // The file is whole: SQLite's own check, and the WAL recovered on open.
    const db = new Database(path)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    db.close()

    const store = sqliteStore(path)
    for (const [memberGuid, version] of acked) {
      const record = (await store.get(memberGuid))!
      // Never less than acknowledged; at most the one save in flight when the kill landed.
      expect(record.version).toBeGreaterThanOrEqual(version)
      expect(record.version).toBeLessThanOrEqual(version + 1)
      // Not torn: state, snapshot and history all belong to the same version.
      const expected = expectedAt(memberGuid, record.version)
      expect(record.state).toBe(expected.state)
      expect(record.snapshot).toEqual(expected.snapshot)
      const history = await store.history(memberGuid)
      expect(history.map((entry) => entry.seq)).toEqual(history.map((_, i) => i + 1))
      expect(history.map((entry) => entry.data)).toEqual(history.map((_, i) => ({ version: i + 1 })))
      expect(history).toHaveLength(record.version)
    }
    await store.close()
  })
})
