import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { schemas } from '../../src/domain/index.js'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'
import { correctAnswer, SimClient } from './http-client.js'

// Every row of the outcome table (simulator.md) over real HTTP with undici. The clock is frozen
// (`timeScale: 0`) and moved with `advanceTime`, so nothing here depends on real time.

let sim: Simulator
let client: SimClient
const JOB = 4_000
let n = 0

beforeAll(async () => {
  sim = await startSimulator({ seed: 11, timeScale: 0, jobDurationMs: JOB })
  client = new SimClient(sim)
})
afterAll(async () => {
  await client.close()
  await sim.close()
})

/** A fresh user with one DENIED member and an open session. */
async function deniedMember(): Promise<{ guid: string; session: string }> {
  n += 1
  const userId = `outcome-user-${n}`
  sim.createUser({ id: userId })
  const guid = sim.createMember({ userId, status: 'DENIED', password: 'wrong' })
  return { guid, session: await client.login(userId) }
}

describe('outcome table over HTTP', () => {
  it.each([
    ['any-other-password', 'CONNECTED'],
    ['UNAUTHORIZED', 'DENIED'],
    ['LOCKED', 'LOCKED'],
    ['IMPEDED', 'IMPEDED'],
    ['DEGRADED', 'DEGRADED'],
    ['DISCONNECTED', 'DISCONNECTED'],
    ['BAD_REQUEST', 'FAILED'],
  ])('%s → %s', async (password, expected) => {
    const { guid, session } = await deniedMember()
    const r = await client.update(session, guid, password)
    expect(r.status).toBe(200)
    expect(schemas.member.parse(r.json()).member).toMatchObject({
      connection_status: 'UPDATED',
      is_being_aggregated: true,
    })
    sim.advanceTime(JOB)
    expect(await client.member(session, guid)).toMatchObject({
      connection_status: expected,
      is_being_aggregated: false,
    })
  })

  it('DELAYED → DELAYED (aggregating) → CONNECTED', async () => {
    const { guid, session } = await deniedMember()
    await client.update(session, guid, 'DELAYED')
    sim.advanceTime(JOB)
    expect(await client.member(session, guid)).toMatchObject({
      connection_status: 'DELAYED',
      is_being_aggregated: true,
    })
    sim.advanceTime(12_000)
    expect((await client.member(session, guid)).connection_status).toBe('CONNECTED')
  })

  it('UNAUTHORIZED three times in a row → PREVENTED', async () => {
    const { guid, session } = await deniedMember()
    const statuses: unknown[] = []
    for (let i = 0; i < 2; i++) {
      await client.update(session, guid, 'UNAUTHORIZED')
      sim.advanceTime(JOB)
      statuses.push((await client.member(session, guid)).connection_status)
    }
    // The seeded DENIED was the first of the three.
    expect(statuses).toEqual(['DENIED', 'PREVENTED'])
  })

  it.each([
    ['challenge', ['TEXT']],
    ['options', ['OPTIONS']],
    ['image', ['IMAGE_DATA']],
    ['image_options', ['IMAGE_OPTIONS']],
    ['token', ['TOKEN']],
    ['multi', ['OPTIONS', 'TOKEN']],
  ])('%s → CHALLENGED %j → resume correct → CONNECTED', async (password, rounds) => {
    const { guid, session } = await deniedMember()
    await client.update(session, guid, password)
    const seen: unknown[] = []
    let previous: string | undefined
    for (let i = 0; i < rounds.length; i++) {
      sim.advanceTime(JOB)
      expect((await client.member(session, guid)).connection_status).toBe('CHALLENGED')
      const round = await client.challenges(session, guid)
      expect(round[0]!.guid).not.toBe(previous)
      previous = round[0]!.guid
      seen.push(...round.map((c) => c.type))
      const r = await client.resume(session, guid, correctAnswer)
      expect(r.status).toBe(200)
      expect(schemas.member.parse(r.json()).member.connection_status).toBe('RESUMED')
    }
    sim.advanceTime(JOB)
    expect(seen).toEqual(rounds)
    expect(await client.member(session, guid)).toMatchObject({
      connection_status: 'CONNECTED',
      is_being_aggregated: false,
    })
  })

  it.each(['challenge', 'options', 'image', 'image_options', 'token', 'multi'])(
    '%s with a wrong answer → REJECTED',
    async (password) => {
      const { guid, session } = await deniedMember()
      await client.update(session, guid, password)
      sim.advanceTime(JOB)
      await client.resume(session, guid, () => 'not-it')
      sim.advanceTime(JOB)
      expect((await client.member(session, guid)).connection_status).toBe('REJECTED')
    },
  )

  it('an unanswered challenge → EXPIRED after 5 simulated minutes; then resume is 405', async () => {
    const { guid, session } = await deniedMember()
    await client.update(session, guid, 'challenge')
    sim.advanceTime(JOB)
    const [challenge] = await client.challenges(session, guid)
    sim.advanceTime(5 * 60_000)
    expect((await client.member(session, guid)).connection_status).toBe('EXPIRED')
    const r = await client.nexus(session, 'PUT', `/members/${guid}/resume`, {
      challenges: [{ guid: challenge!.guid, value: 'correct' }],
    })
    expect(r.status).toBe(405)
  })

  it('resume with answers for other guids → 400', async () => {
    const { guid, session } = await deniedMember()
    await client.update(session, guid, 'challenge')
    sim.advanceTime(JOB)
    const r = await client.nexus(session, 'PUT', `/members/${guid}/resume`, {
      challenges: [{ guid: 'CRD-not-this-round', value: 'correct' }],
    })
    expect(r.status).toBe(400)
    expect(sim.member(guid).status).toBe('CHALLENGED')
  })

  it('expired sessions answer HTTP 401 with {"error":{"code":4011,...}}; a new session works', async () => {
    const { guid, session } = await deniedMember()
    expect(sim.expireSessions()).toBeGreaterThan(0)
    const r = await client.nexus(session, 'GET', `/members/${guid}`)
    expect(r.status).toBe(401)
    expect(r.json()).toEqual({ error: { code: 4011, message: expect.any(String) as string } })
    const fresh = await client.login(sim.member(guid).userId!)
    expect((await client.member(fresh, guid)).connection_status).toBe('DENIED')
  })

  it('the SSO token is single-use over HTTP too', async () => {
    const userId = 'single-use-user'
    sim.createUser({ id: userId })
    const token = await client.apiToken(userId)
    const open = async () =>
      (
        await client.call('POST', `${sim.nexusUrl}/sessions`, {
          headers: { 'MD-API-TOKEN': token },
          body: {},
        })
      ).status
    expect(await open()).toBe(200)
    expect(await open()).toBe(401)
  })
})
