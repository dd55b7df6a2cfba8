import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  KNOWN_STATUSES,
  STATUS_TABLE,
  statusClass,
  statusId,
  statusName,
  toConnectionStatus,
} from '../../src/domain/index.js'

// The table in the Nexus reference §4, transcribed independently of the implementation.
const expected: Record<string, [number, string]> = {
  CREATED: [0, 'transient'],
  PREVENTED: [1, 'needsCredentials'],
  DENIED: [2, 'needsCredentials'],
  CHALLENGED: [3, 'needsMfa'],
  REJECTED: [4, 'needsMfa'],
  LOCKED: [5, 'userAtInstitution'],
  CONNECTED: [6, 'connected'],
  IMPEDED: [7, 'userAtInstitution'],
  RECONNECTED: [8, 'transient'],
  DEGRADED: [9, 'retryLater'],
  DISCONNECTED: [10, 'retryLater'],
  DISCONTINUED: [11, 'unrecoverable'],
  CLOSED: [12, 'unrecoverable'],
  DELAYED: [13, 'transient'],
  FAILED: [14, 'retryLater'],
  UPDATED: [15, 'transient'],
  DISABLED: [16, 'retryLater'], // §4: paused, still counts as connected (issue 10 item 3)
  IMPORTED: [17, 'needsCredentials'],
  RESUMED: [18, 'transient'],
  EXPIRED: [19, 'needsMfa'],
  IMPAIRED: [20, 'needsCredentials'],
  PENDING: [21, 'needsOAuth'],
}

describe('connection-status table (§4)', () => {
  it('has every documented status with its id and class', () => {
    expect(STATUS_TABLE).toHaveLength(22)
    for (const row of STATUS_TABLE) expect([row.id, row.class]).toEqual(expected[row.name])
  })
  it('agrees with the ids MX samples show (CHALLENGED=3 in webhooks, CONNECTED=6 in traffic)', () => {
    expect(statusId('CHALLENGED')).toBe(3)
    expect(statusId('CONNECTED')).toBe(6)
    expect(statusId('UPDATED')).toBe(15)
  })
  it('decodes unknown strings to the unknown case and keeps the raw string', () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        const status = toConnectionStatus(raw)
        expect(statusName(status)).toBe(raw)
        if ((KNOWN_STATUSES as readonly string[]).includes(raw))
          expect(statusClass(status)).toBe(expected[raw]![1])
        else {
          expect(status).toEqual({ _tag: 'UnknownStatus', raw })
          expect(statusClass(status)).toBe('unknown')
          expect(statusId(status)).toBeUndefined()
        }
      }),
    )
  })
})
