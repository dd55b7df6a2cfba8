import { createServer, type Server } from 'node:http'
import type { TestProject } from 'vitest/node'
import { startPgServer, type PgServer } from './pg-server.js'

// Vitest global setup (vitest.config.ts): at most ONE PostgreSQL server per test run, started only when a
// test first asks for it, so runs without Postgres tests pay nothing. The tests ask over a loopback HTTP
// endpoint (test/support/postgres.ts); with MX_RECONNECT_TEST_PG_URL set they use that server instead and
// nothing is started here. Both projects (unit, integration) share the one server through globalThis.

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:PORT/` answering with the superuser URL of the run's PostgreSQL server. */
    mxReconnectPgControl: string
  }
}

interface Shared {
  refs: number
  control: Promise<{ server: Server; url: string }>
  pg?: Promise<PgServer>
}

const KEY = Symbol.for('mx-reconnect.test-postgres')

function shared(): Shared {
  const g = globalThis as { [KEY]?: Shared }
  g[KEY] ??= { refs: 0, control: listen() }
  return g[KEY]
}

function startLazily(state: Shared): Promise<PgServer> {
  state.pg ??= startPgServer().then((pg) => {
    process.stderr.write(`[pg-global-setup] embedded PostgreSQL ready in ${pg.startMs} ms\n`)
    return pg
  })
  return state.pg
}

function listen(): Promise<{ server: Server; url: string }> {
  const server = createServer((_request, response) => {
    startLazily(shared()).then(
      (pg) => response.writeHead(200, { 'content-type': 'text/plain' }).end(pg.url),
      (error: unknown) =>
        response
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(error instanceof Error ? error.message : String(error)),
    )
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (typeof address !== 'object' || address === null)
        return reject(new Error('control server has no port'))
      resolve({ server, url: `http://127.0.0.1:${address.port}/` })
    })
  })
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const state = shared()
  state.refs += 1
  const control = await state.control
  project.provide('mxReconnectPgControl', control.url)
  return async () => {
    state.refs -= 1
    if (state.refs > 0) return
    control.server.close()
    const pg = await state.pg?.catch(() => undefined)
    await pg?.stop()
    delete (globalThis as { [KEY]?: Shared })[KEY]
  }
}
