import { describe, expect, it } from 'vitest'
import { schemas } from '../../src/domain/index.js'
import type { StepResult } from '../../src/simulator/index.js'
import { loadMxFixtures, type MxFixture } from '../support/fixtures.js'
import { ModelDriver } from './model-driver.js'

// docs/simulator.md "Profiles": for every endpoint with a real example in test/fixtures/mx, the messy
// profile's reply has the example's key set. Where a messy reply differs, every differing key is listed
// below with why; each real example must also be reproduced exactly by some messy reply.

const USER = 'keys-user'
const MEMBERS = 24

/** Keys a messy member may have that a real member example lacks (or lack that it has), and why. */
const MEMBER_DIFFERENCES: Readonly<Record<string, string>> = {
  institution_code:
    "in the 2021 capture (backbase__member_read__1) but not in MX's guide: both shapes are sent",
  is_oauth: "in the guide's read and the capture, missing from the guide's create/update replies (§12)",
  background_aggregation_is_disabled: '§3.1 member field, sent by the documented shape only',
  use_cases: '§3.1 member field, sent by the documented shape only',
  error:
    'unknown to the schemas: the member-embedded error real clients model (fixtures README); §8.2 new fields',
}

const fixtures = loadMxFixtures().filter((f) => f.kind === 'response')
const fixture = (file: string): MxFixture => {
  const found = fixtures.find((f) => f.file === file)
  if (found === undefined) throw new Error(`missing fixture ${file}`)
  return found
}
const keys = (value: unknown): string[] => Object.keys(value as object).sort()
const diff = (a: readonly string[], b: readonly string[]): string[] =>
  [...a.filter((k) => !b.includes(k)), ...b.filter((k) => !a.includes(k))].sort()

/**
 * Checks replies against the real examples of one endpoint: each reply's difference from its closest
 * example is listed in `allowed`; each example is matched exactly by at least one reply.
 */
function compare(
  replies: readonly unknown[],
  examples: readonly unknown[],
  allowed: Readonly<Record<string, string>>,
) {
  expect(replies.length).toBeGreaterThan(0)
  const exact = new Set<number>()
  for (const reply of replies) {
    const diffs = examples.map((e) => diff(keys(reply), keys(e)))
    const best = Math.min(...diffs.map((d) => d.length))
    diffs.forEach((d, i) => d.length === 0 && exact.add(i))
    const closest = diffs.find((d) => d.length === best) ?? []
    expect(
      closest.filter((k) => !(k in allowed)),
      `unlisted difference in ${JSON.stringify(keys(reply))}`,
    ).toEqual([])
  }
  expect([...exact].sort(), 'every real example is reproduced exactly').toEqual(examples.map((_, i) => i))
}

function setup() {
  const d = new ModelDriver({ profile: 'messy', seed: 11 })
  const guids = Array.from({ length: MEMBERS }, () => d.seed({ userId: USER, status: 'DENIED' }))
  const session = d.login(USER)
  return { d, guids, session }
}

const body = (r: StepResult): Record<string, unknown> => r.response.body as Record<string, unknown>
const memberOf = (r: StepResult): Record<string, unknown> => body(r).member as Record<string, unknown>

describe('messy replies have the key sets of the real examples', () => {
  it('GET /members/{guid}: the guide read and the 2021 capture', () => {
    const { d, guids, session } = setup()
    const replies = guids.map((g) => memberOf(d.as(session, 'GET', `/members/${g}`)))
    const examples = ['mxguide2021__member_read__1.json', 'backbase__member_read__1.json'].map(
      (f) => (fixture(f).body as { member: unknown }).member,
    )
    compare(replies, examples, MEMBER_DIFFERENCES)
    for (const r of replies) expect(schemas.member.safeParse({ member: r }).success).toBe(true)
  })

  it('GET /members: the 2021 capture list', () => {
    const { d, session } = setup()
    const reply = body(d.as(session, 'GET', '/members'))
    const example = fixture('backbase__member_list__1.json').body as { members: unknown[] }
    expect(keys(reply)).toEqual(keys(example))
    compare(reply.members as unknown[], example.members, MEMBER_DIFFERENCES)
  })

  it("POST /members and PUT /members/{guid}: the guide's write replies", () => {
    const { d, guids, session } = setup()
    const institution = d.member(session, guids[0]!).institution_guid!
    const fields = schemas.credentials.parse(
      d.as(session, 'GET', `/institutions/${institution}/credentials`).response.body,
    ).credentials
    const created = Array.from({ length: MEMBERS }, (_, i) =>
      memberOf(
        d.as(session, 'POST', '/members', {
          member: {
            institution_guid: institution,
            credentials: fields.map((f) => ({
              credential_guid: f.guid,
              value: f.field_name === 'LOGIN' ? `login-${i}` : 'secret',
            })),
            metadata: 'Additional information',
            skip_aggregation: true,
          },
        }),
      ),
    )
    compare(
      created,
      [(fixture('mxguide2021__member_create__2.json').body as { member: unknown }).member],
      MEMBER_DIFFERENCES,
    )
    const updated = guids.map((g) => memberOf(d.update(session, g, 'password')))
    compare(
      updated,
      [(fixture('mxguide2021__member_update__2.json').body as { member: unknown }).member],
      MEMBER_DIFFERENCES,
    )
  })

  it("GET /members/{guid}/challenges: the guide's TEXT challenge", () => {
    const { d, guids, session } = setup()
    for (const g of guids) d.update(session, g, 'challenge')
    d.phase()
    const example = fixture('mxguide2021__challenges_list__1.json').body as { challenges: unknown[] }
    for (const g of guids) {
      const reply = body(d.as(session, 'GET', `/members/${g}/challenges`))
      expect(keys(reply)).toEqual(keys(example))
      compare(reply.challenges as unknown[], example.challenges, {})
    }
  })

  it("GET /institutions/{guid}/credentials and the member's credentials: the guide's fields", () => {
    const { d, guids, session } = setup()
    const example = fixture('mxguide2021__institution_credentials__1.json').body as { credentials: unknown[] }
    const institution = d.member(session, guids[0]!).institution_guid!
    const lists = [
      body(d.as(session, 'GET', `/institutions/${institution}/credentials`)),
      ...guids.map((g) => body(d.as(session, 'GET', `/members/${g}/credentials`))),
    ]
    for (const list of lists) {
      expect(keys(list)).toEqual(keys(example))
      compare(list.credentials as unknown[], example.credentials, {})
    }
  })

  it('POST /sessions, SSO api_token and MDX create user', () => {
    const d = new ModelDriver({ profile: 'messy', seed: 11 })
    const { apiKey, clientId } = d.state.options
    const user = body(
      d.request('POST', `/mdx/${clientId}/users.json`, {
        headers: { 'MD-API-KEY': apiKey },
        body: { user: { id: USER } },
      }),
    )
    // The guide prints the whole user; Backbase's test object sets only id, guid and is_disabled (a subset).
    compare(
      [user.user],
      [(fixture('mxguide2021__mdx_user_create__2.json').body as { user: unknown }).user],
      {},
    )
    const backbase = (fixture('backbase__mdx_user_create__2.json').body as { user: object }).user
    expect(keys(backbase).filter((k) => !keys(user.user).includes(k))).toEqual([])
    const token = body(
      d.request('GET', `/sso/${clientId}/users/${USER}/api_token.json`, {
        headers: { 'MD-API-KEY': apiKey },
      }),
    )
    for (const f of ['mxguide2021__sso_api_token__2.json', 'backbase__sso_api_token__2.json']) {
      expect(keys(token)).toEqual(keys(fixture(f).body))
      expect(keys(token.api_token)).toEqual(keys((fixture(f).body as { api_token: unknown }).api_token))
    }
    const session = body(
      d.request('POST', '/sessions', {
        headers: { 'MD-API-TOKEN': (token.api_token as { token: string }).token },
        body: { session: { skip_aggregation: true } },
      }),
    )
    for (const f of ['mxguide2021__session_create__2.json', 'backbase__session_create__2.json']) {
      expect(keys(session)).toEqual(keys(fixture(f).body))
      expect(keys(session.session)).toEqual(keys((fixture(f).body as { session: unknown }).session))
    }
  })

  it('DELETE /members/{guid}: 200 with an empty body, as a shipping client saw it (backbase__member_delete__1)', () => {
    const { d, guids, session } = setup()
    const deleteExample = loadMxFixtures().find((f) => f.file === 'backbase__member_delete__1.json')
    expect(deleteExample?.method).toBe('DELETE')
    const r = d.as(session, 'DELETE', `/members/${guids[0]!}`)
    expect(r.response).toMatchObject({ status: 200, raw: '' })
  })

  it('GET /members/{guid}/aggregate: the full member or only {job_guid, status} (§12; no fixture)', () => {
    const { d, guids, session } = setup()
    const shapes = new Set<string>()
    for (const g of guids) {
      const r = d.as(session, 'GET', `/members/${g}/aggregate`)
      const member = memberOf(r)
      shapes.add('connection_status_id' in member ? 'member' : keys(member).join(','))
      expect(schemas.aggregate.safeParse(body(r)).success).toBe(true)
    }
    expect([...shapes].sort()).toEqual(['job_guid,status', 'member'])
  })

  it('POST /members/{guid}/verify has a real example but is not served: verification is outside reconnection', () => {
    const { d, guids, session } = setup()
    expect(fixture('mxguide2021__member_verify__1.json').method).toBe('POST')
    expect(d.as(session, 'POST', `/members/${guids[0]!}/verify`).response.status).toBe(404)
  })
})
