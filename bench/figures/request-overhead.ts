import { performance } from 'node:perf_hooks'
import { Agent } from 'undici'
import { createNexusClient } from '../../src/client/create-nexus-client.js'
import { NEXUS_MEDIA_TYPE, SSO_MEDIA_TYPE } from '../../src/services/media-types.js'
import { GOAL_ROWS, goalFigure } from '../goals.js'
import type { Figure } from '../harness.js'
import { handMemberBody } from '../lib/hand-member.js'
import { median } from '../lib/stats.js'
import { progress } from '../lib/progress.js'
import { startSimProcess } from '../lib/sim-process.js'

// Figure 1 (issues 7, 15): `readMember` through the library (promise facade → Effect runtime → NexusApi →
// Sessions → Transport, with zod decoding) against undici `request` + `JSON.parse` + a zod schema written by
// hand (bench/lib/hand-member.ts) on an Agent with the Transport's settings (src/services/transport.ts),
// same simulator, same process, interleaved rounds. Every call on both paths carries its own abort signal,
// as every lifecycle call does (XState hands each invoked actor one). The headline is the client process's
// CPU per request (the simulator runs in another process); wall time is reported beside it.

/** The Transport's Agent settings for the default config (connections 32, timeout 15 s). */
export const TRANSPORT_AGENT = {
  connections: 32,
  keepAliveTimeout: 4_000,
  keepAliveMaxTimeout: 60_000,
  connectTimeout: 10_000,
} as const

interface Run {
  readonly ms: number
  readonly cpuMs: number
}

async function pool(total: number, concurrency: number, call: () => Promise<unknown>): Promise<Run> {
  let issued = 0
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued++ < total) await call()
    }),
  )
  const ms = performance.now() - t0
  const used = process.cpuUsage(cpu)
  return { ms, cpuMs: (used.user + used.system) / 1000 }
}

/** Options for figure 1. */
export interface OverheadOptions {
  readonly requests: number
  readonly concurrency: number
  readonly rounds: number
}

/** Runs figure 1. */
export async function requestOverhead(options: OverheadOptions): Promise<Figure[]> {
  const { requests, concurrency, rounds } = options
  // A frozen clock: the member never changes, so every read does the same work on both paths.
  const sim = await startSimProcess({ timeScale: 0 })
  const userId = 'overhead-user'
  const [memberGuid] = await sim.seed([{ userId, status: 'CONNECTED', password: 'password' }])
  const client = createNexusClient({
    nexusUrl: sim.nexusUrl,
    ssoUrl: sim.ssoUrl,
    clientId: sim.clientId,
    apiKey: sim.apiKey,
  })
  const agent = new Agent(TRANSPORT_AGENT)
  try {
    // The raw path needs a session too: open one by hand (§1.3, §1.4), outside the timed part.
    const origin = new URL(sim.nexusUrl).origin
    const sso = await agent.request({
      origin,
      path: `/sso/${sim.clientId}/users/${userId}/api_token.json`,
      method: 'GET',
      headers: { 'md-api-key': sim.apiKey, accept: SSO_MEDIA_TYPE },
    })
    const apiToken = (JSON.parse(await sso.body.text()) as { api_token: { token: string } }).api_token.token
    const created = await agent.request({
      origin,
      path: '/sessions',
      method: 'POST',
      headers: { 'md-api-token': apiToken, accept: NEXUS_MEDIA_TYPE, 'content-type': NEXUS_MEDIA_TYPE },
      body: '{"session":{"skip_aggregation":true}}',
    })
    const token = (JSON.parse(await created.body.text()) as { session: { token: string } }).session.token
    // Same headers as the library sends (src/services/nexus-api.ts).
    const headers = {
      accept: NEXUS_MEDIA_TYPE,
      'content-type': NEXUS_MEDIA_TYPE,
      'user-agent': 'mx-reconnect/0.1',
      'md-session-token': token,
    }
    const path = `/members/${memberGuid!}`
    const raw = async () => {
      const signal = new AbortController().signal
      const res = await agent.request({ origin, path, method: 'GET', headers, signal })
      const body = handMemberBody.parse(JSON.parse(await res.body.text()))
      if (res.statusCode !== 200 || body.member.guid !== memberGuid) throw new Error('raw read failed')
    }
    const ours = async () => {
      const signal = new AbortController().signal
      const member = await client.readMember({ userId, memberGuid: memberGuid!, signal })
      if (member.guid !== memberGuid) throw new Error('library read failed')
    }
    progress(`figure 1: warm-up`)
    await pool(Math.min(requests, 4_000), concurrency, raw)
    await pool(Math.min(requests, 4_000), concurrency, ours)
    const rawRuns: Run[] = []
    const ourRuns: Run[] = []
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first, so neither always inherits the other's garbage.
      const first = r % 2 === 0
      if (first) rawRuns.push(await pool(requests, concurrency, raw))
      ourRuns.push(await pool(requests, concurrency, ours))
      if (!first) rawRuns.push(await pool(requests, concurrency, raw))
      progress(
        `figure 1: round ${r + 1}/${rounds}: raw ${rawRuns.at(-1)!.ms.toFixed(0)} ms, library ${ourRuns.at(-1)!.ms.toFixed(0)} ms`,
      )
    }
    const rawMs = median(rawRuns.map((r) => r.ms))
    const ourMs = median(ourRuns.map((r) => r.ms))
    const rawCpu = median(rawRuns.map((r) => (r.cpuMs * 1000) / requests))
    const ourCpu = median(ourRuns.map((r) => (r.cpuMs * 1000) / requests))
    const notes =
      `median of ${rounds} interleaved rounds of ${requests} calls @${concurrency}, an abort signal per call on both paths; ` +
      `${ourCpu.toFixed(1)} vs ${rawCpu.toFixed(1)} µs CPU per call; ` +
      `${Math.round((requests * 1000) / ourMs)} vs ${Math.round((requests * 1000) / rawMs)} req/s; simulator in its own process`
    return [
      goalFigure({
        figure: '1',
        name: GOAL_ROWS.requestCpu,
        value: ourCpu / rawCpu,
        unit: '×',
        baseline: null,
        ratio: ourCpu / rawCpu,
        target: { op: '<=', limit: 1.15 },
        notes,
        details: { rawRuns, ourRuns },
      }),
      {
        figure: '1',
        name: 'request overhead: client CPU per request',
        value: ourCpu,
        unit: 'µs',
        baseline: rawCpu,
        ratio: ourCpu / rawCpu,
        goal: 'report',
        met: null,
        notes:
          'client process CPU (user + system) ÷ requests; baseline undici + zod by hand; the simulator’s CPU is not counted',
      },
      {
        figure: '1',
        name: `request overhead: wall time, ${requests} readMember @${concurrency}`,
        value: ourMs,
        unit: 'ms',
        baseline: rawMs,
        ratio: ourMs / rawMs,
        goal: 'report',
        met: null,
      },
    ]
  } finally {
    await agent.close()
    await client.close()
    await sim.stop()
  }
}
