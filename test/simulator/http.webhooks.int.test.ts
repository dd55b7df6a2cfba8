import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { schemas } from '../../src/domain/index.js'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js'
import { SimClient } from './http-client.js'

// Webhooks (Nexus reference §8.2) to a real receiver on 127.0.0.1, with duplicate / reorder / drop, and
// jobs progressing on a running (scaled) clock.

interface Received {
  readonly type: string
  readonly status: string | null
}

let receiver: Server
let url: string
let received: Received[]
let failFirst = 0
const open: { sim: Simulator; client: SimClient }[] = []

beforeEach(async () => {
  received = []
  failFirst = 0
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (failFirst > 0) {
        failFirst -= 1
        res.writeHead(500).end()
        return
      }
      const decoded = schemas.webhook.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      const status =
        decoded.kind === 'connectionStatus'
          ? typeof decoded.payload.connection_status === 'string'
            ? decoded.payload.connection_status
            : null
          : null
      received.push({ type: decoded.kind, status })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`
})

afterEach(async () => {
  for (const { sim, client } of open.splice(0)) {
    await client.close()
    await sim.close()
  }
  await new Promise<void>((resolve) => receiver.close(() => resolve()))
})

async function start(options: SimulatorOptions = {}) {
  const sim = await startSimulator({ seed: 5, timeScale: 0, webhookUrl: url, ...options })
  const client = new SimClient(sim)
  open.push({ sim, client })
  const guid = sim.createMember({ userId: 'hook-user', status: 'DENIED' })
  const session = await client.login('hook-user')
  return { sim, client, guid, session }
}

/** update(challenge) → CHALLENGED → resume → CONNECTED, driven by advancing the clock only. */
async function reconnect(sim: Simulator, client: SimClient, guid: string, session: string): Promise<void> {
  await client.update(session, guid, 'challenge')
  sim.advanceTime(4_000)
  await sim.webhooks.flush()
  await client.resume(session, guid)
  sim.advanceTime(4_000)
  await sim.webhooks.flush()
}

describe('webhooks', () => {
  it('CONNECTION_STATUS on CHALLENGED and AGGREGATION on success, without any polling', async () => {
    const { sim, client, guid, session } = await start()
    await client.update(session, guid, 'challenge')
    sim.advanceTime(4_000)
    await sim.webhooks.flush()
    expect(received).toEqual([{ type: 'connectionStatus', status: 'CHALLENGED' }])
    await client.resume(session, guid)
    sim.advanceTime(4_000)
    await sim.webhooks.flush()
    expect(received.map((r) => r.type)).toEqual(['connectionStatus', 'aggregation'])
    expect(sim.webhooks.deliveries().every((d) => d.outcome === 'delivered' && d.attempts === 1)).toBe(true)
    expect(sim.stats().webhooksDelivered).toBe(2)
  })

  it('duplicate: every delivery arrives twice', async () => {
    const { sim, client, guid, session } = await start({ webhooks: { duplicate: true } })
    await reconnect(sim, client, guid, session)
    expect(received.map((r) => r.type)).toEqual([
      'connectionStatus',
      'connectionStatus',
      'aggregation',
      'aggregation',
    ])
    expect(sim.webhooks.deliveries().filter((d) => d.duplicate)).toHaveLength(2)
  })

  it('drop: nothing arrives; deliveries say dropped', async () => {
    const { sim, client, guid, session } = await start({ webhooks: { drop: true } })
    await reconnect(sim, client, guid, session)
    expect(received).toEqual([])
    expect(sim.webhooks.deliveries().map((d) => d.outcome)).toEqual(['dropped', 'dropped'])
  })

  it('reorder: a later webhook overtakes an earlier one', async () => {
    const { sim, client, guid, session } = await start({
      webhooks: { reorder: true, kinds: ['CONNECTION_STATUS', 'JOB'] },
    })
    await client.update(session, guid, 'challenge')
    sim.advanceTime(4_000)
    await sim.webhooks.flush()
    // Both are produced by the same transition, in the order CONNECTION_STATUS, JOB.
    expect(received.map((r) => r.type)).toEqual(['job', 'connectionStatus'])
    expect(sim.webhooks.deliveries().map((d) => d.reordered)).toEqual([false, true])
  })

  it('retries a failed delivery on the simulated clock (first retry 20 s later)', async () => {
    const { sim, client, guid, session } = await start()
    failFirst = 1
    await client.update(session, guid, 'UNAUTHORIZED')
    sim.advanceTime(4_000)
    await sim.webhooks.flush()
    // The frozen clock has not reached the retry: nothing arrived, one delivery waits.
    expect(received).toEqual([])
    expect(sim.webhooks.waiting()).toBe(1)
    sim.advanceTime(19_999)
    await sim.webhooks.flush()
    expect(received).toEqual([])
    sim.advanceTime(1)
    await sim.webhooks.flush()
    expect(received).toEqual([{ type: 'connectionStatus', status: 'DENIED' }])
    const [delivery] = sim.webhooks.deliveries()
    expect(delivery).toMatchObject({ outcome: 'delivered', attempts: 2, status: 204 })
    expect(delivery!.attemptTimes[1]! - delivery!.attemptTimes[0]!).toBe(20_000)
  })

  it('a receiver that never accepts gets 12 retries spread over about a day (§8.2), then failed', async () => {
    const { sim, client, guid, session } = await start()
    failFirst = Number.POSITIVE_INFINITY
    await client.update(session, guid, 'UNAUTHORIZED')
    sim.advanceTime(4_000)
    await sim.webhooks.flush()
    // Move the clock an hour at a time for two days; each due retry is sent as the clock passes it.
    for (let hour = 0; hour < 48 && sim.webhooks.deliveries().length === 0; hour++) {
      for (let minute = 0; minute < 60; minute++) {
        sim.advanceTime(60_000)
        await sim.webhooks.flush()
      }
    }
    expect(received).toEqual([])
    const [delivery] = sim.webhooks.deliveries()
    expect(delivery).toMatchObject({ outcome: 'failed', attempts: 13, status: 500 })
    const times = delivery!.attemptTimes
    const span = times[times.length - 1]! - times[0]!
    expect(span).toBeGreaterThan(20 * 3_600_000)
    expect(span).toBeLessThan(26 * 3_600_000)
    // Each wait is at least twice the one before (a minute of clock granularity aside).
    for (let i = 2; i < times.length; i++) {
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(2 * (times[i - 1]! - times[i - 2]!) - 60_000)
    }
    expect(sim.webhooks.waiting()).toBe(0)
  })
})

describe('running clock', () => {
  it('jobs progress in scaled real time and the timer sends webhooks without requests', async () => {
    // 1 simulated second = 1 real ms: a 4 s job takes ~4 ms. Wait on what arrives, with a bound that a
    // loaded machine cannot reach; the challenge lives a simulated day so the wait cannot expire it.
    const { sim, client, guid, session } = await start({ timeScale: 0.001, challengeTtlMs: 24 * 3_600_000 })
    await client.update(session, guid, 'challenge')
    await expect.poll(() => received.length, { timeout: 20_000, interval: 5 }).toBeGreaterThan(0)
    expect(received).toEqual([{ type: 'connectionStatus', status: 'CHALLENGED' }])
    expect(sim.member(guid).status).toBe('CHALLENGED')
    await client.resume(session, guid)
    await expect
      .poll(async () => (await client.member(session, guid)).connection_status, {
        timeout: 20_000,
        interval: 5,
      })
      .toBe('CONNECTED')
  })
})
