import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KNOWN_STATUSES, schemas } from '../../src/domain/index.js'
import {
  checkInvariants,
  createState,
  PASSWORD_SCENARIOS,
  step,
  type SimState,
} from '../../src/simulator/index.js'
import { advanceMember } from '../../src/simulator/jobs.js'
import type { SimRequest, StepResult } from '../../src/simulator/protocol.js'
import { seedMember } from '../../src/simulator/seed.js'
import { fcParams } from '../support/fc-params.js'

// simulator.md / issue 3 "Done when": no request sequence can make the model throw or reach an inconsistent
// member. Sequences mix well-formed lifecycle calls (with valid, stale, wrong and missing parts), time
// jumps, session expiry and raw garbage requests; after every step every member is checked.

const USERS = ['alice', 'bob'] as const
const PASSWORDS = [...Object.keys(PASSWORD_SCENARIOS), 'password', '']
const ALLOWED = new Set([200, 400, 401, 403, 404, 405, 409, 422])

// Weighted towards the interesting paths: repeated denials (PREVENTED) and MFA.
const passwordArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant('UNAUTHORIZED') },
  { weight: 2, arbitrary: fc.constantFrom('challenge', 'multi') },
  { weight: 5, arbitrary: fc.constantFrom(...PASSWORDS) },
)
// Mostly the first few sessions and members, so sequences keep working on the same member.
const idx = fc.oneof({ weight: 4, arbitrary: fc.nat(2) }, { weight: 1, arbitrary: fc.nat(20) })
const action = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('login' as const), user: fc.nat(1), skip: fc.boolean() }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('read' as const),
      s: idx,
      m: idx,
      sub: fc.constantFrom('', '/credentials', '/challenges', '/oauth_window_uri', '.json'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('update' as const),
      s: idx,
      m: idx,
      password: passwordArb,
      username: fc.constantFrom('mxuser', 'mxuser', 'other'),
      creds: fc.constantFrom('valid', 'valid', 'valid', 'stale', 'partial', 'empty', 'dup', 'none'),
      rooted: fc.boolean(),
      skip: fc.boolean(),
      key: fc.constantFrom('guid', 'credential_guid'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('resume' as const),
      s: idx,
      m: idx,
      mode: fc.constantFrom('correct', 'optionGuid', 'wrong', 'stale', 'missing', 'garbage'),
      via: fc.constantFrom('resume', 'resume-rooted', 'update-challenges', 'update-credentials', 'legacy'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('aggregate' as const),
      s: idx,
      m: idx,
      all: fc.boolean(),
      alias: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('job' as const), s: idx, m: idx }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('create' as const),
      s: idx,
      institution: fc.constantFrom('mxbank', 'mx_bank_oauth', 'mxbank_pin', 'nope'),
      password: fc.constantFrom(...PASSWORDS),
      login: fc.constantFrom('mxuser', 'other', 'third'),
      skip: fc.boolean(),
      external: fc.option(fc.constantFrom('e1', 'e2'), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), s: idx, m: idx }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('oauth' as const), s: idx, m: idx, open: fc.boolean() }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('advance' as const),
      ms: fc.oneof(fc.nat(5_000), fc.constant(4_000), fc.nat(400_000), fc.constant(0)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('expire' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('garbage' as const),
      s: idx,
      m: idx,
      method: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH'),
      path: fc.array(
        fc.constantFrom(
          'members',
          'member',
          'jobs',
          'sessions',
          'sso',
          'mdx',
          'resume',
          'aggregate',
          '{m}',
          'x',
          '%E0%A4%A',
          '',
          'api_token.json',
          'users',
          'mx-sim-client',
          'alice',
        ),
        { maxLength: 5 },
      ),
      body: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
      invalid: fc.boolean(),
    }),
  },
)

type Action = typeof action extends fc.Arbitrary<infer A> ? A : never

interface World {
  readonly state: SimState
  now: number
  readonly sessions: string[]
  readonly known: string[]
  /** Every request sent and its reply, in order. */
  readonly responses: { method: string; path: string; status: number; body: unknown; raw?: string }[]
}

function newWorld(
  seed: number,
  seeds: readonly {
    user: number
    status: (typeof KNOWN_STATUSES)[number]
    password: string
    oauth: boolean
  }[],
): World {
  const state = createState({
    seed,
    emitWebhooks: true,
    webhookKinds: ['CONNECTION_STATUS', 'AGGREGATION', 'JOB', 'MEMBER'],
  })
  const now = Date.UTC(2024, 0, 1)
  const known: string[] = []
  for (const s of seeds) {
    known.push(
      seedMember(
        state,
        {
          userId: USERS[s.user] ?? 'alice',
          status: s.status,
          password: s.password,
          ...(s.oauth ? { institutionCode: 'mx_bank_oauth' } : {}),
        },
        now,
      ).guid,
    )
  }
  return { state, now, sessions: [], known, responses: [] }
}

function send(w: World, req: Partial<SimRequest> & { method: string; path: string }): StepResult {
  const result = step(w.state, { query: '', headers: {}, body: undefined, ...req }, w.now)
  const { status, body, raw } = result.response
  w.responses.push({
    method: req.method,
    path: req.path,
    status,
    body,
    ...(raw === undefined ? {} : { raw }),
  })
  return result
}

const pick = <T>(list: readonly T[], i: number): T | undefined =>
  list.length === 0 ? undefined : list[i % list.length]

function currentRound(
  w: World,
  guid: string,
): { guid: string; options?: readonly { guid: string; value: string }[] }[] {
  const member = w.state.members.get(guid)
  const job = member?.jobGuid == null ? undefined : w.state.jobs.get(member.jobGuid)
  return job?.phase === 'challenged' ? [...(job.challenges ?? [])] : []
}

function run(w: World, a: Action): StepResult | undefined {
  const session = (i: number) => ({ 'md-session-token': pick(w.sessions, i) ?? 'none' })
  const memberGuid = (i: number) => pick(w.known, i) ?? 'MBR-none'
  switch (a.t) {
    case 'login': {
      const user = USERS[a.user] ?? 'alice'
      const sso = send(w, {
        method: 'GET',
        path: `/sso/mx-sim-client/users/${user}/api_token.json`,
        headers: { 'md-api-key': w.state.options.apiKey },
      })
      if (sso.response.status !== 200) return sso
      const token = schemas.apiToken.parse(sso.response.body).api_token.token
      const r = send(w, {
        method: 'POST',
        path: '/sessions',
        headers: { 'md-api-token': token },
        body: { session: { skip_aggregation: a.skip } },
      })
      if (r.response.status === 200) w.sessions.push(schemas.session.parse(r.response.body).session.token)
      return r
    }
    case 'read':
      return send(w, { method: 'GET', path: `/members/${memberGuid(a.m)}${a.sub}`, headers: session(a.s) })
    case 'update': {
      const guid = memberGuid(a.m)
      const slots = w.state.members.get(guid)?.credentials ?? []
      const item = (g: string, value: string) => ({ [a.key]: g, value })
      const creds =
        a.creds === 'valid'
          ? slots.map((s) => item(s.guid, s.field.fieldName === 'LOGIN' ? a.username : a.password))
          : a.creds === 'partial'
            ? slots.slice(1).map((s) => item(s.guid, a.password))
            : a.creds === 'stale'
              ? [item('CRD-stale', a.password)]
              : a.creds === 'dup'
                ? [item(slots[0]?.guid ?? 'CRD-x', 'a'), item(slots[0]?.guid ?? 'CRD-x', 'b')]
                : a.creds === 'empty'
                  ? []
                  : undefined
      const inner = {
        ...(creds === undefined ? { metadata: 'm' } : { credentials: creds }),
        ...(a.skip ? { skip_aggregation: true } : {}),
      }
      return send(w, {
        method: 'PUT',
        path: `/members/${guid}`,
        headers: session(a.s),
        body: a.rooted ? { member: inner } : inner,
      })
    }
    case 'resume': {
      const guid = memberGuid(a.m)
      const round = currentRound(w, guid)
      const answers =
        a.mode === 'missing'
          ? []
          : a.mode === 'stale'
            ? [{ guid: 'CRD-stale', value: 'correct' }]
            : round.map((c) => ({
                guid: c.guid,
                value:
                  a.mode === 'wrong'
                    ? 'nope'
                    : a.mode === 'optionGuid'
                      ? (c.options?.find((o) => o.value === 'correct')?.guid ?? 'correct')
                      : 'correct',
              }))
      const headers = session(a.s)
      switch (a.via) {
        case 'resume':
          return send(w, {
            method: 'PUT',
            path: `/members/${guid}/resume`,
            headers,
            body: a.mode === 'garbage' ? { challenges: 'x' } : { challenges: answers },
          })
        case 'resume-rooted':
          return send(w, {
            method: 'PUT',
            path: `/members/${guid}/resume`,
            headers,
            body: { member: { challenges: answers } },
          })
        case 'update-challenges':
          return send(w, {
            method: 'PUT',
            path: `/members/${guid}`,
            headers,
            body: { member: { challenges: answers } },
          })
        case 'update-credentials':
          return send(w, {
            method: 'PUT',
            path: `/members/${guid}`,
            headers,
            body: { member: { credentials: answers } },
          })
        case 'legacy': {
          for (const answer of answers) {
            send(w, {
              method: 'POST',
              path: `/members/${guid}/credentials`,
              headers,
              body: { credential_guid: answer.guid, value: answer.value },
            })
          }
          const job = w.state.members.get(guid)?.jobGuid ?? 'JOB-none'
          return send(w, { method: 'GET', path: `/jobs/${job}/resume`, headers })
        }
      }
      return undefined
    }
    case 'aggregate':
      return send(w, {
        method: 'GET',
        path: a.all
          ? `/members/${a.alias ? 'refresh' : 'aggregate'}`
          : `/members/${memberGuid(a.m)}/${a.alias ? 'refresh' : 'aggregate'}`,
        headers: session(a.s),
      })
    case 'job': {
      const job = w.state.members.get(memberGuid(a.m))?.jobGuid ?? 'JOB-none'
      return send(w, { method: 'GET', path: `/jobs/${job}`, headers: session(a.s) })
    }
    case 'create': {
      const institution = w.state.institutionsByCode.get(a.institution)
      const credentials = (institution?.fields ?? []).map((f) => ({
        credential_guid: f.guid,
        value: f.fieldTypeName === 'LOGIN' ? a.login : a.password,
      }))
      const r = send(w, {
        method: 'POST',
        path: '/members',
        headers: session(a.s),
        body: {
          member: {
            institution_guid: institution?.guid ?? 'INS-nope',
            credentials,
            skip_aggregation: a.skip,
            ...(a.external === undefined ? {} : { external_guid: a.external }),
          },
        },
      })
      if (r.response.status === 200) w.known.push(schemas.member.parse(r.response.body).member.guid)
      return r
    }
    case 'delete':
      return send(w, { method: 'DELETE', path: `/members/${memberGuid(a.m)}`, headers: session(a.s) })
    case 'oauth': {
      const r = send(w, {
        method: 'GET',
        path: `/members/${memberGuid(a.m)}/oauth_window_uri`,
        headers: session(a.s),
      })
      if (a.open && r.response.status === 200) {
        const uri = schemas.oauthWindow.parse(r.response.body).member.oauth_window_uri
        return send(w, { method: 'GET', path: new URL(uri).pathname })
      }
      return r
    }
    case 'advance':
      w.now += a.ms
      return undefined
    case 'expire':
      w.state.sessions.clear()
      return undefined
    case 'garbage': {
      const path = `/${a.path.map((p) => (p === '{m}' ? memberGuid(a.m) : p)).join('/')}`
      return send(w, {
        method: a.method,
        path,
        headers: session(a.s),
        body: a.body,
        ...(a.invalid ? { bodyInvalid: true } : {}),
      })
    }
  }
}

function decodes(path: string, method: string, body: unknown): boolean {
  if (path.includes('/oauth/')) return true
  if (/\/(aggregate|refresh)$/.test(path))
    return schemas.aggregate.safeParse(body).success || schemas.members.safeParse(body).success
  if (/\/challenges$/.test(path)) return schemas.challenges.safeParse(body).success
  if (/\/credentials(\.json)?$/.test(path) && method === 'GET')
    return schemas.credentials.safeParse(body).success
  if (/^\/jobs\/[^/]+$/.test(path)) return schemas.job.safeParse(body).success
  if (/^\/members\/[^/]+(\.json)?$/.test(path) && method !== 'DELETE')
    return schemas.member.safeParse(body).success
  if (/^\/members(\.json)?$/.test(path) && method === 'GET') return schemas.members.safeParse(body).success
  return true
}

function checkWorld(w: World, from: number, a: Action): void {
  for (const r of w.responses.slice(from)) {
    expect(
      ALLOWED.has(r.status),
      `status ${r.status} for ${r.method} ${r.path} in ${JSON.stringify(a)}`,
    ).toBe(true)
    expect(typeof (r.raw ?? JSON.stringify(r.body))).toBe('string')
    if (r.status === 200)
      expect(decodes(r.path, r.method, r.body), `${r.method} ${r.path} decodes`).toBe(true)
  }
  for (const member of w.state.members.values()) advanceMember(w.state, member, w.now, [])
  expect(checkInvariants(w.state, w.now)).toEqual([])
}

const seedsArb = fc.array(
  fc.record({
    user: fc.nat(1),
    status: fc.constantFrom(...KNOWN_STATUSES),
    password: fc.constantFrom(...PASSWORDS),
    oauth: fc.boolean(),
  }),
  { minLength: 1, maxLength: 5 },
)

describe('model properties', () => {
  it('no request sequence throws, answers an unexpected status, fails to decode, or leaves a member inconsistent', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        seedsArb,
        fc.array(action, { minLength: 5, maxLength: 80, size: 'large' }),
        (seed, seeds, actions) => {
          const w = newWorld(seed, seeds)
          checkWorld(w, 0, { t: 'expire' })
          for (const a of actions) {
            const from = w.responses.length
            run(w, a)
            checkWorld(w, from, a)
          }
        },
      ),
      fcParams('simulator model: consistency', 300),
    )
  })

  it('reaches the interesting states (the generator is not vacuous)', () => {
    const seen = new Set<string>()
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        seedsArb,
        fc.array(action, { minLength: 5, maxLength: 80, size: 'large' }),
        (seed, seeds, actions) => {
          const w = newWorld(seed, seeds)
          for (const a of actions) {
            run(w, a)
            for (const m of w.state.members.values()) if (m.status !== null) seen.add(m.status)
            for (const r of w.responses) seen.add(`HTTP ${r.status}`)
          }
        },
      ),
      fcParams('simulator model: reach', 200),
    )
    for (const expected of [
      'CONNECTED',
      'CHALLENGED',
      'RESUMED',
      'REJECTED',
      'EXPIRED',
      'DENIED',
      'UPDATED',
      'PREVENTED',
      'HTTP 405',
      'HTTP 400',
      'HTTP 401',
      'HTTP 404',
    ]) {
      expect(seen, expected).toContain(expected)
    }
  })

  it('is deterministic: the same seed and actions give the same replies', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        seedsArb,
        fc.array(action, { minLength: 5, maxLength: 40, size: 'large' }),
        (seed, seeds, actions) => {
          const a = newWorld(seed, seeds)
          const b = newWorld(seed, seeds)
          for (const x of actions) {
            run(a, x)
            run(b, x)
          }
          expect(a.responses).toEqual(b.responses)
        },
      ),
      fcParams('simulator model: determinism', 50),
    )
  })
})
