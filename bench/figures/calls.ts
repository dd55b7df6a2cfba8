import type { PolicyInput } from '../../machines/member-lifecycle/index.js'
import { createNexusClient } from '../../src/client/create-nexus-client.js'
import { createReconnector } from '../../src/reconnector/index.js'
import { startSimulator } from '../../src/simulator/index.js'
import { memoryStore } from '../../src/stores/index.js'
import type { Figure } from '../harness.js'
import { measuringStore, type SnapshotSizes } from '../lib/measuring-store.js'
import { progress } from '../lib/progress.js'
import {
  DELAYED_MS,
  JOB_MS,
  minimumWithWebhooks,
  OUTCOME_TABLE,
  pollingBound,
  type OutcomeScenario,
} from '../lib/scenarios.js'
import { testUserProviders } from '../lib/test-user.js'
import { startWebhookReceiver } from '../lib/webhook-receiver.js'

// Figure 2 (issue 7): HTTP requests per reconnection for every row of the simulator's outcome table,
// against the hand-counted minimum (bench/lib/scenarios.ts, docs/benchmarks.md). Each member has its own
// user, so its count includes opening one session. Counted by the client (`client.stats().requests`) and
// cross-checked per member against the simulator's request log.

const TIME_SCALE = 0.01

interface Mode {
  readonly key: string
  readonly label: string
  readonly webhooks: boolean
  readonly policy: PolicyInput
  /** A comparison run with no goal of its own. */
  readonly informational?: boolean
}

const MODES: readonly Mode[] = [
  { key: 'polling', label: 'polling only', webhooks: false, policy: { timeScale: TIME_SCALE } },
  {
    key: 'webhooks',
    label: 'webhooks on (webhookFallbackMs 30 s)',
    webhooks: true,
    // A host that receives webhooks says so in its policy: the poll after a trigger becomes the §8.2
    // fallback timer (30 s), and the webhook, not the poll, says when to read.
    policy: { timeScale: TIME_SCALE, webhookFallbackMs: 30_000 },
  },
  {
    key: 'webhooks-floor',
    label: 'webhooks delivered, policy polling at the floor',
    webhooks: true,
    informational: true,
    // The same webhooks, but a policy that does not expect them: the first read comes at the 3 s floor
    // while a 4 s job still runs, so each job phase costs one extra read.
    policy: { timeScale: TIME_SCALE },
  },
]

/** One scenario's measurement in one mode. */
export interface ScenarioCalls {
  readonly mode: string
  readonly password: string
  readonly outcome: string
  readonly outcomes: readonly string[]
  /** Mean requests per reconnection (client count ÷ members). */
  readonly mean: number
  /** Most requests one member took (simulator log). */
  readonly max: number
  readonly minimum: number
  readonly bound: number
  /** The first member's requests as the simulator logged them. */
  readonly trace: readonly string[]
}

function shortPath(method: string, path: string): string {
  const p = path
    .replace(/\/sso\/[^/]+\/users\/[^/]+\/api_token\.json$/, 'SSO token')
    .replace(/\/members\/MBR-[^/]+/, '/members/{guid}')
  return p === 'SSO token' ? p : `${method} ${p}`
}

async function runMode(mode: Mode, perScenario: number, sizes: SnapshotSizes[]): Promise<ScenarioCalls[]> {
  const receiver = mode.webhooks ? await startWebhookReceiver() : undefined
  const sim = await startSimulator({
    seed: 7,
    timeScale: TIME_SCALE,
    jobDurationMs: JOB_MS,
    delayedMs: DELAYED_MS,
    ...(receiver ? { webhookUrl: receiver.url } : {}),
  })
  const rows: ScenarioCalls[] = []
  try {
    for (const scenario of OUTCOME_TABLE) {
      rows.push(await runScenario(sim, mode, scenario, perScenario, receiver, sizes))
    }
  } finally {
    await sim.close()
    await receiver?.close()
  }
  return rows
}

async function runScenario(
  sim: Awaited<ReturnType<typeof startSimulator>>,
  mode: Mode,
  scenario: OutcomeScenario,
  perScenario: number,
  receiver: Awaited<ReturnType<typeof startWebhookReceiver>> | undefined,
  sizes: SnapshotSizes[],
): Promise<ScenarioCalls> {
  const members = Array.from({ length: perScenario }, (_, i) => {
    const userId = `${mode.key}-${scenario.password}-${i}`
    const user = sim.createUser({ id: userId })
    const memberGuid = sim.createMember({ userId, status: 'DENIED', password: scenario.password })
    return { userId, userGuid: user.guid, memberGuid }
  })
  const client = createNexusClient({
    nexusUrl: sim.nexusUrl,
    ssoUrl: sim.ssoUrl,
    clientId: sim.clientId,
    apiKey: sim.apiKey,
  })
  const store = measuringStore(memoryStore())
  const reconnector = createReconnector({
    client,
    store,
    concurrency: 64,
    policy: mode.policy,
    ...testUserProviders(() => scenario.password),
  })
  if (receiver) receiver.target = reconnector
  sim.clearRequests()
  const report = await reconnector.sweep({ members })
  const sent = client.stats().requests
  await reconnector.close()
  await client.close()
  await sim.webhooks.flush()
  sizes.push(store.sizes())
  const log = sim.requests()
  const perUser = members.map((m) => log.filter((e) => e.userGuid === m.userGuid))
  const first = perUser[0] ?? []
  return {
    mode: mode.key,
    password: scenario.password,
    outcome: scenario.outcome,
    outcomes: report.members.map((m) => m.outcome),
    mean: sent / members.length,
    max: Math.max(...perUser.map((l) => l.length)),
    minimum: minimumWithWebhooks(scenario),
    bound: pollingBound(scenario),
    trace: first.map((e) => shortPath(e.method, e.path)),
  }
}

/** Runs figure 2 in every mode; returns the figures and the per-scenario rows. */
export async function callsPerReconnection(perScenario: number): Promise<{
  figures: Figure[]
  rows: ScenarioCalls[]
  sizes: SnapshotSizes[]
}> {
  const rows: ScenarioCalls[] = []
  const sizes: SnapshotSizes[] = []
  for (const mode of MODES) {
    progress(`figure 2: ${mode.label}, ${OUTCOME_TABLE.length} scenarios × ${perScenario} members`)
    rows.push(...(await runMode(mode, perScenario, sizes)))
  }
  const figures: Figure[] = []
  for (const mode of MODES) {
    const mine = rows.filter((r) => r.mode === mode.key)
    const polling = !mode.webhooks
    const sent = mine.reduce((s, r) => s + r.mean, 0)
    const target = mine.reduce((s, r) => s + (polling ? r.bound : r.minimum), 0)
    const wrong = mine.filter((r) => r.outcomes.some((o) => o !== r.outcome))
    const worst = Math.max(...mine.map((r) => r.max / (polling ? r.bound : r.minimum)))
    figures.push({
      figure: '2',
      name: `calls/reconnection, ${mode.label} (14 scenarios)`,
      value: sent,
      unit: 'requests',
      baseline: target,
      ratio: sent / target,
      goal: mode.informational
        ? 'informational'
        : polling
          ? 'ratio ≤ 1.00 vs min + forced polls'
          : 'ratio 1.00 vs minimum',
      met: mode.informational
        ? null
        : (polling ? sent / target <= 1.0001 : Math.abs(sent / target - 1) < 0.0001) && wrong.length === 0,
      notes:
        `worst single member ${worst.toFixed(2)}× its ${polling ? 'bound' : 'minimum'}` +
        (wrong.length > 0 ? `; unexpected outcomes in ${wrong.map((r) => r.password).join(', ')}` : ''),
    })
    for (const r of mine) {
      const target1 = polling ? r.bound : r.minimum
      figures.push({
        figure: '2',
        name: `calls ${mode.key} ${r.password}`,
        value: r.mean,
        unit: 'requests',
        baseline: target1,
        ratio: r.mean / target1,
        goal: mode.informational
          ? 'informational'
          : polling
            ? `≤ ${r.bound} (min ${r.minimum} + forced polls)`
            : `= ${r.minimum}`,
        met: mode.informational ? null : polling ? r.max <= r.bound : r.max === r.minimum,
        notes: `outcomes ${[...new Set(r.outcomes)].join('/')}; max ${r.max}`,
        details: { trace: r.trace },
      })
    }
  }
  return { figures, rows, sizes }
}
