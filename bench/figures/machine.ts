import { performance } from 'node:perf_hooks'
import { createMachine, initialTransition, transition, type AnyEventObject } from 'xstate'
import { memberLifecycleMachine, type LifecycleEvent } from '../../machines/member-lifecycle/index.js'
import { createNexusClient } from '../../src/client/create-nexus-client.js'
import type { Challenge, CredentialField, Member } from '../../src/domain/schemas/index.js'
import { schemas } from '../../src/domain/schemas/index.js'
import { startSimulator } from '../../src/simulator/index.js'
import type { Figure } from '../harness.js'
import { progress } from '../lib/progress.js'

// Figure 6 (issue 7): transitions per second of the pure machine through XState's `transition()` (no actor,
// no I/O: the actions it returns are not executed). The path is a full reconnection with MFA, fed with
// member / credential / challenge objects decoded from the simulator's real answers. Baseline: a two-state
// toggle machine through the same `transition()`, i.e. XState's own floor on this machine.

interface Fixtures {
  readonly denied: Member
  readonly updated: Member
  readonly challenged: Member
  readonly resumed: Member
  readonly connected: Member
  readonly fields: readonly CredentialField[]
  readonly challenges: readonly Challenge[]
}

async function fixtures(): Promise<Fixtures> {
  const sim = await startSimulator({ seed: 3, timeScale: 0 })
  const client = createNexusClient({
    nexusUrl: sim.nexusUrl,
    ssoUrl: sim.ssoUrl,
    clientId: sim.clientId,
    apiKey: sim.apiKey,
  })
  try {
    const userId = 'machine-user'
    const seed = (
      status: 'DENIED' | 'UPDATED' | 'CHALLENGED' | 'RESUMED' | 'CONNECTED',
      aggregating = false,
    ) => sim.createMember({ userId, status, password: 'challenge', aggregating })
    const g = {
      denied: seed('DENIED'),
      updated: seed('UPDATED', true),
      challenged: seed('CHALLENGED'),
      resumed: seed('RESUMED', true),
      connected: seed('CONNECTED'),
    }
    const read = (memberGuid: string) => client.readMember({ userId, memberGuid })
    return {
      denied: await read(g.denied),
      updated: await read(g.updated),
      challenged: await read(g.challenged),
      resumed: await read(g.resumed),
      connected: await read(g.connected),
      fields: await client.listMemberCredentials({ userId, memberGuid: g.denied }),
      challenges: await client.listMemberChallenges({ userId, memberGuid: g.challenged }),
    }
  } finally {
    await client.close()
    await sim.close()
  }
}

const done = (id: string, output: unknown): AnyEventObject => ({ type: `xstate.done.actor.${id}`, output })

/** The events of one reconnection: DENIED → credentials → job → webhook → CHALLENGED → MFA → CONNECTED. */
function path(f: Fixtures, memberGuid: string): AnyEventObject[] {
  let at = 1_700_000_000_000
  const tick = () => (at += 1_000)
  const webhook = schemas.webhook.parse({
    type: 'CONNECTION_STATUS',
    action: 'CHANGED',
    member_guid: memberGuid,
    user_guid: 'USR-1',
    connection_status: 'CHALLENGED',
    connection_status_id: 3,
    connection_status_message: 'answer the challenge',
  })
  return [
    done('loadingMember', { member: f.denied, at: tick() }),
    done('listingCredentials', { fields: f.fields, at: tick() }),
    {
      type: 'credentials.submit',
      submissionId: 'sub-1',
      credentials: f.fields.map((c) => ({ guid: c.guid, empty: false })),
    },
    done('updatingMember', { member: f.updated, at: tick() }),
    done('pollTimer', { at: tick() + 3_000 }),
    done('polling', { member: f.updated, at: tick() + 3_000 }),
    { type: 'member.webhook', payload: webhook },
    done('polling', { member: f.challenged, at: tick() + 3_000 }),
    done('listingChallenges', { challenges: f.challenges, at: tick() + 3_000 }),
    {
      type: 'mfa.submit',
      submissionId: 'sub-2',
      answers: f.challenges.map((c) => ({ guid: c.guid, empty: false })),
    },
    done('resumingAggregation', { member: f.resumed, at: tick() + 3_000 }),
    done('pollTimer', { at: tick() + 6_000 }),
    done('polling', { member: f.connected, at: tick() + 6_000 }),
  ]
}

const toggle = createMachine({
  id: 'toggle',
  initial: 'off',
  states: { off: { on: { toggle: 'on' } }, on: { on: { toggle: 'off' } } },
})

function measure(ms: number, once: () => number): number {
  let transitions = 0
  const t0 = performance.now()
  let elapsed = 0
  while (elapsed < ms) {
    for (let i = 0; i < 50; i++) transitions += once()
    elapsed = performance.now() - t0
  }
  return (transitions * 1000) / elapsed
}

/** Runs figure 6. */
export async function machineThroughput(ms: number): Promise<Figure[]> {
  progress('figure 6: machine transitions via transition()')
  const f = await fixtures()
  const memberGuid = f.denied.guid
  const events = path(f, memberGuid)
  const input = { userId: 'machine-user', memberGuid }

  const reconnection = () => {
    let [snapshot] = initialTransition(memberLifecycleMachine, input)
    // `xstate.done.actor.*` events are XState's own; the machine's event type lists only the host's.
    for (const event of events)
      [snapshot] = transition(memberLifecycleMachine, snapshot, event as LifecycleEvent)
    return snapshot
  }
  const end = reconnection()
  if (end.status !== 'done' || end.value !== 'connected') {
    throw new Error(`figure 6: the scripted path ended in ${JSON.stringify(end.value)}, not connected`)
  }
  const perPath = events.length + 1
  const togglePath = () => {
    let [snapshot] = initialTransition(toggle)
    for (let i = 0; i < events.length; i++) [snapshot] = transition(toggle, snapshot, { type: 'toggle' })
    return perPath
  }
  // Warm both up, then measure each twice, alternating.
  measure(300, () => (reconnection(), perPath))
  measure(300, togglePath)
  const ours = Math.max(
    measure(ms, () => (reconnection(), perPath)),
    measure(ms, () => (reconnection(), perPath)),
  )
  const base = Math.max(measure(ms, togglePath), measure(ms, togglePath))
  return [
    {
      figure: '6',
      name: 'machine: transitions/s via transition()',
      value: ours,
      unit: 'transitions/s',
      baseline: base,
      ratio: ours / base,
      goal: 'informational (no goal set)',
      met: null,
      notes: `${perPath}-step reconnection with MFA and a webhook, ${Math.round(ours / perPath)} reconnections/s; baseline: a two-state toggle machine`,
    },
  ]
}
