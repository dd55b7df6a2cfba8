import { readFile } from 'node:fs/promises'

// The secret-scan helper (house rule 8, "Secrets never rest"): looks for strings in the raw bytes of a
// SQLite database and its -wal / -shm side files, as a forensic reader of the disk would.

/** The byte forms a string can take on disk: UTF-8 as is, and UTF-8 of its JSON-escaped form. */
function forms(needle: string): Buffer[] {
  const escaped = JSON.stringify(needle).slice(1, -1)
  return escaped === needle
    ? [Buffer.from(needle, 'utf8')]
    : [Buffer.from(needle, 'utf8'), Buffer.from(escaped, 'utf8')]
}

async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/**
 * The needles that occur in the bytes of `path`, `path-wal` or `path-shm` (missing side files are
 * skipped). Empty needles are refused: they would match anything.
 */
export async function findInFile(path: string, needles: readonly string[]): Promise<string[]> {
  if (needles.some((needle) => needle.length === 0)) throw new Error('findInFile: empty needle')
  const files = await Promise.all([path, `${path}-wal`, `${path}-shm`].map(readIfPresent))
  const buffers = files.filter((buffer): buffer is Buffer => buffer !== undefined)
  if (buffers.length === 0) throw new Error(`findInFile: ${path} does not exist`)
  return needles.filter((needle) =>
    forms(needle).some((form) => buffers.some((buffer) => buffer.includes(form))),
  )
}

/** True when any of the needles occurs in the bytes of `path` or its -wal / -shm files. */
export async function fileContainsAny(path: string, needles: readonly string[]): Promise<boolean> {
  return (await findInFile(path, needles)).length > 0
}
