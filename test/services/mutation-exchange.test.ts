import { Effect, Exit } from 'effect'
import { describe, expect, it } from 'vitest'
import { HttpError } from '../../src/domain/index.js'
import { sendOnce } from '../../src/services/exchange.js'
import type { HttpRequest, TransportService } from '../../src/services/transport.js'

// Written against the mutants Stryker left alive in src/services/exchange.ts (docs/testing.md). The oracle:
// docs/errors.md (`HttpError`: MX answered non-2xx) and the Nexus reference §7.1 (200 on success, a few
// deletes answer 204). A 3xx is not a success: the client follows no redirect.

const request: HttpRequest = {
  api: 'nexus',
  method: 'GET',
  path: '/members/MBR-1',
  endpoint: { origin: 'http://127.0.0.1:9', basePath: '' },
  headers: {},
}
/** A transport that answers every request with `status` (no network). */
const answering = (status: number): TransportService => ({
  send: () => Effect.succeed({ status, headers: {}, text: '{}' }),
})

describe('sendOnce', () => {
  it.each([200, 204, 299])('takes a %i as the reply', async (status) => {
    const reply = await Effect.runPromise(sendOnce(answering(status), request))
    expect(reply.status).toBe(status)
  })

  it.each([300, 304, 400, 503])('makes a %i an HttpError with that status', async (status) => {
    const exit = await Effect.runPromiseExit(sendOnce(answering(status), request))
    if (Exit.isSuccess(exit) || exit.cause._tag !== 'Fail') throw new Error('expected a failure')
    expect(exit.cause.error).toBeInstanceOf(HttpError)
    expect(exit.cause.error).toMatchObject({ status, api: 'nexus', method: 'GET', path: '/members/MBR-1' })
  })
})
