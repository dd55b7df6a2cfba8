import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createNexusClient } from '../../src/client/index.js'
import { startFakeMx } from '../support/fake-mx.js'
import { fcParams } from '../support/fc-params.js'

// The single-flight session cache under every interleaving fast-check picks: when callers start, when
// MX answers each SSO / session / member request, and when MX expires every session (§1.5). Real HTTP
// on loopback; the scheduler releases each server reply in the order it chooses. After each release the
// test waits for quiescence (every reply consumed, every request the client then sent parked at the
// server), so the scheduler always chooses among all outstanding events, not just the first to arrive.

const USERS = ['ann', 'ben', 'cat'] as const
const callers = fc.array(fc.constantFrom(...USERS), { minLength: 1, maxLength: 12 })

async function runScenario(s: fc.Scheduler, who: readonly string[], expire: boolean) {
  const mx = await startFakeMx()
  let consumed = 0
  let released = 0
  const client = createNexusClient({
    ...mx.config,
    retry: { reads: 0, writes: 0 },
    logger: (line) => {
      if (line.event === 'http' && line.status !== undefined) consumed++
    },
  })
  const turn = () => new Promise((resolve) => setImmediate(resolve))
  const quiescent = async () => {
    for (;;) {
      await turn()
      await turn()
      if (consumed === released && mx.server.requests.length === client.stats().requests) return
    }
  }
  try {
    mx.gate = (request) =>
      s.schedule(Promise.resolve(), `${request.method} ${request.path}`).then(() => {
        released++
      })
    const calls = who.map((userId, i) =>
      s
        .schedule(Promise.resolve(), `start ${userId}#${i}`)
        .then(() => client.readMember({ userId, memberGuid: `MBR-${i}` })),
    )
    if (expire) void s.schedule(Promise.resolve(), 'MX expires every session').then(() => mx.expireSessions())
    const settled = await s.waitFor(Promise.allSettled(calls), async (release) => {
      await release()
      await quiescent()
    })
    const opened = (userId: string) => [...mx.sessions.values()].filter((x) => x.userId === userId).length
    return {
      settled,
      opened,
      ssoCalls: (userId: string) => mx.count('GET', `/sso/client-1/users/${userId}/`),
    }
  } finally {
    await client.close()
    await mx.close()
  }
}

describe('Sessions single flight (fc.scheduler)', () => {
  it('N concurrent callers per user make exactly one SSO call and one session, never mixing users', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), callers, async (s, who) => {
        const { settled, opened, ssoCalls } = await runScenario(s, who, false)
        settled.forEach((result, i) => {
          expect(result.status).toBe('fulfilled')
          if (result.status === 'fulfilled') expect(result.value.user_guid).toBe(`USR-${who[i]}`)
        })
        for (const userId of new Set(who)) {
          expect(ssoCalls(userId)).toBe(1)
          expect(opened(userId)).toBe(1)
        }
      }),
      fcParams('sessions: single flight', 60),
    )
  })

  it('an expiry at any moment costs at most one renewal per user and no caller ever sees it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), callers, async (s, who) => {
        const { settled, opened } = await runScenario(s, who, true)
        settled.forEach((result, i) => {
          expect(result.status).toBe('fulfilled')
          if (result.status === 'fulfilled') expect(result.value.user_guid).toBe(`USR-${who[i]}`)
        })
        for (const userId of new Set(who)) expect(opened(userId)).toBeLessThanOrEqual(2)
      }),
      fcParams('sessions: expiry renews once', 80),
    )
  })
})
