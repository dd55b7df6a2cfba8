import { describe, expect, it } from 'vitest'
import { resolvePolicy, type ChallengePrompt } from '../../machines/member-lifecycle/index.js'
import type { Challenge } from '../../src/domain/schemas/index.js'
import { codecStore } from '../../src/reconnector/codec-store.js'
import { IMAGE_NOT_READ, SNAPSHOT_FORMAT } from '../../src/reconnector/snapshot-codec.js'
import { memoryStore } from '../../src/stores/index.js'
import legacy from './fixtures/snapshot-v1-credentials-awaiting.json' with { type: 'json' }

// The reconnector's codec store as docs/decisions/0017 and codec-store.ts's TSDoc define it: snapshots go
// into the store slim (marked `v: 2`, policy and ids left out, no challenge images) and come out whole
// from `get`, `create`'s answer, `unfinished` and `due`; `get` re-reads the images of a lifecycle waiting
// on MFA answers from MX's challenges read, once per `memberGuid@version` (256 kept), a failed read leaving
// the IMAGE_NOT_READ issue (and tried again next time); every other store method is the inner store's.
// Written against the mutants of a Stryker run with the unit tests. No timers, no network.

type Obj = Record<string, unknown>
const POLICY = resolvePolicy({ timeScale: 0.01 }) // the fixture's policy
const base = legacy.snapshot as unknown as Obj & { context: Obj }
const USER = base.context.userId as string
const GUID = base.context.memberGuid as string

const challenge: ChallengePrompt = {
  guid: 'CRD-1',
  type: 'IMAGE_OPTIONS',
  label: 'Pick',
  fieldName: 'q',
  imageData: 'aW1hZ2U=',
  imageOptions: [{ label: 'A', value: 'a', guid: 'OPT-1', dataUri: 'data:,a' }],
}
/** The same challenge as MX lists it (what `listMemberChallenges` answers). */
const mxChallenge = {
  guid: 'CRD-1',
  type: 'IMAGE_OPTIONS',
  label: 'Pick',
  field_name: 'q',
  image_data: 'aW1hZ2U=',
  image_options: [{ label: 'A', value: 'a', guid: 'OPT-1', data_uri: 'data:,a' }],
} as unknown as Challenge

/** The fixture moved to `mfa.awaiting` with an image challenge, for member `guid`. */
const awaiting = (guid = GUID) => ({
  ...base,
  value: { mfa: 'awaiting' },
  context: { ...base.context, memberGuid: guid, fields: null, challenges: [challenge] },
})

function setup(read: () => Promise<readonly Challenge[]> = () => Promise.resolve([mxChallenge])) {
  const inner = memoryStore()
  const reads: { userId: string; memberGuid: string }[] = []
  const client = {
    listMemberChallenges: (args: { userId: string; memberGuid: string }) => {
      reads.push(args)
      return read()
    },
  }
  const store = codecStore(inner, { policy: POLICY, client: client })
  return { inner, store, reads }
}

const row = (snapshot: unknown, memberGuid = GUID, status: 'waiting' | 'running' | 'done' = 'waiting') => ({
  memberGuid,
  userId: USER,
  state: 'mfa.awaiting',
  status,
  wakeAt: 1_000,
  snapshot,
})

describe('codecStore', () => {
  it('stores the slim form and hands back the whole snapshot from create and get', async () => {
    const { inner, store, reads } = setup()
    const created = await store.create(row(base, GUID, 'waiting'))
    expect(created.created).toBe(true)
    expect(created.record.snapshot).toEqual(base)
    const raw = (await inner.get(GUID))?.snapshot
    expect(raw).toMatchObject({ v: SNAPSHOT_FORMAT, value: 'credentials.awaiting' })
    const text = JSON.stringify(raw)
    expect(text).not.toContain('"policy"')
    expect(text).not.toContain(GUID)
    expect(text).not.toContain(USER)
    expect((await store.get(GUID))?.snapshot).toEqual(base)
    // Not waiting on MFA answers: no challenges read.
    expect(reads).toEqual([])
    expect(await store.get('MBR-NONE')).toBeUndefined()
  })

  it('saves slim (ids from the snapshot) and reads the images of an mfa.awaiting lifecycle again, once per version', async () => {
    const { inner, store, reads } = setup()
    const { record } = await store.create(row(base))
    const s = awaiting()
    await store.save(GUID, {
      expectedVersion: record.version,
      state: 'mfa.awaiting',
      status: 'waiting',
      wakeAt: 1_000,
      snapshot: s,
    })
    const text = JSON.stringify((await inner.get(GUID))?.snapshot)
    expect(text).toContain(`"v":${SNAPSHOT_FORMAT}`)
    expect(text).not.toContain('aW1hZ2U=')
    expect(text).not.toContain('data:,a')
    expect(text).not.toContain(USER)
    expect(text).not.toContain('"policy"')

    expect((await store.get(GUID))?.snapshot).toEqual(s)
    expect(reads).toEqual([{ userId: USER, memberGuid: GUID }])
    // The same stored version viewed again: no second read.
    expect((await store.get(GUID))?.snapshot).toEqual(s)
    expect(reads).toHaveLength(1)
    // A new version: read again.
    const v = (await inner.get(GUID))!.version
    await store.save(GUID, {
      expectedVersion: v,
      state: 'mfa.awaiting',
      status: 'waiting',
      wakeAt: 2_000,
      snapshot: s,
    })
    expect((await store.get(GUID))?.snapshot).toEqual(s)
    expect(reads).toHaveLength(2)
  })

  it('a save whose snapshot names no user still stores and reads back', async () => {
    const { inner, store } = setup()
    const { record } = await store.create(
      row({ queued: { userId: USER, memberGuid: GUID } }, GUID, 'running'),
    )
    await store.save(GUID, {
      expectedVersion: record.version,
      state: 'queued',
      status: 'running',
      wakeAt: null,
      snapshot: { queued: { userId: USER, memberGuid: GUID } },
    })
    expect((await inner.get(GUID))?.snapshot).toEqual({ queued: { userId: USER, memberGuid: GUID } })
    expect((await store.get(GUID))?.snapshot).toEqual({ queued: { userId: USER, memberGuid: GUID } })
  })

  it('a failed read leaves the issue on the challenge, and the next get tries again', async () => {
    let fail = true
    const { store, reads } = setup(() =>
      fail ? Promise.reject(new Error('503')) : Promise.resolve([mxChallenge]),
    )
    await store.create(row(awaiting()))
    const first = (await store.get(GUID))?.snapshot as { context: { challenges: ChallengePrompt[] } }
    expect(first.context.challenges[0]?.issues).toEqual([IMAGE_NOT_READ])
    expect(first.context.challenges[0]?.imageData).toBeUndefined()
    fail = false
    expect((await store.get(GUID))?.snapshot).toEqual(awaiting())
    expect(reads).toHaveLength(2)
  })

  it('a finished record is never read again for images', async () => {
    const { store, reads } = setup()
    await store.create(row(awaiting(), GUID, 'done'))
    const got = (await store.get(GUID))?.snapshot as { context: { challenges: ChallengePrompt[] } }
    expect(got.context.challenges[0]?.issues).toEqual([IMAGE_NOT_READ])
    expect(reads).toEqual([])
  })

  it('unfinished and due decode without reading images', async () => {
    const { store, reads } = setup()
    const a = { ...base, context: { ...base.context, memberGuid: 'MBR-A' } }
    await store.create(row(a, 'MBR-A', 'waiting'))
    await store.create(row(awaiting('MBR-B'), 'MBR-B', 'waiting'))
    const unfinished = await store.unfinished()
    expect(unfinished.map((r) => r.memberGuid)).toEqual(['MBR-A', 'MBR-B'])
    expect(unfinished[0]?.snapshot).toEqual(a)
    const due = await store.due(1_000, 10)
    expect(due.map((r) => r.memberGuid)).toEqual(['MBR-A', 'MBR-B'])
    const b = due[1]?.snapshot as { value: unknown; context: { challenges: ChallengePrompt[] } }
    expect(b.value).toEqual({ mfa: 'awaiting' })
    expect(b.context.challenges[0]?.issues).toEqual([IMAGE_NOT_READ])
    expect(reads).toEqual([])
  })

  it('keeps the reads of the last 256 versions', async () => {
    const { store, reads } = setup()
    const guids = Array.from({ length: 257 }, (_, i) => `MBR-${i}`)
    for (const guid of guids) await store.create(row(awaiting(guid), guid))
    for (const guid of guids) await store.get(guid)
    expect(reads).toHaveLength(257)
    await store.get(guids[256]!)
    await store.get(guids[1]!)
    expect(reads).toHaveLength(257)
    await store.get(guids[0]!)
    expect(reads).toHaveLength(258)
    expect(reads[257]).toEqual({ userId: USER, memberGuid: 'MBR-0' })
  })

  it('every other method is the inner store’s', async () => {
    const { inner, store } = setup()
    await store.create(row(base))
    expect(await store.counts()).toEqual(await inner.counts())
    expect(await store.counts()).toMatchObject({ waiting: 1 })
    expect(await store.acquire(GUID, 'me', 1_000)).toBe(true)
    expect((await inner.get(GUID))?.owner).toBe('me')
    expect(await store.history(GUID)).toEqual(await inner.history(GUID))
  })
})

describe('codecStore, odd inputs', () => {
  it('a save with no snapshot, or one whose context names no string user, reads back as it was', async () => {
    const { store } = setup()
    const { record } = await store.create(row(base))
    await store.save(GUID, {
      expectedVersion: record.version,
      state: 's',
      status: 'running',
      wakeAt: null,
      snapshot: null,
    })
    expect((await store.get(GUID))?.snapshot).toBeNull()
    const odd = { ...base, context: { ...base.context, userId: 7 } }
    await store.save(GUID, {
      expectedVersion: record.version + 1,
      state: 's',
      status: 'waiting',
      wakeAt: 1,
      snapshot: odd,
    })
    expect((await store.get(GUID))?.snapshot).toEqual(odd)
  })

  it('is an ordinary object to promise machinery, and keeps a class store’s methods on their instance', async () => {
    const { store } = setup()
    await expect(Promise.resolve(store)).resolves.toBe(store)
    expect((store as unknown as Record<string, unknown>).notAMethod).toBeUndefined()

    class PrivateStore {
      readonly #inner = memoryStore()
      readonly kind = 'private'
      counts() {
        return this.#inner.counts()
      }
    }
    const wrapped = codecStore(new PrivateStore() as unknown as ReturnType<typeof memoryStore>, {
      policy: POLICY,
      client: { listMemberChallenges: () => Promise.resolve([]) },
    })
    await expect(wrapped.counts()).resolves.toMatchObject({ running: 0, waiting: 0, done: 0 })
    expect((wrapped as unknown as PrivateStore).kind).toBe('private')
  })
})
