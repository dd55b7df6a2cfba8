import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createActor, fromPromise, toPromise } from 'xstate'
import { describe, expect, it } from 'vitest'
import {
  memberLifecycleMachine,
  type ChallengesRead,
  type CredentialsRead,
  type LifecycleOutput,
  type MemberRead,
  type MemberRequest,
  type OAuthUri,
  type ReadMemberInput,
  type Triggered,
} from '../../machines/member-lifecycle/index.js'
import { KNOWN_STATUSES } from '../../src/domain/connection-status.js'
import { challenges, fields, member, T0 } from '../support/lifecycle-fixtures.js'

// The status table in docs/lifecycle.md (issue 10) is checked against what the machine really does: each
// row is re-derived by running the real machine against an MX that never changes the member (every call
// succeeds, nothing moves) and a user who never answers, and recording the requests it makes. The table in
// the doc is the expectation; the machine's run is the truth. The reference column is checked for a §.

const DOC = fileURLToPath(new URL('../../docs/lifecycle.md', import.meta.url))
const BEGIN = '<!-- status-table:begin (checked by test/machines/status-table.test.ts) -->'
const END = '<!-- status-table:end -->'

type Request = 'read' | 'aggregate' | 'credentials' | 'challenges' | 'oauth'

/** Runs the machine on a member that stays as it is read; returns its requests and outcome. */
async function runStatic(status: string | null, aggregating: boolean) {
  const requests: Request[] = []
  let now = T0
  const stamp = <T extends object>(request: Request, value: T): Promise<T & { at: number }> => {
    requests.push(request)
    now += 1
    return Promise.resolve({ at: now, ...value })
  }
  const read = () => stamp('read', { member: member(status, { is_being_aggregated: aggregating }) })
  const machine = memberLifecycleMachine.provide({
    actors: {
      readMember: fromPromise<MemberRead, ReadMemberInput>(read),
      listCredentials: fromPromise<CredentialsRead, MemberRequest>(() =>
        stamp('credentials', { fields: fields({}) }),
      ),
      listChallenges: fromPromise<ChallengesRead, MemberRequest>(() =>
        stamp('challenges', { challenges: challenges('TEXT') }),
      ),
      aggregateMember: fromPromise<Triggered, MemberRequest>(() => stamp('aggregate', {})),
      oauthWindowUri: fromPromise<OAuthUri, MemberRequest>(() =>
        stamp('oauth', { uri: 'https://oauth.example/x' }),
      ),
      wait: fromPromise<{ at: number }, { until: number }>(({ input }) => {
        now = Math.max(now, input.until)
        return Promise.resolve({ at: now })
      }),
    },
  })
  const actor = createActor(machine, { input: { userId: 'u', memberGuid: 'MBR-1' } }).start()
  const output: LifecycleOutput = await toPromise(actor)
  return { requests, output }
}

const SAY: Record<Exclude<Request, 'read'>, string> = {
  aggregate: 'GET …/aggregate',
  credentials: 'ask for credentials, PUT /members/{guid}',
  challenges: 'ask the challenges, PUT …/resume',
  oauth: 'GET …/oauth_window_uri',
}

/** The first action after the read that led to it, as the table words it. */
function action(requests: readonly Request[]): string {
  const first = requests.findIndex((r) => r !== 'read')
  const reads = first < 0 ? requests.length : first
  if (reads > 5) return 'poll until the job deadline'
  const act = first < 0 ? 'stop' : SAY[requests[first] as Exclude<Request, 'read'>]
  if (reads <= 1) return act === 'stop' ? 'none' : act
  return `read ${reads}×, then ${act}`
}

async function derive(status: string | null) {
  const idle = await runStatic(status, false)
  const busy = await runStatic(status, true)
  const cell = (s: string | null) => (s === null ? '`null`' : s)
  return [
    cell(status),
    action(idle.requests),
    idle.output.outcome,
    action(busy.requests),
    busy.output.outcome,
  ]
}

function tableRows(): string[][] {
  const doc = readFileSync(DOC, 'utf8')
  const begin = doc.indexOf(BEGIN)
  const end = doc.indexOf(END)
  expect(begin, `docs/lifecycle.md has no ${BEGIN} block`).toBeGreaterThanOrEqual(0)
  return doc
    .slice(begin + BEGIN.length, end)
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2) // header, separator
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim().replace(/^`(\w+)`$/, '$1')),
    )
}

describe('docs/lifecycle.md status table matches the machine (issue 10)', () => {
  const rows = tableRows()
  const statuses = [...KNOWN_STATUSES, 'null', 'NEW_IN_2030']

  it('has one row per status, `null` and an unknown status', () => {
    expect(rows.map((r) => r[0])).toEqual(statuses.map((s) => (s === 'NEW_IN_2030' ? 'unknown' : s)))
  })

  it.each(statuses.map((s, i) => [s, i] as const))('%s', async (status, i) => {
    const row = rows[i]!
    const derived = await derive(status === 'null' ? null : status)
    expect(row.slice(1, 5)).toEqual(derived.slice(1, 5))
    expect(row[5]).toMatch(/§\d/)
  })

  it('no status §4 calls temporary ends unrecoverable, and nothing idle is polled to the deadline', () => {
    for (const row of rows) {
      if (['DISCONTINUED', 'CLOSED', 'null'].includes(row[0]!)) continue
      expect(row[2], row[0]).not.toBe('unrecoverable')
      expect(row[1], row[0]).not.toBe('poll until the job deadline')
    }
  })
})
