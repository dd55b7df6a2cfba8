import { describe, expect, it } from 'vitest'
import { schemas, updateMemberRequest, createSessionRequest } from '../../src/domain/index.js'
import { loadMxFixtures } from '../support/fixtures.js'

// Reference §12: every response body in the real examples must decode with the project's schemas.
const schemaFor = (method: string, path: string) => {
  if (path.endsWith('/challenges')) return schemas.challenges
  if (path.endsWith('/credentials')) return schemas.credentials
  if (path.endsWith('api_token.json') || path.endsWith('api_token.xml')) return schemas.apiToken
  if (path.includes('/users')) return schemas.user
  if (path.startsWith('/sessions')) return schemas.session
  if (path === '/members' && method === 'GET') return schemas.members
  if (path.startsWith('/members')) return schemas.member
  return undefined
}

describe('real MX examples decode', () => {
  const fixtures = loadMxFixtures()
  const responses = fixtures.filter((f) => f.kind === 'response')

  it('has the copied fixtures', () => {
    expect(responses.length).toBeGreaterThanOrEqual(12)
  })

  it.each(responses.map((f) => [f.file, f] as const))('%s', (_file, fixture) => {
    const schema = schemaFor(fixture.method, fixture.path)
    expect(schema, `no schema mapped for ${fixture.method} ${fixture.path}`).toBeDefined()
    const result = schema!.safeParse(fixture.body)
    expect(result.error?.issues ?? []).toEqual([])
  })

  it('decodes the literal "null" timestamps of the 2021 guide as null', () => {
    const update = fixtures.find((f) => f.file === 'mxguide2021__member_update__2.json')!
    const { member } = schemas.member.parse(update.body)
    expect(member.aggregated_at).toBeNull()
    expect(member.successfully_aggregated_at).toBeNull()
    expect(member.connection_status).toBe('UPDATED')
  })

  it('accepts the update-member and create-session requests real clients send', () => {
    for (const f of fixtures.filter((x) => x.kind === 'request')) {
      if (f.method === 'PUT' && f.path.startsWith('/members')) {
        const inner = updateMemberRequest.parse(f.body)
        expect(inner.credentials?.[0]?.guid).toMatch(/^CRD-/)
      }
      if (f.method === 'POST' && f.path.startsWith('/sessions')) {
        expect(createSessionRequest.parse(f.body ?? {})).toHaveProperty('skipAggregation')
      }
    }
  })
})
