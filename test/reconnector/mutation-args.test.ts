import { describe, expect, it } from 'vitest'
import {
  guidForError,
  memberGuidSchema,
  memberRefSchema,
  parseArg,
  progressOptionsSchema,
  reconnectorOptionsSchema,
  secretsSchema,
  startSchema,
  sweepTargetSchema,
  userIdSchema,
} from '../../src/reconnector/args.js'
import { notFound, ReconnectorError } from '../../src/reconnector/errors.js'

// The argument checks of every reconnector entry point (docs/reconnector.md, "typed arguments"; the
// schemas' TSDoc): user ids are 1–256 characters without control characters; member guids are 1–256
// characters safe in a URL path segment (no / \ ? # %, spaces, control characters), not `.` or `..`; a
// refusal is a `ReconnectorError` (`invalid`, or `invalidWebhook`) whose message names the field and the
// rule, never the value. Written against the mutants a Stryker run with the unit tests left uncovered.

const ok = (schema: { safeParse(v: unknown): { success: boolean } }, v: unknown) =>
  schema.safeParse(v).success

describe('userIdSchema', () => {
  it('takes 1–256 characters without control characters', () => {
    for (const good of ['u', 'u-1', 'a'.repeat(256), 'user with spaces', 'ü/ß?#%'])
      expect(ok(userIdSchema, good)).toBe(true)
    for (const bad of ['', 'a'.repeat(257), 'u\u0000', 'u\n', 'u\u007f', 'u\ud800', 42, undefined])
      expect(ok(userIdSchema, bad)).toBe(false)
  })
})

describe('memberGuidSchema', () => {
  it('takes 1–256 URL-path-safe characters, not . or ..', () => {
    for (const good of ['MBR-1', 'a'.repeat(256), '...', '.a', 'a.', 'MBR_ü'])
      expect(ok(memberGuidSchema, good)).toBe(true)
    for (const bad of [
      '',
      'a'.repeat(257),
      '.',
      '..',
      'a/b',
      'a\\b',
      'a?b',
      'a#b',
      'a%b',
      'a b',
      'a\tb',
      'a\u0001b',
      'a\u007fb',
      'a\udc00',
      null,
    ])
      expect(ok(memberGuidSchema, bad), JSON.stringify(bad)).toBe(false)
  })

  it('a member ref needs both a user id and a guid', () => {
    expect(ok(memberRefSchema, { userId: 'u-1', memberGuid: 'MBR-1' })).toBe(true)
    expect(ok(memberRefSchema, { userId: '', memberGuid: 'MBR-1' })).toBe(false)
    expect(ok(memberRefSchema, { userId: 'u-1', memberGuid: '..' })).toBe(false)
    expect(ok(memberRefSchema, { memberGuid: 'MBR-1' })).toBe(false)
  })
})

describe('the entry points’ schemas', () => {
  it('start takes a member ref and an optional policy object', () => {
    expect(ok(startSchema, { userId: 'u-1', memberGuid: 'MBR-1' })).toBe(true)
    expect(ok(startSchema, { userId: 'u-1', memberGuid: 'MBR-1', policy: { jobMs: 1000 } })).toBe(true)
    expect(ok(startSchema, { userId: 'u-1', memberGuid: 'MBR-1', policy: 'fast' })).toBe(false)
    expect(ok(startSchema, { userId: 'u-1', memberGuid: 'a/b' })).toBe(false)
  })

  it('credentials and answers are { guid, value } strings with a guid', () => {
    expect(ok(secretsSchema, [])).toBe(true)
    expect(
      ok(secretsSchema, [
        { guid: 'CRD-1', value: 'user' },
        { guid: 'CRD-2', value: '' },
      ]),
    ).toBe(true)
    expect(ok(secretsSchema, [{ guid: '', value: 'x' }])).toBe(false)
    expect(ok(secretsSchema, [{ guid: 'CRD-1', value: 1 }])).toBe(false)
    expect(ok(secretsSchema, [{ guid: 'g'.repeat(257), value: 'x' }])).toBe(false)
    expect(ok(secretsSchema, { guid: 'CRD-1', value: 'x' })).toBe(false)
  })

  it('a sweep targets user ids or member refs', () => {
    expect(ok(sweepTargetSchema, { userIds: ['u-1', 'u-2'] })).toBe(true)
    expect(ok(sweepTargetSchema, { members: [{ userId: 'u-1', memberGuid: 'MBR-1' }] })).toBe(true)
    expect(ok(sweepTargetSchema, { userIds: [''] })).toBe(false)
    expect(ok(sweepTargetSchema, { members: [{ userId: 'u-1', memberGuid: '.' }] })).toBe(false)
    expect(ok(sweepTargetSchema, {})).toBe(false)
  })

  it('progress options are optional; onProgress must be a function', () => {
    expect(ok(progressOptionsSchema, undefined)).toBe(true)
    expect(ok(progressOptionsSchema, {})).toBe(true)
    expect(ok(progressOptionsSchema, { onProgress: () => undefined })).toBe(true)
    expect(ok(progressOptionsSchema, { onProgress: 'log' })).toBe(false)
  })

  it('createReconnector options: a client object, and sane numbers', () => {
    const client = {}
    expect(ok(reconnectorOptionsSchema, { client })).toBe(true)
    expect(
      ok(reconnectorOptionsSchema, {
        client,
        owner: 'host-a',
        leaseMs: 60_000,
        evictAfterMs: 0,
        concurrency: 32,
      }),
    ).toBe(true)
    expect(ok(reconnectorOptionsSchema, {})).toBe(false)
    expect(ok(reconnectorOptionsSchema, { client: null })).toBe(false)
    expect(ok(reconnectorOptionsSchema, { client: 'http://nexus' })).toBe(false)
    expect(reconnectorOptionsSchema.safeParse({ client: 1 }).error?.issues[0]?.message).toBe(
      'must be a client or a config',
    )
    for (const bad of [
      { owner: '' },
      { owner: 'a\u0000' },
      { leaseMs: -1 },
      { leaseMs: 1.5 },
      { evictAfterMs: -1 },
      { evictAfterMs: 0.5 },
      { concurrency: 0 },
      { concurrency: 2.5 },
    ])
      expect(ok(reconnectorOptionsSchema, { client, ...bad }), JSON.stringify(bad)).toBe(false)
  })
})

describe('parseArg', () => {
  it('returns the parsed value', () => {
    expect(parseArg(memberRefSchema, { userId: 'u-1', memberGuid: 'MBR-1' }, 'member')).toEqual({
      userId: 'u-1',
      memberGuid: 'MBR-1',
    })
  })

  it('throws ReconnectorError invalid naming the field and the rule, never the value', () => {
    let error: unknown
    try {
      parseArg(memberRefSchema, { userId: 'u-1', memberGuid: 'se cret/..' }, 'member')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ReconnectorError)
    const e = error as ReconnectorError
    expect(e.reason).toBe('invalid')
    expect(e.memberGuid).toBe('')
    expect(e.message).toMatch(/^invalid member: /)
    expect(e.message).toContain('member.memberGuid: must be a guid')
    expect(e.message).not.toContain('se cret')
  })

  it('names every failing field, each with its path', () => {
    let message = ''
    try {
      parseArg(memberRefSchema, { userId: '', memberGuid: '..' }, 'member', 'invalidWebhook', 'MBR-9')
    } catch (e) {
      expect(e).toBeInstanceOf(ReconnectorError)
      expect((e as ReconnectorError).reason).toBe('invalidWebhook')
      expect((e as ReconnectorError).memberGuid).toBe('MBR-9')
      message = (e as ReconnectorError).message
    }
    expect(message).toContain('member.userId: ')
    expect(message).toContain('member.memberGuid: must not be . or ..')
    expect(message.split('; ')).toHaveLength(2)
  })
})

describe('guidForError', () => {
  it('names a plain guid, and nothing for anything else', () => {
    expect(guidForError('MBR-1')).toBe('MBR-1')
    for (const bad of ['a/b', '', '..', 'x'.repeat(300), 42, undefined, { memberGuid: 'MBR-1' }])
      expect(guidForError(bad)).toBe('')
  })
})

describe('notFound', () => {
  it('refuses an unknown member and another user’s member alike (same reason, same message)', () => {
    const a = notFound('MBR-1')
    const b = notFound('MBR-2')
    expect(a).toBeInstanceOf(ReconnectorError)
    expect(a._tag).toBe('ReconnectorError')
    expect(a.reason).toBe('notFound')
    expect(a.memberGuid).toBe('MBR-1')
    expect(b.memberGuid).toBe('MBR-2')
    expect(a.message).toBe(b.message)
    expect(a.message.length).toBeGreaterThan(0)
    expect(a.message).not.toContain('MBR-1')
  })
})
