import { Effect } from 'effect'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNexusClient } from '../../src/client/index.js'
import { NexusApi } from '../../src/services/nexus-api.js'
import { startFakeMx } from '../support/fake-mx.js'
import type { FakeMx } from '../support/fake-mx.js'

// `client.layer` (for Effect users) follows the client's injected clock, as the facade does: a session is
// good for 30 minutes of that clock (nexus-api.md §1.5, the default `sessionTtlMs`), so once the clock has
// moved past them, a call through the layer opens a new session before it reads. Before, the layer carried
// the services but not the clock (a FiberRef), and judged the window by the machine's own clock.

let mx: FakeMx
beforeAll(async () => {
  mx = await startFakeMx()
})
afterAll(async () => {
  await mx.close()
})

const SESSION_MS = 30 * 60_000
const user = { userId: 'USR-layer-clock' }

describe('client.layer and an injected clock', () => {
  it('renews the session once the injected clock has passed its 30 minutes, as the facade does', async () => {
    let now = Date.parse('2026-06-01T12:00:00Z')
    const client = createNexusClient({
      ...mx.config,
      clock: { now: () => now, sleep: () => Promise.resolve() },
    })
    const viaLayer = (memberGuid: string) =>
      Effect.runPromise(
        Effect.provide(
          Effect.flatMap(NexusApi, (api) => api.readMember({ ...user, memberGuid })),
          client.layer,
        ),
      )
    try {
      const sessions = () => mx.count('POST', '/nexus/sessions')
      const before = sessions()
      await client.readMember({ ...user, memberGuid: 'MBR-1' })
      expect(sessions()).toBe(before + 1)
      // Within the window by the injected clock: the layer reuses the session.
      now += 60_000
      expect((await viaLayer('MBR-2')).guid).toBe('MBR-2')
      expect(sessions()).toBe(before + 1)
      // Past it by the injected clock (the machine's own clock has not moved): a new session first.
      now += SESSION_MS
      expect((await viaLayer('MBR-3')).guid).toBe('MBR-3')
      expect(sessions()).toBe(before + 2)
      // The facade and the layer share it.
      await client.readMember({ ...user, memberGuid: 'MBR-1' })
      expect(sessions()).toBe(before + 2)
    } finally {
      await client.close()
    }
  })
})
