import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MfaRequiredEvent } from '../../machines/member-lifecycle/index.js'
import { createReconnector, type ReconnectorOptions } from '../../src/reconnector/index.js'
import { IMAGE_NOT_READ } from '../../src/reconnector/snapshot-codec.js'
import { CORRECT_ANSWER, SCENARIO_USERNAME } from '../../src/simulator/index.js'
import { sqliteStore } from '../../src/stores/index.js'
import { TIME_SCALE, seedDenied, simEnv } from '../support/sim-env.js'
import legacy from './fixtures/snapshot-v1-credentials-awaiting.json' with { type: 'json' }

// Slim stored snapshots (issue 15, docs/decisions/0017) against the real simulator and real SQLite files:
// a row in the form every earlier version wrote still restores and finishes; challenge images are not
// stored and are read again from MX for a lifecycle waiting on MFA answers, for its view and its prompt.

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
let dir: string
let files = 0

beforeAll(async () => {
  env = await simEnv({ seed: 41 })
  dir = mkdtempSync(join(tmpdir(), 'mx-snapshot-'))
})
afterAll(async () => {
  await env.close()
  rmSync(dir, { recursive: true, force: true })
})

const policy = { timeScale: TIME_SCALE }
const dbPath = () => join(dir, `s-${++files}.db`)

/** The stored snapshot JSON of a member, as the file holds it. */
function storedJson(path: string, memberGuid: string): string {
  const db = new Database(path, { readonly: true })
  try {
    const row = db.prepare('SELECT snapshot FROM lifecycles WHERE member_guid = ?').get(memberGuid) as {
      snapshot: string
    }
    return row.snapshot
  } finally {
    db.close()
  }
}

describe('rows stored before slim snapshots', () => {
  it('a credentials.awaiting row captured in today’s form restores, is answered and connects', async () => {
    const path = dbPath()
    const store = sqliteStore(path)
    const userId = 'legacy-user'
    const memberGuid = seedDenied(env.sim, userId)
    // The captured row, moved to this member and to now: the user's deadline a real minute ahead.
    const now = Date.now()
    const until = now + 60_000
    const text = JSON.stringify(legacy.snapshot)
      .replaceAll(legacy.snapshot.context.memberGuid, memberGuid)
      .replaceAll(String(legacy.snapshot.context.userDeadline), String(until))
      .replaceAll(String(legacy.snapshot.context.observedAt), String(now))
    const snapshot = JSON.parse(text) as typeof legacy.snapshot
    expect(snapshot.context.wakeAt).toBe(until)
    expect(snapshot.children.credentialsDeadline.snapshot.input.until).toBe(until)
    await store.create({
      memberGuid,
      userId,
      state: legacy.state,
      status: 'waiting',
      wakeAt: until,
      snapshot,
    })
    const asked: string[][] = []
    const r = createReconnector({
      client: env.client,
      store,
      policy,
      credentials: (p) => {
        asked.push(p.fields.map((f) => f.guid))
        return Promise.resolve(
          p.fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'x' : SCENARIO_USERNAME })),
        )
      },
    })
    const report = await r.resumeAll()
    expect(report.members).toEqual([expect.objectContaining({ memberGuid, outcome: 'connected' })])
    // Asked the captured fields (restored, not listed again), answered once, one update sent.
    expect(asked).toEqual([snapshot.context.fields.map((f) => f.guid)])
    const puts = env.sim.requests().filter((q) => q.memberGuid === memberGuid && q.method === 'PUT')
    expect(puts).toHaveLength(1)
    // Written back in the slim form.
    const stored = JSON.parse(storedJson(path, memberGuid)) as { v?: number }
    expect(stored.v).toBe(2)
    await r.close()
    await store.close()
  })
})

describe('challenge images', () => {
  const seedImage = (userId: string) =>
    env.sim.createMember({
      userId,
      institutionCode: 'mxbank',
      username: SCENARIO_USERNAME,
      password: 'image',
      status: 'DENIED',
    })
  const answerCredentials: ReconnectorOptions['credentials'] = (p) =>
    Promise.resolve(
      p.fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? 'image' : SCENARIO_USERNAME })),
    )

  it('are not stored; a restart reads them again for the stored view and for the prompt it asks', async () => {
    const path = dbPath()
    const store = sqliteStore(path)
    const userId = 'image-user'
    const memberGuid = seedImage(userId)
    const member = { userId, memberGuid }
    // No MFA provider: the lifecycle parks on the user's answers.
    const first = createReconnector({ client: env.client, store, policy, credentials: answerCredentials })
    const parked = await first.sweep({ members: [member] })
    expect(parked.members[0]).toMatchObject({ outcome: 'awaitingUser' })
    await first.close()
    const mx = await env.client.listMemberChallenges(member)
    const image = mx[0]?.image_data
    expect(image).toMatch(/^[A-Za-z0-9+/=]{40,}$/)
    const stored = storedJson(path, memberGuid)
    expect(stored).not.toContain(image!)
    expect(JSON.parse(stored)).toMatchObject({ v: 2, value: 'mfa.awaiting' })

    const prompts: MfaRequiredEvent[] = []
    const again = createReconnector({
      client: env.client,
      store,
      policy,
      mfa: (p) => {
        prompts.push(p)
        return Promise.resolve(p.challenges.map((c) => ({ guid: c.guid, value: CORRECT_ANSWER })))
      },
    })
    const view = await again.view(member)
    expect(view?.prompt?.type).toBe('mfa.required')
    const challenges = (view?.prompt as MfaRequiredEvent).challenges
    expect(challenges.map((c) => [c.guid, c.imageData, c.issues])).toEqual([[mx[0]!.guid, image, undefined]])
    const resumed = await again.resumeAll()
    expect(resumed.members[0]).toMatchObject({ memberGuid, outcome: 'connected' })
    expect(prompts.map((p) => p.challenges[0]?.imageData)).toEqual([image])
    await again.close()
    await store.close()
  })

  it('a challenges read that fails leaves the prompt with an issue saying why; the next view reads again', async () => {
    const store = sqliteStore(dbPath())
    const member = { userId: 'image-fail', memberGuid: seedImage('image-fail') }
    const first = createReconnector({ client: env.client, store, policy, credentials: answerCredentials })
    expect((await first.sweep({ members: [member] })).members[0]).toMatchObject({ outcome: 'awaitingUser' })
    await first.close()
    const again = createReconnector({ client: env.client, store, policy })
    const fault = env.sim.faults.inject({
      method: 'GET',
      path: `/members/${member.memberGuid}/challenges`,
      status: 404,
    })
    const blind = (await again.view(member))?.prompt as MfaRequiredEvent
    fault.remove()
    expect(blind.challenges.map((c) => [c.imageData, c.issues])).toEqual([[undefined, [IMAGE_NOT_READ]]])
    const seen = (await again.view(member))?.prompt as MfaRequiredEvent
    const image = (await env.client.listMemberChallenges(member))[0]?.image_data
    expect(seen.challenges.map((c) => [c.imageData, c.issues])).toEqual([[image, undefined]])
    await again.close()
    await store.close()
  })
})
