import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { challenge, schemas, toConnectionStatus } from '../../src/domain/index.js'
import { wireMemberArb } from '../support/arbitraries.js'

const memberJson = {
  guid: 'MBR-1',
  user_guid: 'USR-1',
  institution_guid: 'INS-1',
  institution_code: 'mxbank',
  name: 'MX Bank',
  connection_status: 'CONNECTED',
  connection_status_id: 6,
  connection_status_message: 'Connected to MX Bank.',
  is_being_aggregated: false,
  aggregated_at: '2021-10-26T19:43:53+00:00',
  successfully_aggregated_at: '2016-10-13T18:07:57.000Z',
  most_recent_job_guid: 'JOB-1',
  is_oauth: false,
  external_guid: null,
  metadata: null,
}

describe('schemas.member (§3.1, §3.2, §3.4)', () => {
  it('decodes the rooted example', () => {
    expect(schemas.member.parse({ member: memberJson }).member.connection_status).toBe('CONNECTED')
  })
  it('decodes the older non-rooted body to the same thing', () => {
    expect(schemas.member.parse(memberJson)).toEqual(schemas.member.parse({ member: memberJson }))
  })
  it('keeps an unknown status as the explicit unknown case with its raw string', () => {
    const { member } = schemas.member.parse({ member: { ...memberJson, connection_status: 'NEW_IN_2030' } })
    expect(member.connection_status).toEqual({ _tag: 'UnknownStatus', raw: 'NEW_IN_2030' })
  })
  it('decodes a null connection_status (manual member, §4) and missing optional keys', () => {
    expect(
      schemas.member.parse({ member: { guid: 'MBR-2', connection_status: null } }).member.connection_status,
    ).toBeNull()
    expect(schemas.member.parse({ member: { guid: 'MBR-3' } }).member.is_oauth).toBeUndefined()
  })
  it('decodes "null" strings as null (§12)', () => {
    const { member } = schemas.member.parse({
      member: { ...memberJson, aggregated_at: 'null', metadata: 'null' },
    })
    expect(member.aggregated_at).toBeNull()
    expect(member.metadata).toBeNull()
  })
  it.each([
    ['missing guid', { member: { ...memberJson, guid: undefined } }],
    ['empty guid', { member: { ...memberJson, guid: '' } }],
    ['numeric guid', { member: { ...memberJson, guid: 42 } }],
    ['string flag', { member: { ...memberJson, is_being_aggregated: 'yes' } }],
    ['numeric status', { member: { ...memberJson, connection_status: 6 } }],
    ['fractional status id', { member: { ...memberJson, connection_status_id: 6.5 } }],
    ['array', [memberJson, 1]],
    ['null', null],
    ['string', 'member'],
  ])('rejects %s', (_name, body) => {
    expect(schemas.member.safeParse(body).success).toBe(false)
  })
})

describe('schemas.members (§3.2, §10.2)', () => {
  it('decodes {"members": [...]} with an optional pagination object', () => {
    const body = {
      members: [memberJson, { ...memberJson, guid: 'MBR-2' }],
      pagination: { current_page: 1, per_page: 25, total_entries: 2, total_pages: 1 },
    }
    expect(schemas.members.parse(body).members.map((m) => m.guid)).toEqual(['MBR-1', 'MBR-2'])
  })
  it("decodes MX's doc example (single member object) as a one-element list", () => {
    expect(schemas.members.parse({ member: memberJson }).members).toHaveLength(1)
  })
  it('decodes a bare array', () => {
    expect(schemas.members.parse([memberJson]).members[0]?.guid).toBe('MBR-1')
  })
  it('rejects a list with a bad member', () => {
    expect(schemas.members.safeParse({ members: [memberJson, { name: 'no guid' }] }).success).toBe(false)
  })
})

describe('schemas.aggregate (§3.6, §12)', () => {
  it('decodes a full member or a bare job start', () => {
    expect(schemas.aggregate.parse({ member: memberJson }).member).toHaveProperty('guid', 'MBR-1')
    expect(schemas.aggregate.parse({ member: { job_guid: 'JOB-9', status: 'RUNNING' } }).member).toEqual({
      job_guid: 'JOB-9',
      status: 'RUNNING',
    })
  })
  it('keeps the job guid when a job start answers a member that has a guid too', () => {
    const parsed = schemas.aggregate.parse({
      member: { guid: 'MBR-1', job_guid: 'JOB-2', connection_status: 'UPDATED' },
    })
    expect(parsed.member).toMatchObject({ guid: 'MBR-1', job_guid: 'JOB-2' })
  })
})

describe('schemas.credentials (§3.5)', () => {
  it('decodes the documented example', () => {
    const body = {
      credentials: [
        {
          guid: 'CRD-1',
          label: 'Username',
          field_name: 'LOGIN',
          field_type: 3,
          field_type_name: 'LOGIN',
          display_order: 1,
          optional: false,
          mfa: false,
          editable: true,
          institution_guid: 'INS-1',
          meta_data: null,
          max_length: null,
          value_mask: null,
          created_at: '2016-09-21T16:08:59-06:00',
          updated_at: '2016-09-21T16:08:59-06:00',
        },
      ],
    }
    expect(schemas.credentials.parse(body).credentials[0]?.label).toBe('Username')
  })
  it('rejects a credential without guid', () => {
    expect(schemas.credentials.safeParse({ credentials: [{ label: 'x' }] }).success).toBe(false)
  })
})

describe('schemas.challenges (§3.7, §6, §10.3)', () => {
  const five = [
    {
      guid: 'CRD-t',
      type: 'TEXT',
      label: 'What city were you born in?',
      field_name: 'What city were you born in?',
    },
    { guid: 'CRD-k', type: 'TOKEN', label: 'Enter the code', field_name: 'token' },
    {
      guid: 'CRD-o',
      type: 'OPTIONS',
      label: 'Send the code to',
      options: [{ label: 'Phone', value: 'phone', guid: 'OPT-1' }],
    },
    { guid: 'CRD-i', type: 'IMAGE_DATA', label: 'What is in the image?', image_data: 'iVBORw0KGgo=' },
    {
      guid: 'CRD-io',
      type: 'IMAGE_OPTIONS',
      label: 'Pick your image',
      image_options: [{ label: 'Cat', value: 'cat', data_uri: 'data:image/png;base64,AAAA' }],
    },
  ]
  it('decodes all five types', () => {
    expect(schemas.challenges.parse({ challenges: five }).challenges.map((c) => c.type)).toEqual([
      'TEXT',
      'TOKEN',
      'OPTIONS',
      'IMAGE_DATA',
      'IMAGE_OPTIONS',
    ])
  })
  it('decodes the rendered-schema key "member" the same way', () => {
    expect(schemas.challenges.parse({ member: five })).toEqual(schemas.challenges.parse({ challenges: five }))
  })
  it('decodes integer types through the field_type table (0 = TEXT, 12 = TOKEN)', () => {
    const parsed = schemas.challenges.parse({
      challenges: [
        { guid: 'a', type: 0 },
        { guid: 'b', type: 12 },
      ],
    })
    expect(parsed.challenges.map((c) => c.type)).toEqual(['TEXT', 'TOKEN'])
  })
  it('keeps an unknown challenge type explicit', () => {
    const parsed = schemas.challenges.parse({ challenges: [{ guid: 'a', type: 'VOICE' }] })
    expect(parsed.challenges[0]?.type).toEqual({ _tag: 'UnknownChallengeType', raw: 'VOICE' })
  })
  it.each([
    ['OPTIONS without options', { guid: 'a', type: 'OPTIONS' }],
    ['IMAGE_DATA without image_data', { guid: 'a', type: 'IMAGE_DATA' }],
    ['IMAGE_OPTIONS without image_options', { guid: 'a', type: 'IMAGE_OPTIONS' }],
    ['no guid', { type: 'TEXT' }],
    ['no type', { guid: 'a' }],
  ])(
    'the item schema refuses %s; a list keeps it visible with its issues, or drops it without a guid',
    (_name, item) => {
      expect(challenge.safeParse(item).success).toBe(false)
      const { challenges } = schemas.challenges.parse({ challenges: [item] })
      if ('guid' in item) expect(challenges[0]?.issues?.length).toBeGreaterThan(0)
      else expect(challenges).toEqual([])
    },
  )
})

describe('schemas.job, session, apiToken, user, error (§1, §5, §7)', () => {
  it('decodes a job with ISO or Unix timestamps', () => {
    const job = {
      guid: 'JOB-1',
      member_guid: 'MBR-1',
      user_guid: 'USR-1',
      status: 6,
      status_name: 'COMPLETED',
      is_authenticated: true,
      error_message: null,
      error_message_code: null,
      created_at: '2016-10-13T18:07:57.000Z',
      finished_at: 1531947410,
    }
    expect(schemas.job.parse({ job }).job.status_name).toBe('COMPLETED')
    expect(schemas.job.safeParse({ job: { ...job, status: 'six' } }).success).toBe(false)
  })
  it('decodes session and api token and rejects empty tokens', () => {
    expect(schemas.session.parse({ session: { token: 'abc' } }).session.token).toBe('abc')
    expect(schemas.apiToken.parse({ api_token: { token: 'xyz' } }).api_token.token).toBe('xyz')
    expect(schemas.session.safeParse({ session: { token: '' } }).success).toBe(false)
    expect(schemas.apiToken.safeParse({ token: 'xyz' }).success).toBe(false)
  })
  it('decodes an MDX user and the simulator-default error envelope', () => {
    expect(schemas.user.parse({ user: { id: 'u1', guid: 'USR-1', is_disabled: false } }).user.guid).toBe(
      'USR-1',
    )
    expect(schemas.error.parse({ error: { code: 4011, message: 'expired' } }).error.code).toBe(4011)
  })
})

describe('schemas.webhook (§8.2)', () => {
  it('decodes CONNECTION_STATUS', () => {
    const w = schemas.webhook.parse({
      type: 'CONNECTION_STATUS',
      action: 'CHANGED',
      member_guid: 'MBR-1',
      user_guid: 'USR-1',
      connection_status: 'CHALLENGED',
      connection_status_id: 3,
      connection_status_message: 'To authenticate…',
    })
    expect(w).toMatchObject({ kind: 'connectionStatus', memberGuid: 'MBR-1' })
  })
  it('decodes AGGREGATION with Unix completed_at', () => {
    const w = schemas.webhook.parse({
      type: 'AGGREGATION',
      action: 'member_data_updated',
      member_guid: 'MBR-1',
      user_guid: 'USR-1',
      user_id: 'u1',
      job_guid: 'JOB-1',
      is_background: true,
      completed_at: 1531947410,
      completed_on: '2018-07-18',
      transactions_created_count: 3,
      transactions_updated_count: 2,
    })
    expect(w).toMatchObject({ kind: 'aggregation', memberGuid: 'MBR-1' })
  })
  it('decodes a job webhook and a member webhook', () => {
    const job = schemas.webhook.parse({
      job: {
        guid: 'JOB-1',
        member_guid: 'MBR-7',
        status: 2,
        status_name: 'CHALLENGED',
        created_at: 1531947410,
      },
      member_id: 'm1',
      user_id: 'u1',
    })
    expect(job).toMatchObject({ kind: 'job', memberGuid: 'MBR-7' })
    const member = schemas.webhook.parse({
      member: { guid: 'MBR-8', connection_status: 'DENIED', created_at: 1 },
    })
    expect(member).toMatchObject({ kind: 'member', memberGuid: 'MBR-8' })
  })
  it('tolerates nulls and new fields', () => {
    const w = schemas.webhook.parse({
      type: 'CONNECTION_STATUS',
      member_guid: 'MBR-1',
      connection_status: null,
      brand_new_field: { nested: true },
    })
    expect(w.kind).toBe('connectionStatus')
  })
  it.each([
    ['empty object', {}],
    ['no member guid', { type: 'CONNECTION_STATUS', connection_status: 'DENIED' }],
    ['wrong type of guid', { type: 'AGGREGATION', member_guid: 5 }],
    ['string', 'hello'],
  ])('rejects %s', (_name, body) => {
    expect(schemas.webhook.safeParse(body).success).toBe(false)
  })
})

describe('properties', () => {
  it('any wire member round-trips through JSON, rooted or not, keeping every field', () => {
    fc.assert(
      fc.property(wireMemberArb, fc.boolean(), (wire, rooted) => {
        const text = JSON.stringify(rooted ? { member: wire } : wire)
        const { member } = schemas.member.parse(JSON.parse(text))
        const { connection_status: raw, ...rest } = wire
        expect(member).toMatchObject(rest)
        expect(member.connection_status).toEqual(raw === undefined ? null : toConnectionStatus(raw))
      }),
    )
  })
  it('decoding never throws on arbitrary JSON: it succeeds or reports issues', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const schema of Object.values(schemas)) {
          const result = schema.safeParse(value)
          if (!result.success) expect(result.error.issues.length).toBeGreaterThan(0)
        }
      }),
    )
  })
  it('a member with a wrongly-typed required field is always rejected', () => {
    fc.assert(
      fc.property(
        wireMemberArb,
        fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant('')),
        (wire, bad) => {
          expect(schemas.member.safeParse({ member: { ...wire, guid: bad } }).success).toBe(false)
        },
      ),
    )
  })
})
