import { describe, expect, it } from 'vitest'
import { createActor, fromPromise, toPromise } from 'xstate'
import {
  memberLifecycleMachine,
  toChallengePrompts,
  type CredentialsRead,
  type LifecycleEmitted,
  type MemberRequest,
} from '../../machines/member-lifecycle/index.js'
import { at, challenges, INPUT, member, send, T0 } from '../support/lifecycle-fixtures.js'
import { SPEC_POLL_FLOOR_MS } from '../support/spec.js'

// The machine run with actors (what `transition()` tables do not execute: actor inputs, emitted events,
// the actors a bare machine names but does not provide), written against the mutants a Stryker run of
// machine.ts left alive (docs/testing.md). Oracles: lifecycle.md (Input: `userId` keys the session, §1;
// the machine emits `outcome`; unrecoverable for a fatal client error; answers sent as credentials while
// CHALLENGED are MFA answers), invariant 3 (a re-run read waits the 3 s poll floor after the last
// observation, Nexus reference §8.1) and events.ts's actor contract (a rejection that is not a
// ServiceFailure is fatal, stamped with the last time the machine observed).

const READ_AT = T0 + 100

describe('a machine whose actors are not provided', () => {
  it('ends unrecoverable with a ConfigError naming the missing actor', async () => {
    const actor = createActor(memberLifecycleMachine, { input: INPUT }).start()
    const output = await toPromise(actor)
    expect(output.outcome).toBe('unrecoverable')
    expect(output.error?._tag).toBe('ConfigError')
    expect(output.error?.message).toContain('readMember')
  })
})

describe('a run with actors', () => {
  it('reads with the user and member only; a poll read carries the floor after the last observation; emits its outcome', async () => {
    const reads: unknown[] = []
    const waits: unknown[] = []
    const script = [member('UPDATED', { is_being_aggregated: true }), member('CONNECTED')]
    let wokeAt = 0
    const machine = memberLifecycleMachine.provide({
      actors: {
        readMember: fromPromise(({ input }) => {
          reads.push(input)
          return Promise.resolve({ at: READ_AT + reads.length, member: script[reads.length - 1]! })
        }),
        wait: fromPromise(({ input }: { input: { until: number } }) => {
          waits.push(input)
          wokeAt = input.until + 7
          return Promise.resolve({ at: wokeAt })
        }),
      },
    })
    const actor = createActor(machine, { input: INPUT })
    const emitted: LifecycleEmitted[] = []
    actor.on('outcome', (event) => emitted.push(event))
    actor.start()
    const output = await toPromise(actor)

    expect(output.outcome).toBe('connected')
    expect(reads[0]).toEqual({ userId: INPUT.userId, memberGuid: INPUT.memberGuid })
    expect(waits).toHaveLength(1)
    // The wake-up is the machine's latest observation: a re-run of this read must not come sooner than
    // the poll floor after it.
    expect(reads[1]).toEqual({
      userId: INPUT.userId,
      memberGuid: INPUT.memberGuid,
      notBeforeIfRerun: wokeAt + SPEC_POLL_FLOOR_MS,
    })
    expect(emitted).toEqual([{ type: 'outcome', output }])
  })

  it('an actor rejecting with something that is not a ServiceFailure: fatal, at the last observed time', async () => {
    const machine = memberLifecycleMachine.provide({
      actors: {
        readMember: fromPromise(() => Promise.resolve({ at: READ_AT, member: member('DENIED') })),
        listCredentials: fromPromise<CredentialsRead, MemberRequest>(() =>
          Promise.reject(new Error('socket closed')),
        ),
      },
    })
    const actor = createActor(machine, { input: INPUT }).start()
    const output = await toPromise(actor)
    expect(output.outcome).toBe('unrecoverable')
    expect(output.error?._tag).toBe('UnknownError')
    expect(actor.getSnapshot().context.observedAt).toBe(READ_AT)
  })
})

describe('answers sent as credentials while CHALLENGED are checked as MFA answers (lifecycle.md; §3.4)', () => {
  const prompts = toChallengePrompts(challenges('TEXT', 'TEXT'))
  const awaiting = () => at({ mfa: 'awaiting' }, { challenges: prompts, userDeadline: T0 + 60_000 })

  it.each([
    ['one answer missing', [{ guid: 'CH-0', empty: false }], { reason: 'missingField', guids: ['CH-1'] }],
    [
      'an unknown guid',
      [
        { guid: 'CH-0', empty: false },
        { guid: 'CH-1', empty: false },
        { guid: 'CH-9', empty: false },
      ],
      { reason: 'unknownGuid', guids: ['CH-9'] },
    ],
  ])('%s: the same refusal for credentials.submit as for mfa.submit', (_name, entries, validation) => {
    const asCredentials = send(awaiting(), {
      type: 'credentials.submit',
      submissionId: 'sub-1',
      credentials: entries,
    })
    const asAnswers = send(awaiting(), { type: 'mfa.submit', submissionId: 'sub-1', answers: entries })
    for (const next of [asCredentials, asAnswers]) {
      expect(next.matches({ mfa: 'awaiting' })).toBe(true)
      expect(next.context.validation).toEqual(validation)
    }
  })
})
