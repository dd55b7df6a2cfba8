import { countOf, formatCount, formatCounts, formatMs, renderTable } from '../report/table.js'
import type { DemoMemberResult, DemoResult } from './run.js'
import { DEMO_SCENARIOS, GOOD_PASSWORD, type DemoScenario } from './scenarios.js'

/** The demo's stdout report: one row per scenario (expected vs actual), then the totals. */

function actual(results: readonly DemoMemberResult[]): string {
  const counts = new Map<string, number>()
  for (const r of results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1)
  return [...counts].map(([outcome, n]) => `${outcome} x${n}`).join(', ')
}

/** What the user types as password, when it selects the simulator's outcome (simulator.md table). */
function typed(scenario: DemoScenario): string {
  const password = scenario.userPassword
  if (password === null) return '-'
  return password === GOOD_PASSWORD ? '(right one)' : password
}

const mean = (values: readonly number[]): number =>
  values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length

/** The per-scenario table. */
export function scenarioTable(result: DemoResult): string[] {
  const rows = DEMO_SCENARIOS.flatMap((scenario) => {
    const results = result.members.filter((m) => m.member.scenario === scenario)
    if (results.length === 0) return []
    const ok = results.every((r) => r.ok)
    return [
      [
        scenario.name,
        scenario.seed ?? 'null',
        typed(scenario),
        scenario.story,
        String(results.length),
        scenario.expected,
        actual(results),
        mean(results.map((r) => r.calls)).toFixed(1),
        ok ? 'ok' : 'FAIL',
      ],
    ]
  })
  return renderTable(
    [
      { header: 'scenario' },
      { header: 'seeded as' },
      { header: 'password' },
      { header: 'the user' },
      { header: 'members', align: 'right' },
      { header: 'expected' },
      { header: 'actual' },
      { header: 'calls/member', align: 'right' },
      { header: 'ok' },
    ],
    rows,
  )
}

/** The whole report, as stdout lines. */
export function demoReport(result: DemoResult): string[] {
  const { options } = result
  const n = result.members.length
  const calls = result.members.map((m) => m.calls)
  const simMinuteMs = 60_000 * options.timeScale
  const users = new Set(result.members.map((m) => m.member.userId)).size
  const scenarios = new Set(result.members.map((m) => m.member.scenario)).size
  const lines = [
    `mx-reconnect demo: ${countOf(n, 'member')} of ${countOf(users, 'user')} across ${countOf(scenarios, 'scenario')}` +
      ` (concurrency ${options.concurrency}, seed ${options.seed})`,
    '',
    ...scenarioTable(result),
    '',
    `Outcomes       ${formatCounts(result.counts)}`,
    `HTTP calls     ${formatCount(result.httpRequests)} sent by the client (SSO and sessions included);` +
      ` per member at the simulator: mean ${mean(calls).toFixed(1)}, max ${Math.max(0, ...calls)}`,
    `Sessions       ${formatCount(result.sessionsOpened)} opened (${countOf(users, 'user')})`,
    `Wall time      ${formatMs(result.wallMs)} (sweep ${formatMs(result.sweepMs)}` +
      (result.parkedAfterSweep > 0
        ? `; then ${countOf(result.parkedAfterSweep, 'member')} parked on a user who never answers waited` +
          ` ${formatMs(result.deadlineWaitMs)} for the 15-minute user deadline)`
        : ')'),
    `Time scale     ${options.timeScale}: simulator and lifecycle delays on one clock` +
      ` (1 simulated minute = ${formatMs(simMinuteMs)}; user deadline ${formatMs(result.userDeadlineMs)};` +
      ` challenges live ${formatMs(result.challengeTtlMs * options.timeScale)})`,
    `SQLite store   ${result.dbPath}`,
  ]
  if (result.mismatches.length === 0) {
    lines.push(`Result         all ${formatCount(n)} members ended as their scenario implies`)
  } else {
    lines.push(
      `Result         ${result.mismatches.length} of ${formatCount(n)} members did not end as expected:`,
    )
    for (const m of result.mismatches) {
      lines.push(
        `  ${m.member.memberGuid} (${m.member.userId}, ${m.member.scenario.name}): expected ` +
          `${m.member.scenario.expected}, got ${m.outcome} (connection status ${m.connectionStatus ?? 'none'})`,
      )
    }
  }
  return lines
}
