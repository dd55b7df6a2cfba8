import { expect } from 'vitest'
import { isKnownStatus, statusClass, toConnectionStatus } from '../../src/domain/connection-status.js'
import type { LifecycleOutput } from '../../machines/member-lifecycle/index.js'
import type { HostSubmission, RunResult } from './lifecycle-harness.js'
import { START } from './lifecycle-harness.js'
import type { LoggedRequest } from './scripted-client.js'

// The invariants of lifecycle.md, stated over one recorded run (test/support/lifecycle-harness.ts).

const NEEDS_CREDENTIALS = new Set(['DENIED', 'PREVENTED', 'IMPAIRED', 'IMPORTED'])

function lastDeliveredRead(log: readonly LoggedRequest[], before: LoggedRequest): LoggedRequest | undefined {
  return log
    .filter(
      (r) =>
        r.op === 'readMember' &&
        r.ok &&
        r.delivered &&
        r.seq < before.seq &&
        (r.deliveredAt ?? 0) <= before.at,
    )
    .at(-1)
}

/** The last submission the machine accepted before `request` was sent (ordered by the request log). */
function lastAccepted(
  subs: readonly HostSubmission[],
  kind: 'credentials' | 'mfa',
  request: LoggedRequest,
): HostSubmission | undefined {
  return subs.filter((s) => s.kind === kind && s.accepted && s.afterRequests <= request.seq).at(-1)
}

/** 1. Update member only after a needs-credentials read, only with what the user submitted there. */
export function checkUpdatesOnlyAfterCredentialStatus(run: RunResult): void {
  for (const request of run.server.log.filter((r) => r.op === 'updateMember')) {
    const read = lastDeliveredRead(run.server.log, request)
    expect(read, 'an update without a member read before it').toBeDefined()
    expect(NEEDS_CREDENTIALS.has(read!.status ?? ''), `update after a ${read!.status} read`).toBe(true)
    const submission = lastAccepted(run.submissions, 'credentials', request)
    expect(submission, 'an update the user did not submit').toBeDefined()
    // Submitted in that awaiting state: after the read that led to it.
    expect(submission!.afterRequests).toBeGreaterThan(read!.seq)
    expect(request.values).toEqual(submission!.values)
  }
}

/** 2. MFA answers only to resume, only after a CHALLENGED read, only for that round's challenges. */
export function checkAnswersOnlyToResume(run: RunResult): void {
  for (const request of run.server.log.filter((r) => r.op === 'resumeAggregation')) {
    const read = lastDeliveredRead(run.server.log, request)
    expect(read?.status, 'resume after a read that was not CHALLENGED').toBe('CHALLENGED')
    const listed = run.server.log
      .filter((r) => r.op === 'listMemberChallenges' && r.ok && r.delivered && r.seq < request.seq)
      .at(-1)
    expect(listed, 'resume without the round listed').toBeDefined()
    expect([...(request.values ?? [])].map((v) => v.guid).sort()).toEqual(
      [...(listed!.challengeGuids ?? [])].sort(),
    )
    const submission = lastAccepted(run.submissions, 'mfa', request)
    expect(submission, 'answers the user did not submit').toBeDefined()
    expect(request.values).toEqual(submission!.values)
  }
  // The update endpoint never carries MFA answers (§3.4: deprecated for MFA).
  const answers = new Set(
    run.submissions.filter((s) => s.kind === 'mfa').flatMap((s) => s.values.map((v) => v.value)),
  )
  const credentials = new Set(
    run.submissions.filter((s) => s.kind === 'credentials').flatMap((s) => s.values.map((v) => v.value)),
  )
  for (const update of run.server.log.filter((r) => r.op === 'updateMember')) {
    for (const value of update.values ?? []) {
      if (!credentials.has(value.value))
        expect(answers.has(value.value), 'MFA answer sent to update member').toBe(false)
    }
  }
}

/** 3. Poll reads while waiting on a job are at least the floor after the previous request (webhooks exempt). */
export function checkPollFloor(run: RunResult, floorMs: number): void {
  const log = run.server.log
  log.forEach((request, i) => {
    if (i === 0 || request.op !== 'readMember' || request.tag.webhook) return
    if (!request.tag.state.includes('"waitingOnJob":"reading"')) return
    const previous = log[i - 1]!
    expect(
      request.at - previous.at,
      `poll ${request.seq} came ${request.at - previous.at} ms after ${previous.op}`,
    ).toBeGreaterThanOrEqual(floorMs)
  })
}

/** 4. The run ended, within a bound derived from the policy. */
export function checkBounded(run: RunResult, boundMs: number): void {
  expect(run.output).toBeDefined()
  expect(run.endedAt - START).toBeLessThanOrEqual(boundMs)
}

/** 5. The outcome agrees with the last connection status read (lifecycle.md, outcome table). */
export function checkOutcomeMatchesStatus(run: RunResult): void {
  const output = run.output as LifecycleOutput
  const read = run.server.log.filter((r) => r.op === 'readMember' && r.ok && r.delivered).at(-1)
  expect(output.connectionStatus).toBe(read?.status ?? null)
  const raw = output.connectionStatus
  const cls = raw === null ? 'none' : statusClass(toConnectionStatus(raw))
  const aggregating = read?.aggregating === true
  switch (output.outcome) {
    case 'connected':
      expect(raw).toBe('CONNECTED')
      expect(aggregating).toBe(false)
      break
    case 'needsCredentials':
      expect(cls).toBe('needsCredentials')
      break
    case 'needsMfa':
      expect(cls).toBe('needsMfa')
      break
    case 'needsOAuth':
      expect(raw === 'PENDING' || cls === 'needsCredentials').toBe(true)
      break
    case 'needsUserAtInstitution':
      expect(['LOCKED', 'IMPEDED']).toContain(raw)
      break
    case 'retryLater':
      expect(cls === 'retryLater' || cls === 'transient' || aggregating).toBe(true)
      expect(output.retryAfter).toBeGreaterThan(0)
      break
    case 'unrecoverable':
      expect(raw === null || cls === 'unrecoverable' || output.error !== undefined).toBe(true)
      break
    case 'unknownStatus':
      expect(raw !== null && !isKnownStatus(raw)).toBe(true)
      break
    case 'failed':
      expect(output.error).toBeDefined()
      break
    case 'cancelled':
      break
  }
}

/** 7. No secret in context, persisted snapshots, emitted events or inspection events. */
export function checkNoSecrets(run: RunResult, secrets: readonly string[]): void {
  const haystacks = [...run.snapshots, ...run.emitted, ...run.inspection, JSON.stringify(run.output ?? null)]
  for (const secret of secrets) {
    const escaped = JSON.stringify(secret).slice(1, -1)
    for (const text of haystacks) {
      if (text.includes(secret) || text.includes(escaped)) {
        const at = text.indexOf(escaped)
        throw new Error(`secret leaked: …${text.slice(Math.max(0, at - 200), at + 50)}…`)
      }
    }
  }
}

/** 8. Nothing in flight, nothing sent, nothing held after the end. */
export function checkQuietAfterEnd(run: RunResult): void {
  expect(run.inflightAtEnd).toBe(0)
  expect(run.requestsAfterEnd).toBe(0)
  expect(run.vaultSizeAtEnd).toBe(0)
}

/**
 * 9. REJECTED or EXPIRED (not aggregating) with MFA rounds left starts a fresh aggregation (lifecycle.md,
 * routing; §3.6, §8.0): the next request after that read is `GET …/aggregate`, never a challenge list
 * or an answer. Without rounds left the run ends `needsMfa` with the rounds spent. For runs without
 * restores (a restored lifecycle re-reads first).
 */
export function checkFreshAggregationAfterRejected(run: RunResult, mfaBudget: number): void {
  const log = run.server.log
  for (const read of log) {
    if (read.op !== 'readMember' || !read.ok || !read.delivered || read.aggregating) continue
    if (read.status !== 'REJECTED' && read.status !== 'EXPIRED') continue
    const next = log.find((r) => r.seq > read.seq)
    if (next !== undefined) {
      expect(next.op, `${read.status} read ${read.seq} followed by ${next.op}`).toBe('aggregateMember')
      continue
    }
    const output = run.output
    if (output === undefined || output.outcome === 'cancelled') continue
    expect(output.outcome, `${read.status} read ${read.seq} ended the run`).toBe('needsMfa')
    expect(output.attempts.mfa).toBeGreaterThanOrEqual(mfaBudget)
  }
}
