import { describe, expect, it } from 'vitest'
import { schemas, type KnownStatus } from '../../src/domain/index.js'
import { ModelDriver } from './model-driver.js'

// simulator.md "Outcomes are encoded in the credentials": every row of the password table, through the
// pure model (update → job phases on the simulated clock → result).

const USER = 'partner-user-1'

function setup(status: KnownStatus = 'DENIED', password = 'wrong') {
  const d = new ModelDriver()
  const guid = d.seed({ userId: USER, status, password })
  const session = d.login(USER)
  return { d, guid, session }
}

describe('outcome table (no MFA)', () => {
  it.each([
    ['anything-else', 'CONNECTED'],
    ['UNAUTHORIZED', 'DENIED'],
    ['LOCKED', 'LOCKED'],
    ['IMPEDED', 'IMPEDED'],
    ['DEGRADED', 'DEGRADED'],
    ['DISCONNECTED', 'DISCONNECTED'],
    ['BAD_REQUEST', 'FAILED'],
  ] as const)('password %s → %s', (password, expected) => {
    const { d, guid, session } = setup()
    const updated = d.update(session, guid, password)
    expect(updated.response.status).toBe(200)
    const during = schemas.member.parse(updated.response.body).member
    expect(during.connection_status).toBe('UPDATED')
    expect(during.is_being_aggregated).toBe(true)
    d.advance(d.state.options.jobDurationMs - 1)
    expect(d.member(session, guid).connection_status).toBe('UPDATED')
    d.advance(1)
    const after = d.member(session, guid)
    expect(after.connection_status).toBe(expected)
    expect(after.is_being_aggregated).toBe(false)
    expect(after.most_recent_job_guid).toBe(during.most_recent_job_guid)
  })

  it('DELAYED stays DELAYED (still aggregating) for delayedMs, then CONNECTED', () => {
    const { d, guid, session } = setup()
    d.update(session, guid, 'DELAYED')
    d.phase()
    const delayed = d.member(session, guid)
    expect(delayed.connection_status).toBe('DELAYED')
    expect(delayed.is_being_aggregated).toBe(true)
    d.advance(d.state.options.delayedMs - 1)
    expect(d.member(session, guid).connection_status).toBe('DELAYED')
    d.advance(1)
    expect(d.member(session, guid)).toMatchObject({
      connection_status: 'CONNECTED',
      is_being_aggregated: false,
    })
  })

  it('the third DENIED in a row becomes PREVENTED, and PREVENTED needs new credentials', () => {
    const d = new ModelDriver()
    const guid = d.seed({ userId: USER, status: 'CONNECTED', password: 'UNAUTHORIZED' })
    const session = d.login(USER)
    const seen: unknown[] = []
    for (let i = 0; i < 3; i++) {
      d.as(session, 'GET', `/members/${guid}/aggregate`)
      d.phase()
      seen.push(d.member(session, guid).connection_status)
    }
    expect(seen).toEqual(['DENIED', 'DENIED', 'PREVENTED'])
    // Aggregating again without new credentials: MX does not try (§4 PREVENTED).
    d.as(session, 'GET', `/members/${guid}/aggregate`)
    d.phase()
    expect(d.member(session, guid).connection_status).toBe('PREVENTED')
    // Fresh credentials: the new password decides.
    d.update(session, guid, 'fixed')
    d.phase()
    expect(d.member(session, guid).connection_status).toBe('CONNECTED')
  })

  it('a seeded DENIED member counts as one denial already', () => {
    const { d, guid, session } = setup('DENIED', 'UNAUTHORIZED')
    d.as(session, 'GET', `/members/${guid}/aggregate`)
    d.phase()
    expect(d.member(session, guid).connection_status).toBe('DENIED')
    d.as(session, 'GET', `/members/${guid}/aggregate`)
    d.phase()
    expect(d.member(session, guid).connection_status).toBe('PREVENTED')
  })

  it('a username other than mxuser is DENIED whatever the password', () => {
    const { d, guid, session } = setup()
    d.update(session, guid, 'password', 'someone-else')
    d.phase()
    expect(d.member(session, guid).connection_status).toBe('DENIED')
  })

  it('seeded stored password decides an aggregate; after an update the new password decides', () => {
    const { d, guid, session } = setup('DENIED', 'LOCKED')
    d.as(session, 'GET', `/members/${guid}/aggregate`)
    d.phase()
    expect(d.member(session, guid).connection_status).toBe('LOCKED')
    d.update(session, guid, 'IMPEDED')
    d.phase()
    expect(d.member(session, guid).connection_status).toBe('IMPEDED')
  })
})

describe('outcome table (MFA)', () => {
  it.each([
    ['challenge', 'TEXT'],
    ['options', 'OPTIONS'],
    ['image', 'IMAGE_DATA'],
    ['image_options', 'IMAGE_OPTIONS'],
    ['token', 'TOKEN'],
  ] as const)('password %s → CHALLENGED with one %s challenge; correct → CONNECTED', (password, type) => {
    const { d, guid, session } = setup()
    d.update(session, guid, password)
    d.phase()
    const challenged = d.member(session, guid)
    expect(challenged.connection_status).toBe('CHALLENGED')
    const round = d.challenges(session, guid)
    expect(round).toHaveLength(1)
    expect(round[0]!.type).toBe(type)
    const resumed = d.resume(session, guid, (c) => {
      const options = c.options ?? c.image_options
      return options ? options.find((o) => o.value === 'correct')!.value! : 'correct'
    })
    expect(resumed.response.status).toBe(200)
    expect(schemas.member.parse(resumed.response.body).member).toMatchObject({
      connection_status: 'RESUMED',
      is_being_aggregated: true,
    })
    d.phase()
    expect(d.member(session, guid)).toMatchObject({
      connection_status: 'CONNECTED',
      is_being_aggregated: false,
    })
  })

  it.each(['challenge', 'options', 'image', 'image_options', 'token'])(
    'password %s: a wrong answer gives REJECTED',
    (password) => {
      const { d, guid, session } = setup()
      d.update(session, guid, password)
      d.phase()
      d.resume(session, guid, () => 'wrong')
      d.phase()
      expect(d.member(session, guid).connection_status).toBe('REJECTED')
    },
  )

  it('options can be answered with the correct option guid (§10.10)', () => {
    const { d, guid, session } = setup()
    d.update(session, guid, 'options')
    d.phase()
    d.resume(session, guid, (c) => c.options!.find((o) => o.value === 'correct')!.guid!)
    d.phase()
    expect(d.member(session, guid).connection_status).toBe('CONNECTED')
  })

  it('multi: OPTIONS round, then TOKEN round with new guids, then CONNECTED', () => {
    const { d, guid, session } = setup()
    d.update(session, guid, 'multi')
    d.phase()
    const first = d.challenges(session, guid)
    expect(first.map((c) => c.type)).toEqual(['OPTIONS'])
    d.resume(session, guid, (c) => c.options!.find((o) => o.value === 'correct')!.value!)
    d.phase()
    expect(d.member(session, guid).connection_status).toBe('CHALLENGED')
    const second = d.challenges(session, guid)
    expect(second.map((c) => c.type)).toEqual(['TOKEN'])
    expect(second[0]!.guid).not.toBe(first[0]!.guid)
    // The first round's guid is stale now: 400.
    const stale = d.as(session, 'PUT', `/members/${guid}/resume`, {
      challenges: [{ guid: first[0]!.guid, value: 'correct' }],
    })
    expect(stale.response.status).toBe(400)
    d.resume(session, guid)
    d.phase()
    expect(d.member(session, guid).connection_status).toBe('CONNECTED')
  })

  it('an unanswered challenge becomes EXPIRED after 5 simulated minutes', () => {
    const { d, guid, session } = setup()
    d.update(session, guid, 'challenge')
    d.phase()
    expect(d.member(session, guid).connection_status).toBe('CHALLENGED')
    d.advance(5 * 60_000 - 1)
    expect(d.member(session, guid).connection_status).toBe('CHALLENGED')
    d.advance(1)
    expect(d.member(session, guid)).toMatchObject({
      connection_status: 'EXPIRED',
      is_being_aggregated: false,
    })
    expect(d.challenges(session, guid)).toEqual([])
  })

  it('EXPIRED is computed from the clock even when nobody asked in between (state is a function of time)', () => {
    const { d, guid, session } = setup()
    d.update(session, guid, 'challenge')
    d.advance(d.state.options.jobDurationMs + 5 * 60_000)
    expect(d.member(session, guid).connection_status).toBe('EXPIRED')
  })

  it('resume when not CHALLENGED → 405; the member is unchanged', () => {
    const { d, guid, session } = setup()
    const before = d.member(session, guid)
    const r = d.as(session, 'PUT', `/members/${guid}/resume`, {
      challenges: [{ guid: 'CRD-x', value: 'correct' }],
    })
    expect(r.response.status).toBe(405)
    expect(d.member(session, guid)).toEqual(before)
  })

  it.each([
    ['unknown guid', (g: string) => ({ challenges: [{ guid: `${g}-other`, value: 'correct' }] })],
    ['no answers', () => ({ challenges: [] })],
    [
      'duplicate answers',
      (g: string) => ({
        challenges: [
          { guid: g, value: 'a' },
          { guid: g, value: 'b' },
        ],
      }),
    ],
    ['bad shape', () => ({ challenges: 'correct' })],
    ['no challenges key', () => ({ answers: [] })],
  ])('resume with %s → 400, still CHALLENGED', (_name, body) => {
    const { d, guid, session } = setup()
    d.update(session, guid, 'challenge')
    d.phase()
    const [challenge] = d.challenges(session, guid)
    const r = d.as(session, 'PUT', `/members/${guid}/resume`, body(challenge!.guid))
    expect(r.response.status).toBe(400)
    expect(d.member(session, guid).connection_status).toBe('CHALLENGED')
  })

  it('accepts the rooted resume body {member: {challenges}} (§10.4)', () => {
    const { d, guid, session } = setup()
    d.update(session, guid, 'challenge')
    d.phase()
    const [challenge] = d.challenges(session, guid)
    const r = d.as(session, 'PUT', `/members/${guid}/resume`, {
      member: { challenges: [{ guid: challenge!.guid, value: 'correct' }] },
    })
    expect(r.response.status).toBe(200)
  })

  it('deprecated MFA path: PUT member with challenges, or with credentials naming the challenge guids', () => {
    for (const shape of ['challenges', 'credentials'] as const) {
      const { d, guid, session } = setup()
      d.update(session, guid, 'challenge')
      d.phase()
      const [challenge] = d.challenges(session, guid)
      const answer = [{ guid: challenge!.guid, value: 'correct' }]
      const r = d.as(session, 'PUT', `/members/${guid}`, { member: { [shape]: answer } })
      expect(r.response.status).toBe(200)
      // MX's guide shows the member UPDATED after answers sent through update member (p.24-25).
      expect(d.member(session, guid).connection_status).toBe('UPDATED')
      d.phase()
      expect(d.member(session, guid).connection_status).toBe('CONNECTED')
    }
  })

  it("deprecated MFA path with skip_aggregation answers 200 UPDATED, as MX's guide shows (§3.4, p.24-25)", () => {
    for (const key of ['challenges', 'credentials'] as const) {
      const { d, guid, session } = setup()
      d.update(session, guid, 'challenge')
      d.phase()
      const [challenge] = d.challenges(session, guid)
      // The guide's body: rooted, `credential_guid` items, metadata, skip_aggregation (mxguide2021__member_update__1).
      const r = d.as(session, 'PUT', `/members/${guid}`, {
        member: {
          [key]: [{ credential_guid: challenge!.guid, value: 'correct' }],
          metadata: 'Additional information',
          skip_aggregation: true,
        },
      })
      expect(r.response.status).toBe(200)
      const { member } = schemas.member.parse(r.response.body)
      expect(member).toMatchObject({
        connection_status: 'UPDATED',
        connection_status_id: 15,
        is_being_aggregated: true,
      })
      d.phase()
      expect(d.member(session, guid).connection_status).toBe('CONNECTED')
    }
  })

  it('legacy job path: mfa_credentials, POST member credential, resume job', () => {
    const { d, guid, session } = setup()
    d.update(session, guid, 'token')
    d.phase()
    const jobGuid = d.member(session, guid).most_recent_job_guid!
    const job = schemas.job.parse(d.as(session, 'GET', `/jobs/${jobGuid}`).response.body).job
    expect(job.status_name).toBe('CHALLENGED')
    const creds = schemas.credentials.parse(
      d.as(session, 'GET', `/jobs/${jobGuid}/mfa_credentials`).response.body,
    )
    const posted = d.as(session, 'POST', `/members/${guid}/credentials`, {
      credential_guid: creds.credentials[0]!.guid,
      value: 'correct',
    })
    expect(posted.response.status).toBe(200)
    expect(d.as(session, 'PUT', `/jobs/${jobGuid}/resume`).response.status).toBe(200)
    d.phase()
    expect(d.member(session, guid).connection_status).toBe('CONNECTED')
    const done = schemas.job.parse(d.as(session, 'GET', `/jobs/${jobGuid}`).response.body).job
    expect(done).toMatchObject({ status_name: 'COMPLETED', status: 6, is_authenticated: true })
  })
})
