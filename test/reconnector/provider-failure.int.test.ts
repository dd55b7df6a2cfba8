import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReconnector } from '../../src/reconnector/index.js'
import type { ReconnectorEvent, ReconnectorOptions } from '../../src/reconnector/index.js'
import { memoryStore, sqliteStore } from '../../src/stores/index.js'
import type { LifecycleStore } from '../../src/stores/index.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TIME_SCALE, seedDenied, simEnv } from '../support/sim-env.js'

// An automated provider that answers at once with nothing (throws, rejects, or resolves undefined) leaves the
// member parked on its user (types.ts: "undefined from it leaves the lifecycle waiting for the user"), and
// that is all: its error is reported, the parked state is stored, the lease given back, and nothing else.
// Found by the Stryker run over live.ts: the prompt's save (stored `running` while the provider was out) and
// the parked state's save were both queued, the first one's eviction released the lease, and the second then
// failed as "leased to another holder": a LeaseLost error for a member that had parked fine.

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
let dir: string

beforeAll(async () => {
  env = await simEnv({ seed: 97 })
  dir = mkdtempSync(join(tmpdir(), 'mx-provider-failure-'))
})
afterAll(async () => {
  await env.close()
  rmSync(dir, { recursive: true, force: true })
})

const policy = { timeScale: TIME_SCALE, userResponseMs: 3_600_000 }
type Credentials = NonNullable<ReconnectorOptions['credentials']>

const PROVIDERS: ReadonlyArray<[string, Credentials, readonly unknown[]]> = [
  [
    'throws',
    () => {
      throw new TypeError('not a promise')
    },
    [{ _tag: 'UnknownError', message: 'TypeError' }],
  ],
  [
    'rejects at once',
    () => Promise.reject(new RangeError('sealed')),
    [{ _tag: 'UnknownError', message: 'RangeError' }],
  ],
  ['declines at once', () => Promise.resolve(undefined), []],
]

const STORES: ReadonlyArray<[string, () => LifecycleStore]> = [
  ['memory', () => memoryStore()],
  ['sqlite', () => sqliteStore(join(dir, `${Math.random().toString(36).slice(2)}.db`))],
]

describe('a provider that answers at once with nothing', () => {
  for (const [storeName, open] of STORES)
    for (const [how, credentials, expected] of PROVIDERS)
      it(`${how} (${storeName}): parked on its user, stored, lease given back, no other error`, async () => {
        const store = open()
        const userId = `pf-${storeName}-${how.replace(/\W/g, '-')}`
        const memberGuid = seedDenied(env.sim, userId)
        const events: ReconnectorEvent[] = []
        const r = createReconnector({
          client: env.client,
          store,
          policy,
          credentials,
          onEvent: (e) => events.push(e),
        })
        try {
          const report = await r.sweep({ members: [{ userId, memberGuid }] })
          expect(report.members[0]).toMatchObject({ outcome: 'awaitingUser' })
          const errors = events.flatMap((e) => (e.type === 'error' ? [e.error] : []))
          expect(errors).toEqual(expected)
          const row = await store.get(memberGuid)
          expect(row).toMatchObject({ status: 'waiting', state: 'credentials.awaiting', owner: null })
          expect(events.filter((e) => e.type === 'evicted')).toHaveLength(1)
          expect(env.sim.requests().filter((q) => q.memberGuid === memberGuid && q.method === 'PUT')).toEqual(
            [],
          )
        } finally {
          await r.close()
          await store.close()
        }
      })
})
