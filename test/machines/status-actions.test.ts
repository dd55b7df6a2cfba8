import { describe, expect, it } from 'vitest'
import { at, done, failed, http, member, send, start, T0, where } from '../support/lifecycle-fixtures.js'

// Issue 10 items 1–3: the lifecycle acts on what MX shows instead of polling a member nothing runs on, waits
// on a job MX says is running, and never gives up on a status §4 calls temporary. Constants are the spec's
// (Nexus reference §8.1: reads at least 3 s apart), not the policy defaults.

const SPEC_POLL_FLOOR_MS = 3_000 // §8.1 step 2
const READ_AT = T0 + 100

describe('a member with no job running is acted on, not polled to the deadline (§4, §8.0)', () => {
  it.each(['CREATED', 'RECONNECTED'])('%s, not aggregating → GET …/aggregate at once', (status) => {
    const next = send(start(), done('loadingMember', { member: member(status) }))
    expect(where(next)).toBe('aggregating')
    expect(next.context.pending).toEqual({ kind: 'aggregate', jobGuid: 'JOB-1' })
  })

  it.each(['CREATED', 'RECONNECTED', 'UPDATED', 'RESUMED', 'DELAYED'])(
    '%s while a job runs → poll it, first read after the floor',
    (status) => {
      const next = send(
        start(),
        done('loadingMember', { member: member(status, { is_being_aggregated: true }) }),
      )
      expect(where(next)).toBe('waitingOnJob.sleeping')
      expect(next.context.wakeAt! - READ_AT).toBeGreaterThanOrEqual(SPEC_POLL_FLOOR_MS)
    },
  )

  /** Reads the same idle member again and again, as polls, and returns where each read led. */
  function idleReads(status: string, reads: number): string[] {
    let snapshot = send(start(), done('loadingMember', { member: member(status) }))
    const seen = [where(snapshot)]
    for (let i = 1; i < reads && where(snapshot) === 'waitingOnJob.sleeping'; i++) {
      const wake = snapshot.context.wakeAt!
      snapshot = send(snapshot, done('pollTimer', {}, wake))
      snapshot = send(snapshot, done('polling', { member: member(status) }, wake + 10))
      seen.push(where(snapshot))
    }
    return seen
  }

  it.each([
    ['UPDATED', 'aggregating'],
    ['RESUMED', 'aggregating'],
    ['DELAYED', 'retryLater'],
  ])('%s with no job running is read at most 3 times, then → %s', (status, action) => {
    const seen = idleReads(status, 10)
    expect(seen.length).toBeLessThanOrEqual(3)
    expect(seen.at(-1)).toBe(action)
  })

  it('a read that does not say `is_being_aggregated` (sloppy MX) is not counted idle: keep polling', () => {
    let snapshot = send(
      start(),
      done('loadingMember', { member: member('UPDATED', { is_being_aggregated: undefined }) }),
    )
    for (let i = 0; i < 5; i++) {
      expect(where(snapshot)).toBe('waitingOnJob.sleeping')
      const wake = snapshot.context.wakeAt!
      snapshot = send(snapshot, done('pollTimer', {}, wake))
      snapshot = send(
        snapshot,
        done('polling', { member: member('UPDATED', { is_being_aggregated: undefined }) }, wake + 10),
      )
    }
    expect(where(snapshot)).toBe('waitingOnJob.sleeping')
    expect(snapshot.context.idleReads).toBe(0)
  })

  it('aggregations spent: CREATED with no job running → retryLater, not another aggregation', () => {
    const spent = at('loadingMember', { attempts: { credentials: 0, mfa: 5, service: 0 } })
    const next = send(spent, done('loadingMember', { member: member('CREATED') }))
    expect(where(next)).toBe('retryLater')
    expect(next.output?.retryAfter).toBeGreaterThan(0)
  })
})

describe('GET …/aggregate answering 409: a job is already running, wait on it (§9, §12)', () => {
  it('409 → waitingOnJob, the first read after the floor; it counts as an aggregation', () => {
    const started = send(start(), done('loadingMember', { member: member('RECONNECTED') }))
    const next = send(started, failed('aggregating', http(409), 'userAction', T0 + 200))
    expect(where(next)).toBe('waitingOnJob.sleeping')
    expect(next.context.wakeAt).toBeGreaterThanOrEqual(T0 + 200 + SPEC_POLL_FLOOR_MS)
    expect(next.context.attempts.mfa).toBe(1)
    expect(next.output).toBeUndefined()
  })
})

describe('DISABLED: aggregation paused, the member still counts as connected (§4)', () => {
  it('→ retryLater with MX message, never unrecoverable', () => {
    const next = send(start(), done('loadingMember', { member: member('DISABLED') }))
    expect(where(next)).toBe('retryLater')
    expect(next.output).toMatchObject({
      outcome: 'retryLater',
      connectionStatus: 'DISABLED',
      message: 'message for DISABLED',
    })
    expect(next.output?.retryAfter).toBeGreaterThan(0)
  })
})

describe('`connection_status` spelled "null" (§12) is no status at all', () => {
  it('→ unrecoverable (nothing to aggregate), not unknownStatus', () => {
    const next = send(start(), done('loadingMember', { member: member('null') }))
    expect(next.context.member?.status).toBe(null)
    expect(where(next)).toBe('unrecoverable')
  })
})
