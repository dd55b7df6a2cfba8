import { describe, expect, it } from 'vitest'
import {
  initialContext,
  toChallengePrompts,
  toCredentialPrompts,
  toMemberView,
} from '../../machines/member-lifecycle/index.js'
import { challenge } from '../../src/domain/schemas/challenges.js'
import { credentialField } from '../../src/domain/schemas/credentials.js'
import { member } from '../../src/domain/schemas/member.js'

// The mappers from MX payloads to what the lifecycle keeps and asks (context.ts), as table tests: written
// against the mutants a Stryker run of context.ts left alive with the fast machine tests (docs/testing.md).
// Expectations follow the Nexus reference (§3.5 credential fields in display order, field_type ids; §6
// challenges) and lifecycle.md (a prompt carries labels, types and options, never values).

describe('initialContext: the jitter seed', () => {
  // context.ts: "Seed of the jitter sequence; defaults to a hash of the member guid". A restored or re-run
  // lifecycle of the same member must draw the same jitter (invariant 6); different members should not
  // back off in lockstep.
  const seedOf = (memberGuid: string, seed?: number) =>
    initialContext({ userId: 'u-1', memberGuid, ...(seed === undefined ? {} : { seed }) }).seed

  it('is the given seed when there is one (0 included)', () => {
    expect(seedOf('MBR-1', 42)).toBe(42)
    expect(seedOf('MBR-2', 42)).toBe(42)
    expect(seedOf('MBR-1', 0)).toBe(0)
  })

  it('else derives from the member: the same for the same member, different for another', () => {
    expect(seedOf('MBR-1')).toBe(seedOf('MBR-1'))
    expect(seedOf('MBR-1')).not.toBe(seedOf('MBR-2'))
    expect(Number.isInteger(seedOf('MBR-1'))).toBe(true)
    expect(seedOf('MBR-1')).toBeGreaterThanOrEqual(0)
    expect(seedOf('MBR-1')).toBeLessThan(2 ** 32)
  })
})

describe('toMemberView', () => {
  it('keeps the status name (an unknown one verbatim), and only explicit true flags', () => {
    const read = (extra: Record<string, unknown>) =>
      toMemberView(member.parse({ guid: 'MBR-1', connection_status: 'CONNECTED', ...extra }))
    expect(read({})).toEqual({
      status: 'CONNECTED',
      message: null,
      aggregating: false,
      jobGuid: null,
      isOauth: false,
    })
    expect(
      read({
        connection_status: 'SOMETHING_NEW',
        connection_status_message: 'hi',
        is_being_aggregated: true,
        most_recent_job_guid: 'JOB-1',
        is_oauth: true,
      }),
    ).toEqual({ status: 'SOMETHING_NEW', message: 'hi', aggregating: true, jobGuid: 'JOB-1', isOauth: true })
    expect(read({ connection_status: null }).status).toBeNull()
  })
})

describe('toCredentialPrompts', () => {
  const field = (extra: Record<string, unknown>) => credentialField.parse({ guid: 'CRD-x', ...extra })

  it('orders by display order (none counts as 0) and keeps the order only when MX gave one', () => {
    const prompts = toCredentialPrompts([
      field({ guid: 'CRD-3', display_order: 3 }),
      field({ guid: 'CRD-1', display_order: 1 }),
      field({ guid: 'CRD-0' }),
      field({ guid: 'CRD-2', display_order: 2 }),
    ])
    expect(prompts.map((p) => p.guid)).toEqual(['CRD-0', 'CRD-1', 'CRD-2', 'CRD-3'])
    expect(prompts.map((p) => p.displayOrder)).toEqual([undefined, 1, 2, 3])
    expect('displayOrder' in prompts[0]!).toBe(false)
  })

  it.each([
    [{ field_type_name: 'PASSWORD', field_type: 0 }, 'PASSWORD'], // the name wins
    [{ field_type: 1 }, 'PASSWORD'], // ids from §3.5: 0 TEXT, 1 PASSWORD, 2 OPTIONS
    [{ field_type: 2 }, 'OPTIONS'],
    [{ field_type: 0 }, 'TEXT'],
    [{ field_type: 999 }, '999'], // an id this version does not know: kept as text
    [{ field_type: 'LOGIN' }, 'LOGIN'],
    [{}, null],
  ])('field type of %o is %s', (extra, type) => {
    expect(toCredentialPrompts([field(extra)])[0]!.type).toBe(type)
  })

  it('labels and names default to null; optional only when true; options keep label, value, guid, data URI', () => {
    const [bare] = toCredentialPrompts([field({})])
    expect(bare).toEqual({ guid: 'CRD-x', label: null, fieldName: null, type: null, optional: false })
    const [full] = toCredentialPrompts([
      field({
        label: 'Bank',
        field_name: 'bank',
        optional: true,
        options: [{ label: 'A', value: 'a', guid: 'OPT-1', data_uri: 'data:image/png;base64,AA==' }, {}],
      }),
    ])
    expect(full).toMatchObject({ label: 'Bank', fieldName: 'bank', optional: true })
    expect(full!.options).toEqual([
      { label: 'A', value: 'a', guid: 'OPT-1', dataUri: 'data:image/png;base64,AA==' },
      { label: null, value: null },
    ])
  })
})

describe('toChallengePrompts', () => {
  it('keeps type, label and name; options and images only when present', () => {
    const prompts = toChallengePrompts([
      challenge.parse({ guid: 'CH-1', type: 'TEXT', label: 'Q?' }),
      challenge.parse({
        guid: 'CH-2',
        type: 'OPTIONS',
        field_name: 'pick',
        options: [{ label: 'x', value: 'X' }],
      }),
      challenge.parse({ guid: 'CH-3', type: 'IMAGE_DATA', image_data: 'data:image/png;base64,AA==' }),
      challenge.parse({
        guid: 'CH-4',
        type: 'IMAGE_OPTIONS',
        image_options: [{ label: 'i', value: 'I', data_uri: 'data:image/png;base64,AB==' }],
      }),
    ])
    expect(prompts).toEqual([
      { guid: 'CH-1', type: 'TEXT', label: 'Q?', fieldName: null },
      {
        guid: 'CH-2',
        type: 'OPTIONS',
        label: null,
        fieldName: 'pick',
        options: [{ label: 'x', value: 'X' }],
      },
      {
        guid: 'CH-3',
        type: 'IMAGE_DATA',
        label: null,
        fieldName: null,
        imageData: 'data:image/png;base64,AA==',
      },
      {
        guid: 'CH-4',
        type: 'IMAGE_OPTIONS',
        label: null,
        fieldName: null,
        imageOptions: [{ label: 'i', value: 'I', dataUri: 'data:image/png;base64,AB==' }],
      },
    ])
  })

  it('an unknown type keeps its raw name; issues only when there are some', () => {
    const odd = challenge.parse({ guid: 'CH-9', type: 'HOLOGRAM', label: 'Look' })
    const [prompt] = toChallengePrompts([odd])
    expect(prompt).toEqual({ guid: 'CH-9', type: 'HOLOGRAM', label: 'Look', fieldName: null })
    const [withIssues] = toChallengePrompts([{ ...odd, issues: ['unknown type'] }])
    expect(withIssues).toMatchObject({ issues: ['unknown type'] })
    const [noIssues] = toChallengePrompts([{ ...odd, issues: [] }])
    expect('issues' in noIssues!).toBe(false)
  })
})
