import { describe, expect, it } from 'vitest'
import { KNOWN_STATUSES, schemas, statusId } from '../../src/domain/index.js'
import { checkInvariants, createState, step } from '../../src/simulator/index.js'
import { ModelDriver } from './model-driver.js'

// Pure-model behaviour of every route (Nexus reference §1–§3, §5, §8.2), without HTTP.

const USER = 'partner-user-1'
const MINUTE = 60_000

describe('SSO api tokens (§1.3)', () => {
  it('wrong key 401, unknown client 404, unknown user 404', () => {
    const d = new ModelDriver()
    d.seed({ userId: USER })
    const path = (client: string, user: string) => `/sso/${client}/users/${user}/api_token.json`
    const key = { 'MD-API-KEY': d.state.options.apiKey }
    expect(
      d.request('GET', path('mx-sim-client', USER), { headers: { 'MD-API-KEY': 'nope' } }).response.status,
    ).toBe(401)
    expect(d.request('GET', path('other-client', USER), { headers: key }).response.status).toBe(404)
    expect(d.request('GET', path('mx-sim-client', 'nobody'), { headers: key }).response.status).toBe(404)
    const ok = d.request('GET', path('mx-sim-client', USER), { headers: key })
    expect(ok.response.status).toBe(200)
    expect(schemas.apiToken.parse(ok.response.body).api_token.token).toMatch(/^[0-9a-f]{48}$/)
  })

  it('serves the .xml variant', () => {
    const d = new ModelDriver()
    d.seed({ userId: USER })
    const r = d.request('GET', `/sso/mx-sim-client/users/${USER}/api_token.xml`, {
      headers: { 'MD-API-KEY': d.state.options.apiKey },
    })
    expect(r.response.status).toBe(200)
    expect(r.response.raw).toMatch(/^<\?xml[^]*<api_token><token>[0-9a-f]{48}<\/token><\/api_token>/)
  })

  it('a token opens one session only, and not after 10 minutes', () => {
    const d = new ModelDriver()
    d.seed({ userId: USER })
    const token = d.apiToken(USER)
    const open = () =>
      d.request('POST', '/sessions', { headers: { 'MD-API-TOKEN': token }, body: {} }).response.status
    expect(open()).toBe(200)
    expect(open()).toBe(401)
    const late = d.apiToken(USER)
    d.advance(10 * MINUTE)
    expect(d.request('POST', '/sessions', { headers: { 'MD-API-TOKEN': late } }).response.status).toBe(401)
  })

  it('a bad session body is 400 and does not consume the token', () => {
    const d = new ModelDriver()
    d.seed({ userId: USER })
    const token = d.apiToken(USER)
    const bad = d.request('POST', '/sessions', {
      headers: { 'MD-API-TOKEN': token },
      body: { session: { skip_aggregation: 'yes' } },
    })
    expect(bad.response.status).toBe(400)
    expect(d.request('POST', '/sessions', { headers: { 'MD-API-TOKEN': token } }).response.status).toBe(200)
  })
})

describe('sessions (§1.4, §1.5)', () => {
  it('unknown or missing session token → HTTP 401 with {"error":{"code":4011}}', () => {
    const d = new ModelDriver()
    for (const headers of [{}, { 'MD-SESSION-TOKEN': 'not-a-session' }]) {
      const r = d.request('GET', '/members', { headers })
      expect(r.response.status).toBe(401)
      expect(r.response.body).toEqual({ error: { code: 4011, message: expect.any(String) as string } })
    }
  })

  it('30-minute sliding window: each call resets it', () => {
    const d = new ModelDriver()
    d.seed({ userId: USER })
    const s = d.login(USER)
    for (let i = 0; i < 4; i++) {
      d.advance(29 * MINUTE)
      expect(d.as(s, 'GET', '/members').response.status).toBe(200)
    }
    d.advance(30 * MINUTE)
    expect(d.as(s, 'GET', '/members').response.status).toBe(401)
  })

  it('without skip_aggregation, opening a session aggregates every member; with it, none', () => {
    const d = new ModelDriver()
    const a = d.seed({ userId: USER, password: 'challenge' })
    const b = d.seed({ userId: USER })
    const quiet = d.login(USER, true)
    expect(d.member(quiet, a).is_being_aggregated).toBe(false)
    const loud = d.login(USER, false)
    expect(d.member(loud, a).is_being_aggregated).toBe(true)
    expect(d.member(loud, b).is_being_aggregated).toBe(true)
    d.phase()
    expect(d.member(loud, a).connection_status).toBe('CHALLENGED')
    expect(d.member(loud, b).connection_status).toBe('CONNECTED')
  })

  it('accepts an empty body and {} (§1.4)', () => {
    const d = new ModelDriver()
    d.seed({ userId: USER })
    expect(
      d.request('POST', '/sessions', { headers: { 'MD-API-TOKEN': d.apiToken(USER) } }).response.status,
    ).toBe(200)
    expect(
      d.request('POST', '/sessions', { headers: { 'MD-API-TOKEN': d.apiToken(USER) }, body: {} }).response
        .status,
    ).toBe(200)
  })

  it("a session sees only its own user's members and jobs", () => {
    const d = new ModelDriver()
    const mine = d.seed({ userId: 'alice' })
    const theirs = d.seed({ userId: 'bob' })
    const s = d.login('alice')
    expect(d.as(s, 'GET', `/members/${theirs}`).response.status).toBe(404)
    expect(d.as(s, 'PUT', `/members/${theirs}/resume`, { challenges: [] }).response.status).toBe(404)
    const bobJob = d.state.members.get(theirs)!.jobGuid!
    expect(d.as(s, 'GET', `/jobs/${bobJob}`).response.status).toBe(404)
    const list = schemas.members.parse(d.as(s, 'GET', '/members').response.body).members
    expect(list.map((m) => m.guid)).toEqual([mine])
  })
})

describe('members (§3)', () => {
  it('list, read, .json suffix, singular /member/ credentials', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER })
    const s = d.login(USER)
    expect(schemas.members.parse(d.as(s, 'GET', '/members.json').response.body).members).toHaveLength(1)
    expect(schemas.member.parse(d.as(s, 'GET', `/members/${g}.json`).response.body).member.guid).toBe(g)
    const plural = d.as(s, 'GET', `/members/${g}/credentials`).response.body
    expect(d.as(s, 'GET', `/member/${g}/credentials`).response.body).toEqual(plural)
    const fields = schemas.credentials.parse(plural).credentials
    expect(fields.map((f) => f.field_name)).toEqual(['LOGIN', 'PASSWORD'])
    expect(fields.map((f) => f.field_type)).toEqual([3, 1])
  })

  it('member credential guids are stable per member and differ between members', () => {
    const d = new ModelDriver()
    const a = d.seed({ userId: USER })
    const b = d.seed({ userId: USER })
    const s = d.login(USER)
    expect(d.credentialGuids(s, a)).toEqual(d.credentialGuids(s, a))
    expect(d.credentialGuids(s, a)).not.toEqual(d.credentialGuids(s, b))
  })

  it('the rendered member carries the §3.1 fields with consistent ids', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER, status: 'DENIED' })
    const s = d.login(USER)
    const m = d.member(s, g)
    expect(m).toMatchObject({
      connection_status: 'DENIED',
      connection_status_id: 2,
      institution_code: 'mxbank',
      is_oauth: false,
      needs_updated_credentials: true,
    })
    expect(m.aggregated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/)
  })

  it('update: rooted or not, credential_guid or guid keys, all start one job', () => {
    const bodies = (login: string, pass: string) => [
      {
        member: {
          credentials: [
            { credential_guid: login, value: 'mxuser' },
            { credential_guid: pass, value: 'x' },
          ],
        },
      },
      {
        credentials: [
          { guid: login, value: 'mxuser' },
          { guid: pass, value: 'x' },
        ],
      },
      { member: { credentials: [{ guid: pass, value: 'x' }] } },
    ]
    for (let i = 0; i < 3; i++) {
      const d = new ModelDriver()
      const g = d.seed({ userId: USER, status: 'DENIED' })
      const s = d.login(USER)
      const [login, pass] = d.credentialGuids(s, g)
      const r = d.as(s, 'PUT', `/members/${g}`, bodies(login!, pass!)[i])
      expect(r.response.status).toBe(200)
      expect(d.member(s, g)).toMatchObject({ connection_status: 'UPDATED', is_being_aggregated: true })
    }
  })

  it('update with stale credential guids → 400 and nothing changes', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER, status: 'DENIED' })
    const s = d.login(USER)
    const before = d.member(s, g)
    const other = d.seed({ userId: USER, status: 'DENIED', institutionCode: 'mxbank_pin' })
    const [, otherPassword] = d.credentialGuids(s, other)
    for (const guid of ['CRD-nope', otherPassword!]) {
      const r = d.as(s, 'PUT', `/members/${g}`, { member: { credentials: [{ guid, value: 'v' }] } })
      expect(r.response.status).toBe(400)
    }
    expect(d.member(s, g)).toEqual(before)
  })

  it("update accepts the institution's CRD guids, as MX's own update example sends them (§3.4, §3.5)", () => {
    for (const key of ['credential_guid', 'guid'] as const) {
      for (const rooted of [true, false]) {
        const d = new ModelDriver()
        const g = d.seed({ userId: USER, status: 'DENIED' })
        const s = d.login(USER)
        const institution = d.member(s, g).institution_guid
        const fields = schemas.credentials.parse(
          d.as(s, 'GET', `/institutions/${institution}/credentials`).response.body,
        ).credentials
        const values: Record<string, string> = { LOGIN: 'mxuser', PASSWORD: 'fresh' }
        const inner = { credentials: fields.map((f) => ({ [key]: f.guid, value: values[f.field_name!] })) }
        const r = d.as(s, 'PUT', `/members/${g}`, rooted ? { member: inner } : inner)
        expect(r.response.status).toBe(200)
        expect(d.member(s, g)).toMatchObject({ connection_status: 'UPDATED', is_being_aggregated: true })
        d.phase()
        expect(d.member(s, g).connection_status).toBe('CONNECTED')
      }
    }
  })

  it('update with skip_aggregation, or without credentials, starts no job', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER, status: 'DENIED' })
    const s = d.login(USER)
    const [, pass] = d.credentialGuids(s, g)
    d.as(s, 'PUT', `/members/${g}`, {
      member: { credentials: [{ guid: pass, value: 'LOCKED' }], skip_aggregation: true },
    })
    d.as(s, 'PUT', `/members/${g}`, { member: { metadata: 'note' } })
    const m = d.member(s, g)
    expect(m).toMatchObject({ connection_status: 'DENIED', is_being_aggregated: false, metadata: 'note' })
    // The stored password now decides the next aggregation.
    d.as(s, 'GET', `/members/${g}/aggregate`)
    d.phase()
    expect(d.member(s, g).connection_status).toBe('LOCKED')
  })

  it('update while a job runs stores the credentials but starts no second job', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER, status: 'DENIED' })
    const s = d.login(USER)
    d.update(s, g, 'password')
    const job = d.member(s, g).most_recent_job_guid
    d.update(s, g, 'LOCKED')
    expect(d.member(s, g).most_recent_job_guid).toBe(job)
    d.phase()
    expect(d.member(s, g).connection_status).toBe('CONNECTED')
  })

  it('aggregate: a new job; while one runs, 200 with the same job; refresh alias; aggregate all', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER })
    const other = d.seed({ userId: USER })
    const s = d.login(USER)
    const before = d.member(s, g).most_recent_job_guid
    const first = schemas.member.parse(d.as(s, 'GET', `/members/${g}/aggregate`).response.body).member
    expect(first.most_recent_job_guid).not.toBe(before)
    expect(first).toMatchObject({ is_being_aggregated: true, connection_status: 'CONNECTED' })
    const again = schemas.member.parse(d.as(s, 'GET', `/members/${g}/refresh`).response.body).member
    expect(again.most_recent_job_guid).toBe(first.most_recent_job_guid)
    const all = schemas.members.parse(d.as(s, 'GET', '/members/aggregate').response.body).members
    expect(all.map((m) => m.is_being_aggregated)).toEqual([true, true])
    expect(d.member(s, other).is_being_aggregated).toBe(true)
  })

  it('aggregate is refused with 403 when use_cases exclude PFM', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER, useCases: ['MONEY_MOVEMENT'] })
    const s = d.login(USER)
    expect(d.as(s, 'GET', `/members/${g}/aggregate`).response.status).toBe(403)
  })

  it('challenges: empty list when not CHALLENGED', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER })
    const s = d.login(USER)
    expect(d.as(s, 'GET', `/members/${g}/challenges`).response.body).toEqual({ challenges: [] })
  })

  it('create: stale guids 400, unknown institution 422, duplicate login 409 with the guid, external_guid 422', () => {
    const d = new ModelDriver()
    d.seed({ userId: USER, status: 'CREATED', username: 'another-login' })
    const s = d.login(USER)
    const institution = d.state.institutionsByCode.get('mxbank')!
    const [login, pass] = institution.fields.map((f) => f.guid)
    const body = (user: string, extra: object = {}) => ({
      member: {
        institution_guid: institution.guid,
        credentials: [
          { credential_guid: login, value: user },
          { credential_guid: pass, value: 'challenge' },
        ],
        ...extra,
      },
    })
    const created = d.as(s, 'POST', '/members', body('mxuser', { external_guid: 'ext-1' }))
    expect(created.response.status).toBe(200)
    const member = schemas.member.parse(created.response.body).member
    expect(member).toMatchObject({
      connection_status: 'CREATED',
      is_being_aggregated: true,
      external_guid: 'ext-1',
    })
    const dup = d.as(s, 'POST', '/members', body('mxuser'))
    expect(dup.response.status).toBe(409)
    expect(schemas.error.parse(dup.response.body).error.member_guid).toBe(member.guid)
    expect(d.as(s, 'POST', '/members', body('other', { external_guid: 'ext-1' })).response.status).toBe(422)
    expect(
      d.as(s, 'POST', '/members', { member: { institution_guid: 'INS-nope', credentials: [] } }).response
        .status,
    ).toBe(422)
    expect(
      d.as(s, 'POST', '/members', {
        member: { institution_guid: institution.guid, credentials: [{ guid: 'CRD-x', value: 'v' }] },
      }).response.status,
    ).toBe(400)
    d.phase()
    expect(d.member(s, member.guid).connection_status).toBe('CHALLENGED')
  })

  it('delete: 200 {} and the member is gone', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER })
    const s = d.login(USER)
    const r = d.as(s, 'DELETE', `/members/${g}`)
    expect(r.response).toMatchObject({ status: 200, body: {} })
    expect(d.as(s, 'GET', `/members/${g}`).response.status).toBe(404)
    expect(checkInvariants(d.state, d.now)).toEqual([])
  })

  it('jobs: passes through REQUESTED → CHALLENGED → COMPLETED with the §5 fields', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER, status: 'DENIED' })
    const s = d.login(USER)
    d.update(s, g, 'challenge')
    const jobGuid = d.member(s, g).most_recent_job_guid!
    const read = () => schemas.job.parse(d.as(s, 'GET', `/jobs/${jobGuid}`).response.body).job
    expect(read()).toMatchObject({ status_name: 'REQUESTED', status: 1, member_guid: g, finished_at: null })
    d.phase()
    expect(read()).toMatchObject({ status_name: 'CHALLENGED', status: 2 })
    d.resume(s, g)
    d.phase()
    expect(read()).toMatchObject({
      status_name: 'COMPLETED',
      status: 6,
      is_authenticated: true,
      error_message: null,
    })
  })

  it('unknown routes 404; a known path with another method 405 with Allow', () => {
    const d = new ModelDriver()
    d.seed({ userId: USER })
    const s = d.login(USER)
    expect(d.as(s, 'GET', '/accounts').response.status).toBe(404)
    const r = d.as(s, 'DELETE', '/sessions')
    expect(r.response.status).toBe(405)
    expect(r.response.headers).toEqual({ allow: 'POST' })
  })

  it('a body that is not JSON → 400', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER })
    const s = d.login(USER)
    const r = d.request('PUT', `/members/${g}`, { headers: { 'MD-SESSION-TOKEN': s }, bodyInvalid: true })
    expect(r.response.status).toBe(400)
  })
})

describe('OAuth members (§3.3, §3.8)', () => {
  it('oauth_window_uri: 400 "Member cannot use OAuth" for a credential member', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER })
    const s = d.login(USER)
    const r = d.as(s, 'GET', `/members/${g}/oauth_window_uri`)
    expect(r.response.status).toBe(400)
    expect(schemas.error.parse(r.response.body).error.message).toBe('Member cannot use OAuth')
  })

  it('PENDING until the user opens the one-time window; then aggregation connects it', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER, institutionCode: 'mx_bank_oauth' })
    const s = d.login(USER)
    expect(d.member(s, g)).toMatchObject({ connection_status: 'PENDING', is_oauth: true })
    d.as(s, 'GET', `/members/${g}/aggregate`)
    d.phase()
    expect(d.member(s, g).connection_status).toBe('PENDING')
    const uri = schemas.oauthWindow.parse(d.as(s, 'GET', `/members/${g}/oauth_window_uri`).response.body)
      .member.oauth_window_uri
    const path = new URL(uri).pathname
    expect(d.request('GET', path).response.status).toBe(200)
    expect(d.request('GET', path).response.status).toBe(404)
    expect(d.member(s, g).is_being_aggregated).toBe(true)
    d.phase()
    expect(d.member(s, g).connection_status).toBe('CONNECTED')
  })
})

describe('seeded members', () => {
  it.each(KNOWN_STATUSES)('seeds %s, renders it, and stays consistent', (status) => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER, status, password: 'challenge' })
    const s = d.login(USER)
    const m = d.member(s, g)
    expect(m.connection_status).toBe(status)
    expect(m.connection_status_id).toBe(statusId(status))
    expect(m.is_being_aggregated).toBe(status === 'CHALLENGED')
    expect(checkInvariants(d.state, d.now)).toEqual([])
  })

  it('a seeded CHALLENGED member has a pending round per its password', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER, status: 'CHALLENGED', password: 'multi' })
    const s = d.login(USER)
    expect(d.challenges(s, g).map((c) => c.type)).toEqual(['OPTIONS'])
  })

  it('sticky statuses and missing credentials keep their status on aggregate', () => {
    for (const status of ['DISCONTINUED', 'CLOSED', 'DISABLED', 'IMPORTED', 'IMPAIRED'] as const) {
      const d = new ModelDriver()
      const g = d.seed({ userId: USER, status })
      const s = d.login(USER)
      d.as(s, 'GET', `/members/${g}/aggregate`)
      d.phase()
      expect(d.member(s, g).connection_status).toBe(status)
    }
  })

  it('RECONNECTED: the next aggregation asks a one-time code first', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER, status: 'RECONNECTED' })
    const s = d.login(USER)
    d.as(s, 'GET', `/members/${g}/aggregate`)
    d.phase()
    expect(d.challenges(s, g).map((c) => c.type)).toEqual(['TOKEN'])
  })

  it('aggregating: true starts a job at seed time', () => {
    const d = new ModelDriver()
    const g = d.seed({ userId: USER, status: 'DELAYED', aggregating: true, password: 'DELAYED' })
    const s = d.login(USER)
    expect(d.member(s, g)).toMatchObject({ connection_status: 'DELAYED', is_being_aggregated: true })
  })
})

describe('MDX create user (§1.2)', () => {
  it('creates once; key checked; 409 on a second create', () => {
    const d = new ModelDriver()
    const key = { 'MD-API-KEY': d.state.options.apiKey }
    const path = '/mdx/mx-sim-client/users.json'
    expect(
      d.request('POST', path, { headers: { 'MD-API-KEY': 'x' }, body: { user: { id: 'u1' } } }).response
        .status,
    ).toBe(401)
    const r = d.request('POST', path, { headers: key, body: { user: { id: 'u1', email: 'u1@example.com' } } })
    expect(schemas.user.parse(r.response.body).user).toMatchObject({ id: 'u1', is_disabled: false })
    expect(d.request('POST', path, { headers: key, body: { user: { id: 'u1' } } }).response.status).toBe(409)
    expect(d.request('POST', path, { headers: key, body: { nope: 1 } }).response.status).toBe(400)
  })
})

describe('variants (§10)', () => {
  it('error envelope, challenges key, aggregate and resume replies, list shape', () => {
    const d = new ModelDriver({
      variants: {
        errorEnvelope: 'flat',
        challengesKey: 'member',
        aggregateResponse: 'jobStart',
        resumeResponse: 'empty',
        listMembersShape: 'member',
        duplicateMemberStatus: 422,
      },
    })
    const g = d.seed({ userId: USER, status: 'DENIED', password: 'challenge' })
    const s = d.login(USER)
    expect(d.request('GET', '/members').response.body).toMatchObject({ code: 4011 })
    const agg = d.as(s, 'GET', `/members/${g}/aggregate`).response.body
    expect(schemas.aggregate.parse(agg).member).toMatchObject({
      job_guid: expect.stringMatching(/^JOB-/) as string,
    })
    expect(schemas.members.parse(d.as(s, 'GET', '/members').response.body).members).toHaveLength(1)
    d.phase()
    const round = schemas.challenges.parse(
      d.as(s, 'GET', `/members/${g}/challenges`).response.body,
    ).challenges
    const r = d.as(s, 'PUT', `/members/${g}/resume`, {
      challenges: [{ guid: round[0]!.guid, value: 'correct' }],
    })
    expect(r.response.body).toEqual({})
  })
})

describe('webhook effects (§8.2)', () => {
  it('CONNECTION_STATUS for actionable statuses, AGGREGATION on success, stamped at the change', () => {
    const d = new ModelDriver({
      emitWebhooks: true,
      webhookKinds: ['CONNECTION_STATUS', 'AGGREGATION', 'JOB', 'MEMBER'],
    })
    const g = d.seed({ userId: USER, status: 'DENIED' })
    const s = d.login(USER)
    const t0 = d.now
    d.update(s, g, 'challenge')
    d.advance(60_000)
    d.member(s, g)
    d.resume(s, g)
    d.advance(60_000)
    d.member(s, g)
    const kinds = d.effects.map((e) => `${e.kind}@${e.at - t0}`)
    const job = d.state.options.jobDurationMs
    expect(kinds).toEqual([
      'MEMBER@0',
      `CONNECTION_STATUS@${job}`,
      `JOB@${job}`,
      `AGGREGATION@${60_000 + job}`,
      `JOB@${60_000 + job}`,
    ])
    for (const effect of d.effects) expect(schemas.webhook.safeParse(effect.payload).success).toBe(true)
  })

  it('skip_webhook and MX-Skip-Webhook suppress the member webhook', () => {
    const d = new ModelDriver({ emitWebhooks: true, webhookKinds: ['MEMBER'] })
    const g = d.seed({ userId: USER })
    const s = d.login(USER)
    d.as(s, 'PUT', `/members/${g}`, { member: { metadata: 'a', skip_webhook: true } })
    d.request('PUT', `/members/${g}`, {
      headers: { 'MD-SESSION-TOKEN': s, 'MX-Skip-Webhook': 'true' },
      body: { metadata: 'b' },
    })
    expect(d.effects).toEqual([])
    d.as(s, 'PUT', `/members/${g}`, { member: { metadata: 'c' } })
    expect(d.effects).toHaveLength(1)
  })
})

describe('determinism', () => {
  it('same seed and requests → identical replies; another seed → other guids', () => {
    const run = (seed: number) => {
      const state = createState({ seed })
      const out: unknown[] = []
      const req = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) => {
        const r = step(state, { method, path, query: '', headers, body }, 1_700_000_000_000)
        out.push(r.response)
        return r.response.body as Record<string, Record<string, string>>
      }
      const key = { 'md-api-key': state.options.apiKey }
      req('POST', '/mdx/mx-sim-client/users', key, { user: { id: 'u' } })
      const token = req('GET', '/sso/mx-sim-client/users/u/api_token.json', key).api_token!.token!
      req('POST', '/sessions', { 'md-api-token': token })
      return out
    }
    expect(run(5)).toEqual(run(5))
    expect(JSON.stringify(run(5))).not.toEqual(JSON.stringify(run(6)))
  })
})
