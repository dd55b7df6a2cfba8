import { beforeAll, describe, expect, it } from 'vitest'
import type { LifecycleOutput } from '../../machines/member-lifecycle/index.js'
import { runLifecycle, START, type RunResult } from '../support/lifecycle-harness.js'
import type { HostPlan } from '../support/lifecycle-arbitraries.js'
import {
  checkAnswersOnlyToResume,
  checkBounded,
  checkFreshAggregationAfterRejected,
  checkNoSecrets,
  checkOutcomeMatchesStatus,
  checkPollFloor,
  checkQuietAfterEnd,
  checkUpdatesOnlyAfterCredentialStatus,
} from '../support/lifecycle-invariants.js'
import type { LoggedRequest, ScriptedServer, ServerScript } from '../support/scripted-client.js'
import { SPEC_BUDGETS, SPEC_POLL_FLOOR_MS, SPEC_RUN_BOUND_MS } from '../support/spec.js'

// The lifecycle properties are only as good as their checkers. Each checker passes on a real run and
// fires on the same run with one fact changed to break its invariant (issue 12: an oracle never seen to
// fire proves nothing).

const PASSWORD = 'hunter2-"quoted"-secret'
const ANSWER = 'answer-7f3a9c2e1b'

const script = (initialStatus: string): ServerScript => ({
  initialStatus,
  initialAggregating: false,
  isOauth: false,
  fields: [{ optional: false, type: 'PASSWORD' }],
  jobs: [
    {
      running: 'UPDATED',
      durationMs: 20_000,
      rounds: [{ types: ['TEXT'], answers: ['pass'] }],
      afterMfaMs: 10_000,
      result: 'CONNECTED',
      jobStartReply: false,
    },
  ],
  faults: [],
  latencyMs: 100,
  oauthUri: false,
  challengeTtlMs: 300_000,
})

const prompt = (secret: string) => ({
  delayMs: 1_000,
  invalidFirst: false,
  viaCredentials: false,
  secrets: [secret, secret, secret],
})
const host: HostPlan = {
  credentials: [prompt(PASSWORD)],
  mfa: [prompt(ANSWER)],
  webhooksAt: [],
  cancelAt: null,
}

/** A copy of `run` whose request log was changed by `edit` (entries are copies too). */
function withLog(run: RunResult, edit: (log: LoggedRequest[]) => void): RunResult {
  const log = run.server.log.map((r) => ({ ...r }))
  edit(log)
  return { ...run, server: { log } as unknown as ScriptedServer }
}

const withOutput = (run: RunResult, output: Partial<LifecycleOutput> | undefined): RunResult => ({
  ...run,
  output: output === undefined ? undefined : { ...run.output!, ...output },
})

const lastIndex = (log: readonly LoggedRequest[], op: LoggedRequest['op']) =>
  log.map((r) => r.op).lastIndexOf(op)

describe('lifecycle invariant checkers fire on a broken trace', () => {
  let denied: RunResult
  let rejected: RunResult

  beforeAll(async () => {
    denied = await runLifecycle({ script: script('DENIED'), host })
    rejected = await runLifecycle({ script: script('REJECTED'), host })
  })

  it('pass on real runs (the traces every case below breaks)', () => {
    for (const run of [denied, rejected]) {
      expect(run.output?.outcome).toBe('connected')
      checkUpdatesOnlyAfterCredentialStatus(run)
      checkAnswersOnlyToResume(run)
      checkPollFloor(run, SPEC_POLL_FLOOR_MS)
      checkBounded(run, SPEC_RUN_BOUND_MS)
      checkOutcomeMatchesStatus(run)
      checkNoSecrets(run, [PASSWORD, ANSWER])
      checkQuietAfterEnd(run)
      checkFreshAggregationAfterRejected(run, SPEC_BUDGETS.mfa)
    }
    const ops = denied.server.log.map((r) => r.op)
    expect(ops).toContain('updateMember')
    expect(ops).toContain('resumeAggregation')
    expect(rejected.server.log.map((r) => r.op)).toContain('aggregateMember')
  })

  it('1: an update after a read that did not ask for credentials', () => {
    const run = withLog(denied, (log) => {
      const update = lastIndex(log, 'updateMember')
      const read = log.slice(0, update).findLastIndex((r) => r.op === 'readMember')
      log[read]!.status = 'CONNECTED'
    })
    expect(() => checkUpdatesOnlyAfterCredentialStatus(run)).toThrow(/update after a CONNECTED read/)
  })

  it('1: an update with no member read before it', () => {
    const run = withLog(denied, (log) => {
      for (const r of log) if (r.op === 'readMember') r.delivered = false
    })
    expect(() => checkUpdatesOnlyAfterCredentialStatus(run)).toThrow(/without a member read/)
  })

  it('1: an update the user did not submit, or with other values', () => {
    expect(() => checkUpdatesOnlyAfterCredentialStatus({ ...denied, submissions: [] })).toThrow(
      /did not submit/,
    )
    const changed = withLog(denied, (log) => {
      const i = lastIndex(log, 'updateMember')
      log[i] = { ...log[i]!, values: [{ guid: log[i]!.values![0]!.guid, value: 'something else' }] }
    })
    expect(() => checkUpdatesOnlyAfterCredentialStatus(changed)).toThrow()
  })

  it('2: answers after a read that was not CHALLENGED', () => {
    const run = withLog(denied, (log) => {
      const resume = lastIndex(log, 'resumeAggregation')
      const read = log.slice(0, resume).findLastIndex((r) => r.op === 'readMember')
      log[read]!.status = 'RESUMED'
    })
    expect(() => checkAnswersOnlyToResume(run)).toThrow(/not CHALLENGED/)
  })

  it('2: answers for challenges the round did not list, or none listed', () => {
    const other = withLog(denied, (log) => {
      const list = log[lastIndex(log, 'listMemberChallenges')]!
      list.challengeGuids = ['CRD-another']
    })
    expect(() => checkAnswersOnlyToResume(other)).toThrow()
    const unlisted = withLog(denied, (log) => {
      for (const r of log) if (r.op === 'listMemberChallenges') r.delivered = false
    })
    expect(() => checkAnswersOnlyToResume(unlisted)).toThrow(/without the round listed/)
  })

  it('2: answers the user did not submit; an MFA answer sent to update member', () => {
    const noMfa = { ...denied, submissions: denied.submissions.filter((s) => s.kind !== 'mfa') }
    expect(() => checkAnswersOnlyToResume(noMfa)).toThrow(/did not submit/)
    const viaUpdate = withLog(denied, (log) => {
      const i = lastIndex(log, 'updateMember')
      log[i] = { ...log[i]!, values: [...log[i]!.values!, { guid: 'CRD-x', value: ANSWER }] }
    })
    expect(() => checkAnswersOnlyToResume(viaUpdate)).toThrow(/MFA answer sent to update member/)
  })

  it('3: a poll read sooner than the 3 s floor after the previous request', () => {
    const run = withLog(denied, (log) => {
      const i = log.findIndex(
        (r, k) => k > 0 && r.op === 'readMember' && r.tag.state.includes('"waitingOnJob":"reading"'),
      )
      expect(i).toBeGreaterThan(0)
      log[i] = { ...log[i]!, at: log[i - 1]!.at + SPEC_POLL_FLOOR_MS - 1 }
    })
    expect(() => checkPollFloor(run, SPEC_POLL_FLOOR_MS)).toThrow(/came 2999 ms after/)
    // A webhook-triggered read is exempt.
    const webhook = withLog(denied, (log) => {
      for (let i = 1; i < log.length; i++) {
        if (log[i]!.op === 'readMember')
          log[i] = { ...log[i]!, at: log[i - 1]!.at, tag: { ...log[i]!.tag, webhook: true } }
      }
    })
    expect(() => checkPollFloor(webhook, SPEC_POLL_FLOOR_MS)).not.toThrow()
  })

  it('4: a run that did not end, or ended after the bound', () => {
    expect(() => checkBounded(withOutput(denied, undefined), SPEC_RUN_BOUND_MS)).toThrow()
    expect(() => checkBounded(denied, denied.endedAt - START - 1)).toThrow()
  })

  it('5: an outcome that does not match the last status read', () => {
    const cases: [Partial<LifecycleOutput>, string | null][] = [
      [{ outcome: 'connected' }, 'DENIED'],
      [{ outcome: 'needsCredentials' }, 'CONNECTED'],
      [{ outcome: 'needsMfa' }, 'CONNECTED'],
      [{ outcome: 'needsOAuth' }, 'CONNECTED'],
      [{ outcome: 'needsUserAtInstitution' }, 'CONNECTED'],
      [{ outcome: 'retryLater', retryAfter: 60_000 }, 'CONNECTED'],
      [{ outcome: 'unrecoverable' }, 'CONNECTED'],
      [{ outcome: 'unknownStatus' }, 'CONNECTED'],
      [{ outcome: 'failed' }, 'CONNECTED'],
    ]
    for (const [output, status] of cases) {
      const run = withLog(withOutput(denied, { ...output, connectionStatus: status }), (log) => {
        const read = log.findLastIndex((r) => r.op === 'readMember')
        log[read]!.status = status
        log[read]!.aggregating = false
      })
      expect(() => checkOutcomeMatchesStatus(run), JSON.stringify(output)).toThrow()
    }
    // connected while the job still runs; and an output status other than the one read.
    const running = withLog(denied, (log) => {
      log[log.findLastIndex((r) => r.op === 'readMember')]!.aggregating = true
    })
    expect(() => checkOutcomeMatchesStatus(running)).toThrow()
    expect(() => checkOutcomeMatchesStatus(withOutput(denied, { connectionStatus: 'DENIED' }))).toThrow()
    // retryLater without a positive retryAfter.
    const noRetry = withLog(
      withOutput(denied, { outcome: 'retryLater', connectionStatus: 'DEGRADED' }),
      (log) => {
        log[log.findLastIndex((r) => r.op === 'readMember')]!.status = 'DEGRADED'
      },
    )
    expect(() => checkOutcomeMatchesStatus(noRetry)).toThrow()
  })

  it('7: a secret in a snapshot, an emitted or inspection event, or the output, raw or JSON-escaped', () => {
    const escaped = JSON.stringify(PASSWORD).slice(1, -1)
    expect(escaped).not.toBe(PASSWORD)
    const leaks: RunResult[] = [
      { ...denied, snapshots: [...denied.snapshots, `{"context":{"value":"${escaped}"}}`] },
      { ...denied, emitted: [...denied.emitted, `{"type":"x","v":"${ANSWER}"}`] },
      { ...denied, inspection: [...denied.inspection, JSON.stringify({ event: { value: PASSWORD } })] },
      withOutput(denied, { message: `bad ${ANSWER}` }),
    ]
    for (const run of leaks) expect(() => checkNoSecrets(run, [PASSWORD, ANSWER])).toThrow(/secret leaked/)
  })

  it('8: a request in flight, a request after the end, or a value held', () => {
    expect(() => checkQuietAfterEnd({ ...denied, inflightAtEnd: 1 })).toThrow()
    expect(() => checkQuietAfterEnd({ ...denied, requestsAfterEnd: 1 })).toThrow()
    expect(() => checkQuietAfterEnd({ ...denied, vaultSizeAtEnd: 1 })).toThrow()
  })

  it('9: REJECTED followed by a challenge list, or ended with MFA rounds left', () => {
    const listed = withLog(rejected, (log) => {
      const i = log.findIndex((r) => r.op === 'aggregateMember')
      log[i] = { ...log[i]!, op: 'listMemberChallenges' }
    })
    expect(() => checkFreshAggregationAfterRejected(listed, SPEC_BUDGETS.mfa)).toThrow(/followed by/)
    const ended = withOutput(
      withLog(rejected, (log) => log.splice(log.findIndex((r) => r.op === 'aggregateMember'))),
      { outcome: 'needsMfa', attempts: { ...rejected.output!.attempts, mfa: SPEC_BUDGETS.mfa - 1 } },
    )
    expect(() => checkFreshAggregationAfterRejected(ended, SPEC_BUDGETS.mfa)).toThrow()
    const otherEnd = withOutput(
      withLog(rejected, (log) => log.splice(log.findIndex((r) => r.op === 'aggregateMember'))),
      { outcome: 'retryLater' },
    )
    expect(() => checkFreshAggregationAfterRejected(otherEnd, SPEC_BUDGETS.mfa)).toThrow(/ended the run/)
  })
})
