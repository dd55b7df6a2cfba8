import { describe, expect, it } from 'vitest'
import { initialContext } from '../../machines/member-lifecycle/context.js'
import type { LifecycleContext } from '../../machines/member-lifecycle/index.js'
import {
  awaitsUser,
  isPassing,
  isQueued,
  statePath,
  storeStatus,
  viewOfRecord,
  viewOfSnapshot,
} from '../../src/reconnector/record.js'
import type { LifecycleSnapshotLike } from '../../src/reconnector/record.js'
import type { LifecycleRecord } from '../../src/stores/index.js'

// record.ts maps a lifecycle snapshot onto a store record and both onto the host's view. Written against
// the mutants a Stryker run with the unit tests left there. Oracles: reconnector.md (Memory: a lifecycle
// waiting on its user or on a timer longer than a few seconds is evicted, i.e. stored `waiting`),
// decisions/0011 (the five passing states, which only read MX), the `LifecycleView` contract in types.ts
// (state as a dotted path, a prompt only while waiting on the user, the outcome once done, the last
// `connection_status` or null) and lifecycle.md's prompts (attempt and round count from 1).

const NOW = 1_000_000
const EVICT = 5_000

const context = (over: Partial<LifecycleContext> = {}): LifecycleContext => ({
  ...initialContext({ userId: 'u-1', memberGuid: 'MBR-1' }),
  ...over,
})
const fields = [
  { guid: 'CRD-1', label: 'Password', type: 'PASSWORD' },
] as unknown as LifecycleContext['fields']
const member = { status: 'DENIED' } as unknown as LifecycleContext['member']
const snap = (value: unknown, over: Partial<LifecycleContext> = {}, status = 'active', output?: unknown) =>
  ({ status, value, context: context(over), ...(output ? { output } : {}) }) as LifecycleSnapshotLike

const record = (snapshot: unknown, extra: Partial<LifecycleRecord> = {}): LifecycleRecord => ({
  memberGuid: 'MBR-1',
  userId: 'u-1',
  state: 'credentials.awaiting',
  status: 'waiting',
  wakeAt: NOW + 60_000,
  snapshot,
  outcome: null,
  owner: null,
  leaseUntil: null,
  version: 3,
  createdAt: 1,
  updatedAt: 2,
  ...extra,
})

describe('statePath: the state value as a dotted path', () => {
  it.each([
    ['connected', 'connected'],
    [{ credentials: 'awaiting' }, 'credentials.awaiting'],
    [{ waitingOnJob: { polling: 'reading' } }, 'waitingOnJob.polling.reading'],
    [{}, '?'],
    [null, 'null'],
    [7, '7'],
  ])('%j → %s', (value, path) => expect(statePath(value)).toBe(path))
})

describe('isPassing: only the five read-only states (decisions/0011)', () => {
  it.each([
    'loadingMember',
    'credentials.listing',
    'mfa.listing',
    'waitingOnJob.reading',
    'fetchingOAuthUri',
  ])('%s is passing', (state) => expect(isPassing(state)).toBe(true))
  it.each([
    'credentials.awaiting',
    'credentials.updating',
    'mfa.awaiting',
    'mfa.resuming',
    'aggregating',
    'waitingOnJob.sleeping',
    'connected',
    '',
  ])('%s is saved', (state) => expect(isPassing(state)).toBe(false))
})

describe('isQueued and awaitsUser', () => {
  it('a queued snapshot is an object with `queued`; nothing else is', () => {
    expect(isQueued({ queued: { userId: 'u', memberGuid: 'MBR-1' } })).toBe(true)
    for (const other of [null, undefined, 'queued', 3, {}, { value: 'queued' }])
      expect(isQueued(other)).toBe(false)
  })
  it('waits on the user exactly in credentials.awaiting and mfa.awaiting', () => {
    expect(awaitsUser(snap({ credentials: 'awaiting' }, { fields }))).toBe(true)
    expect(awaitsUser(snap({ mfa: 'awaiting' }))).toBe(true)
    for (const value of [
      { credentials: 'updating' },
      { mfa: 'resuming' },
      'connected',
      { waitingOnJob: 'sleeping' },
    ])
      expect(awaitsUser(snap(value))).toBe(false)
  })
})

describe('storeStatus (reconnector.md, Memory)', () => {
  it('done when final, whatever else', () => {
    expect(storeStatus(snap('connected', { wakeAt: NOW + 60_000 }, 'done'), NOW, EVICT)).toBe('done')
  })
  it('running with no timer, or a timer within evictAfterMs (inclusive)', () => {
    expect(storeStatus(snap({ waitingOnJob: 'sleeping' }, { wakeAt: null }), NOW, EVICT)).toBe('running')
    expect(storeStatus(snap({ waitingOnJob: 'sleeping' }, { wakeAt: NOW + 1 }), NOW, EVICT)).toBe('running')
    expect(storeStatus(snap({ waitingOnJob: 'sleeping' }, { wakeAt: NOW + EVICT }), NOW, EVICT)).toBe(
      'running',
    )
    expect(storeStatus(snap({ waitingOnJob: 'sleeping' }, { wakeAt: NOW - 10 }), NOW, EVICT)).toBe('running')
  })
  it('waiting on a timer longer than evictAfterMs', () => {
    expect(storeStatus(snap({ waitingOnJob: 'sleeping' }, { wakeAt: NOW + EVICT + 1 }), NOW, EVICT)).toBe(
      'waiting',
    )
  })
  it('waiting on the user however near the deadline', () => {
    expect(storeStatus(snap({ mfa: 'awaiting' }, { wakeAt: NOW + 1 }), NOW, EVICT)).toBe('waiting')
    expect(storeStatus(snap({ credentials: 'awaiting' }, { fields, wakeAt: NOW }), NOW, EVICT)).toBe(
      'waiting',
    )
  })
})

// toStrictEqual: a view has no `prompt` or `outcome` key at all when it has none (the optional fields of
// `LifecycleView`, under exactOptionalPropertyTypes).
describe('viewOfSnapshot: the view of a live lifecycle', () => {
  const ref = { userId: 'u-1', memberGuid: 'MBR-1' }
  it('awaiting credentials: the prompt with its fields, deadline and attempt (counted from 1)', () => {
    const s = snap({ credentials: 'awaiting' }, { fields, member, userDeadline: NOW + 9, wakeAt: NOW + 9 })
    expect(viewOfSnapshot(ref, s, NOW, EVICT)).toStrictEqual({
      memberGuid: 'MBR-1',
      userId: 'u-1',
      state: 'credentials.awaiting',
      status: 'waiting',
      wakeAt: NOW + 9,
      connectionStatus: 'DENIED',
      prompt: { type: 'credentials.required', memberGuid: 'MBR-1', fields, deadline: NOW + 9, attempt: 1 },
    })
  })
  it('done: the outcome, no prompt; before any read the connection status is null', () => {
    const output = { outcome: 'failed', memberGuid: 'MBR-1' }
    const view = viewOfSnapshot(ref, snap('failed', {}, 'done', output), NOW, EVICT)
    expect(view).toStrictEqual({
      memberGuid: 'MBR-1',
      userId: 'u-1',
      state: 'failed',
      status: 'done',
      wakeAt: null,
      connectionStatus: null,
      outcome: output,
    })
  })
  it('running: neither prompt nor outcome', () => {
    const view = viewOfSnapshot(ref, snap('aggregating', { member }), NOW, EVICT)
    expect(view).toStrictEqual({
      memberGuid: 'MBR-1',
      userId: 'u-1',
      state: 'aggregating',
      status: 'running',
      wakeAt: null,
      connectionStatus: 'DENIED',
    })
  })
})

describe('viewOfRecord: the view of a stored record', () => {
  it('waiting on MFA: the prompt rebuilt from the stored snapshot (round counted from 1)', () => {
    const challenges = [
      { guid: 'CHL-1', label: 'Code', type: 'TEXT' },
    ] as unknown as LifecycleContext['challenges']
    const stored = snap(
      { mfa: 'awaiting' },
      { challenges, member, userDeadline: 42, attempts: { credentials: 0, mfa: 1, service: 0 } },
    )
    expect(viewOfRecord(record(stored, { state: 'mfa.awaiting' }))).toEqual({
      memberGuid: 'MBR-1',
      userId: 'u-1',
      state: 'mfa.awaiting',
      status: 'waiting',
      wakeAt: NOW + 60_000,
      connectionStatus: 'DENIED',
      prompt: { type: 'mfa.required', memberGuid: 'MBR-1', challenges, deadline: 42, round: 2 },
    })
  })
  it('a stored prompt needs a finite wakeAt or none: a number keeps it, NaN or a string hides it', () => {
    const at = (wakeAt: unknown) =>
      viewOfRecord(record(snap({ credentials: 'awaiting' }, { fields, wakeAt: wakeAt as number })))
    expect(at(NOW + 9).prompt?.type).toBe('credentials.required')
    expect(at(null).prompt?.type).toBe('credentials.required')
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, String(NOW)])
      expect(at(bad).prompt).toBeUndefined()
  })
  it('done: the stored outcome and no prompt, even over an awaiting snapshot', () => {
    const outcome = { outcome: 'needsCredentials', memberGuid: 'MBR-1' }
    const view = viewOfRecord(
      record(snap({ credentials: 'awaiting' }, { fields, member }), {
        status: 'done',
        outcome,
        wakeAt: null,
      }),
    )
    expect(view.prompt).toBeUndefined()
    expect(view.outcome).toEqual(outcome)
    expect(view.connectionStatus).toBe('DENIED')
  })
  it('no outcome key while unfinished; no prompt and no status for a queued or unreadable snapshot', () => {
    const queued = viewOfRecord(
      record({ queued: { userId: 'u-1', memberGuid: 'MBR-1' } }, { state: 'queued' }),
    )
    expect(queued).toEqual({
      memberGuid: 'MBR-1',
      userId: 'u-1',
      state: 'queued',
      status: 'waiting',
      wakeAt: NOW + 60_000,
      connectionStatus: null,
    })
    expect('outcome' in queued).toBe(false)
    for (const snapshot of [null, 'x', { value: { credentials: 'awaiting' } }]) {
      const view = viewOfRecord(record(snapshot))
      expect(view.prompt).toBeUndefined()
      expect(view.connectionStatus).toBeNull()
    }
    // A snapshot of the wrong shape (another member's context) shows no prompt while unfinished.
    const foreign = snap({ credentials: 'awaiting' }, { fields, memberGuid: 'MBR-2' })
    expect(viewOfRecord(record(foreign)).prompt).toBeUndefined()
  })
  it('a done record whose snapshot cannot give a prompt still has a view', () => {
    const broken = {
      status: 'active',
      value: { credentials: 'awaiting' },
      context: { member: { status: 7 } },
    }
    const view = viewOfRecord(record(broken, { status: 'done', outcome: { outcome: 'failed' } }))
    expect(view).toMatchObject({ status: 'done', connectionStatus: null, outcome: { outcome: 'failed' } })
    expect(view.prompt).toBeUndefined()
  })
})
