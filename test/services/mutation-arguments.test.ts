import { describe, expect, it } from 'vitest'
import { ArgumentError } from '../../src/domain/index.js'
import { checkArguments } from '../../src/services/arguments.js'

// Written against the mutants Stryker left alive in src/services/arguments.ts (docs/testing.md). The
// oracle: `reconnectMember({ client, userId, memberGuid, credentials?, mfa?, policy? })` (lifecycle.md),
// whose `credentials` and `mfa` are providers, i.e. functions (`SecretProvider`, src/reconnect-member.ts);
// docs/errors.md: an ArgumentError names the call and the field.

const client = { readMember: () => undefined }
const base = { client, userId: 'u1', memberGuid: 'MBR-1' }

describe('reconnectMember options: credentials and mfa providers', () => {
  it('accepts function providers (sync or async)', () => {
    expect(checkArguments('reconnectMember', { ...base, credentials: () => [] })).toBeUndefined()
    expect(
      checkArguments('reconnectMember', { ...base, mfa: () => Promise.resolve(undefined) }),
    ).toBeUndefined()
    expect(
      checkArguments('reconnectMember', {
        ...base,
        credentials: () => Promise.resolve([]),
        mfa: () => undefined,
      }),
    ).toBeUndefined()
  })

  it.each([
    ['credentials', { credentials: [{ guid: 'CRD-1', value: 'v' }] }],
    ['credentials', { credentials: 'hunter2' }],
    ['mfa', { mfa: { answer: 'x' } }],
  ])('refuses a %s provider that is not a function, naming the field', (field, extra) => {
    const error = checkArguments('reconnectMember', { ...base, ...extra })
    expect(error).toBeInstanceOf(ArgumentError)
    expect(error?.method).toBe('reconnectMember')
    expect(error?.field).toBe(field)
    expect(error?.message).not.toContain('hunter2')
  })
})
