import { describe, expect, it } from 'vitest'
import { schemas } from '../../src/domain/index.js'
import { createState, step, type SimRequest } from '../../src/simulator/index.js'
import { ModelDriver } from './model-driver.js'

// The messy profile (docs/simulator.md "Profiles"): what real MX sends, seeded and reproducible.

const USER = 'messy-user'

/** A short reconnection of `count` members on a messy model; returns every reply body, in order. */
function run(seed: number, count = 12): unknown[] {
  const d = new ModelDriver({ profile: 'messy', seed })
  const guids = Array.from({ length: count }, (_, i) =>
    d.seed({ userId: USER, status: i % 2 === 0 ? 'DENIED' : 'CONNECTED' }),
  )
  const session = d.login(USER)
  const bodies: unknown[] = []
  const keep = (r: { response: { body?: unknown; raw?: string } }) =>
    bodies.push(r.response.body ?? r.response.raw)
  for (const g of guids) keep(d.update(session, g, 'options'))
  d.phase()
  for (const g of guids) keep(d.as(session, 'GET', `/members/${g}/challenges`))
  for (const g of guids) keep(d.resume(session, g))
  d.phase()
  for (const g of guids) keep(d.as(session, 'GET', `/members/${g}`))
  for (const g of guids) keep(d.as(session, 'GET', `/members/${g}/aggregate`))
  // Members created without aggregating have never aggregated: their timestamps are null (or "null").
  const institution = d.member(session, guids[0]!).institution_guid!
  const fields = schemas.credentials.parse(
    d.as(session, 'GET', `/institutions/${institution}/credentials`).response.body,
  ).credentials
  for (let i = 0; i < count; i++) {
    const credentials = fields.map((f) => ({ guid: f.guid, value: f.field_name === 'LOGIN' ? `u${i}` : 'p' }))
    keep(
      d.as(session, 'POST', '/members', {
        member: { institution_guid: institution, credentials, skip_aggregation: true },
      }),
    )
  }
  keep(d.as(session, 'GET', '/members'))
  return bodies
}

const text = (value: unknown): string => JSON.stringify(value)

describe('messy profile', () => {
  it('is reproducible for a seed and differs between seeds', () => {
    expect(text(run(3))).toBe(text(run(3)))
    expect(text(run(3))).not.toBe(text(run(4)))
  })

  it('hands out the same guids as the clean profile of the same seed', () => {
    const guids = (profile: 'clean' | 'messy') => {
      const d = new ModelDriver({ profile, seed: 9 })
      return [d.seed({ userId: USER }), d.seed({ userId: USER }), d.login(USER).length]
    }
    expect(guids('messy')).toEqual(guids('clean'))
  })

  it('sends every timestamp format, "null" strings, short job starts, empty resumes and guid-less options', () => {
    const all = text(run(5, 24))
    expect(all).toMatch(/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z"/)
    expect(all).toMatch(/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"/)
    expect(all).toMatch(/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-06:00"/)
    expect(all).toMatch(/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-07:00"/)
    expect(all).toContain('"null"')
    expect(all).toMatch(/"member":\{"job_guid":"JOB-[^"]+","status":"[A-Z]+"\}/)
    expect(all).toMatch(/\{"label":"[^"]+","value":"[^"]+"\}/)
    expect(all).toMatch(/"options":\[\{"guid":"OPT-/)
    expect(run(5, 24)).toContain('')
  })

  it('renders one instant in every format (the same moment, different text)', () => {
    const d = new ModelDriver({ profile: 'messy', seed: 5 })
    const instants = new Set<number>()
    for (let i = 0; i < 16; i++) {
      const g = d.seed({ userId: USER, status: 'CONNECTED' })
      const m = d.member(d.login(USER), g)
      if (typeof m.aggregated_at === 'string') instants.add(Date.parse(m.aggregated_at))
    }
    expect([...instants]).toEqual([d.now - 3_600_000])
  })

  it('every reply of a messy run decodes with the schemas', () => {
    const d = new ModelDriver({ profile: 'messy', seed: 8 })
    const guids = Array.from({ length: 16 }, () => d.seed({ userId: USER, status: 'DENIED' }))
    const session = d.login(USER)
    for (const g of guids) {
      expect(schemas.member.safeParse(d.update(session, g, 'multi').response.body).success).toBe(true)
    }
    for (let round = 0; round < 2; round++) {
      d.phase()
      for (const g of guids) {
        expect(schemas.member.safeParse(d.as(session, 'GET', `/members/${g}`).response.body).success).toBe(
          true,
        )
        const challenges = d.as(session, 'GET', `/members/${g}/challenges`).response.body
        expect(schemas.challenges.safeParse(challenges).error?.issues ?? []).toEqual([])
        const job = d.as(session, 'GET', `/jobs/${d.member(session, g).most_recent_job_guid}`).response.body
        expect(schemas.job.safeParse(job).success).toBe(true)
        const r = d.resume(
          session,
          g,
          (c) => c.options?.find((o) => o.value === 'correct')?.value ?? 'correct',
        )
        expect([200, 202]).toContain(r.response.status)
      }
    }
    d.phase()
    for (const g of guids) expect(d.member(session, g).connection_status).toBe('CONNECTED')
    expect(schemas.members.safeParse(d.as(session, 'GET', '/members').response.body).success).toBe(true)
  })
})

describe('both profiles', () => {
  for (const profile of ['clean', 'messy'] as const) {
    it(`${profile}: a member with connection_status null can be seeded, read and is not aggregated`, () => {
      const d = new ModelDriver({ profile })
      const g = d.seed({ userId: USER, status: null })
      const session = d.login(USER)
      const member = d.member(session, g)
      expect(member).toMatchObject({ connection_status: null, is_being_aggregated: false })
      expect(d.as(session, 'GET', `/members/${g}/aggregate`).response.status).toBe(200)
      expect(d.member(session, g)).toMatchObject({ connection_status: null, is_being_aggregated: false })
      // New credentials make it an ordinary member: it aggregates.
      d.update(session, g, 'password')
      d.phase()
      expect(d.member(session, g).connection_status).toBe('CONNECTED')
    })

    it(`${profile}: the duplicate-create 409 carries the existing member's guid (§12)`, () => {
      const d = new ModelDriver({ profile, seed: 2 })
      const g = d.seed({ userId: USER, status: 'CONNECTED' })
      const session = d.login(USER)
      const institution = d.member(session, g).institution_guid!
      const fields = schemas.credentials.parse(
        d.as(session, 'GET', `/institutions/${institution}/credentials`).response.body,
      ).credentials
      const r = d.as(session, 'POST', '/members', {
        member: {
          institution_guid: institution,
          credentials: fields.map((f) => ({
            guid: f.guid,
            value: f.field_name === 'LOGIN' ? 'mxuser' : 'x',
          })),
        },
      })
      expect(r.response.status).toBe(409)
      expect(schemas.error.parse(r.response.body).error).toMatchObject({ guid: g, member_guid: g })
    })
  }

  it('the model step stays pure: a messy request is answered from the state and now only', () => {
    const a = createState({ profile: 'messy', seed: 4 })
    const b = createState({ profile: 'messy', seed: 4 })
    const req: SimRequest = { method: 'GET', path: '/members', query: '', headers: {}, body: undefined }
    expect(text(step(a, req, 1_000).response)).toBe(text(step(b, req, 1_000).response))
  })
})
