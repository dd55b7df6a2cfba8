import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CredentialsRequiredEvent } from '../../machines/member-lifecycle/index.js'
import type { SecretValue } from '../../src/client/types.js'
import { startInspectServer, type InspectServer } from '../../src/inspect/server.js'
import { createReconnector, type Reconnector } from '../../src/reconnector/index.js'
import { sqliteStore, type LifecycleStore } from '../../src/stores/index.js'
import { TIME_SCALE, simEnv } from '../support/sim-env.js'

// Issue 13, "Done when": headless Debian chromium (never a downloaded browser) opens the inspect page
// during a sweep, sees the diagram, sees one lifecycle's highlighted state change live, and saves a
// screenshot under test-results/. Every wait is on a selector or an event, with generous timeouts.

const CHROMIUM = '/usr/bin/chromium'
const WAIT = { timeout: 60_000 }
const PASSWORD = 'pw-Page-7hQ2' // any password but the special ones connects (simulator.md)

type Env = Awaited<ReturnType<typeof simEnv>>
let env: Env
let dir: string
let store: LifecycleStore
let reconnector: Reconnector
let page: InspectServer
let browser: Browser

const values = (prompt: CredentialsRequiredEvent, password: string): SecretValue[] =>
  prompt.fields.map((f) => ({ guid: f.guid, value: f.type === 'PASSWORD' ? password : 'mxuser' }))

beforeAll(async () => {
  env = await simEnv()
  dir = mkdtempSync(join(tmpdir(), 'mx-inspect-page-'))
  const dbPath = join(dir, 'sweep.db')
  store = sqliteStore(dbPath)
  page = await startInspectServer({ dbPath })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
})
afterAll(async () => {
  await browser?.close()
  await page?.close()
  await reconnector?.close()
  await store?.close()
  await env?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('mx-reconnect inspect page in headless chromium', () => {
  it('draws the lifecycle, lists the sweep, and follows one lifecycle live', async () => {
    // A sweep over several members; the one we watch waits for its user, the others answer at once.
    const members = ['DENIED', 'CONNECTED', 'PREVENTED', 'DENIED', 'IMPAIRED'].map((status, i) =>
      env.sim.createMember({
        userId: `page-user-${i}`,
        institutionCode: 'mxbank',
        username: 'mxuser',
        password: 'old',
        status: status as 'DENIED',
      }),
    )
    const watched = members[0]!
    reconnector = createReconnector({
      client: env.client,
      store,
      policy: { timeScale: TIME_SCALE, userResponseMs: 24 * 3_600_000 },
      credentials: (prompt) =>
        Promise.resolve(prompt.memberGuid === watched ? undefined : values(prompt, PASSWORD)),
    })
    const sweep = reconnector.sweep({
      members: members.map((memberGuid, i) => ({ userId: `page-user-${i}`, memberGuid })),
    })

    const tab = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
    const offsite: string[] = []
    tab.on('request', (r) => {
      if (!r.url().startsWith(page.url)) offsite.push(r.url())
    })
    await tab.goto(page.url, WAIT)
    // The diagram: the SVG generated from the machine, every outcome drawn.
    await tab.waitForSelector('body[data-diagram="ready"] #diagram svg', WAIT)
    for (const outcome of ['connected', 'needsCredentials', 'needsMfa', 'cancelled']) {
      expect(await tab.locator(`#diagram [id="state:${outcome}"]`).count()).toBe(1)
    }
    // Every member of the sweep is listed.
    for (const guid of members) await tab.waitForSelector(`#list li[data-guid="${guid}"]`, WAIT)

    // The watched lifecycle waits for its user: its state is lit, its prompt shows labels only.
    await tab.click(`#list li[data-guid="${watched}"]`)
    await tab.waitForSelector('#diagram [id="state:credentials.awaiting"].active', WAIT)
    await tab.waitForFunction(
      "document.getElementById('prompt')?.textContent?.startsWith('credentials:') === true",
      undefined,
      WAIT,
    )
    const report = await sweep
    expect(report.members.find((m) => m.memberGuid === watched)?.outcome).toBe('awaitingUser')

    // The user answers: the page follows the lifecycle to its outcome, live (SSE), without a reload.
    const view = await reconnector.view({ userId: 'page-user-0', memberGuid: watched })
    const prompt = view?.prompt
    expect(prompt?.type).toBe('credentials.required')
    await reconnector.submitCredentials(
      { userId: 'page-user-0', memberGuid: watched },
      values(prompt as CredentialsRequiredEvent, PASSWORD),
    )
    await tab.waitForSelector('#diagram [id="state:connected"].active', WAIT)
    expect(await tab.locator('#diagram g.active').count()).toBe(1)
    await tab.waitForFunction(
      "document.getElementById('outcome')?.textContent?.startsWith('connected') === true",
      undefined,
      WAIT,
    )
    // The history, to the outcome.
    await tab.waitForSelector('#history li:has-text("outcome: connected")', WAIT)
    const history = await tab.locator('#history li').allTextContents()
    expect(history.some((h) => h.includes('state: credentials.awaiting'))).toBe(true)

    // No value anywhere on the page, nothing fetched from anywhere else.
    const html = await tab.content()
    expect(html).not.toContain(PASSWORD)
    expect(html).not.toContain(env.config.apiKey)
    expect(offsite).toEqual([])

    mkdirSync('test-results', { recursive: true })
    await tab.screenshot({ path: 'test-results/inspect-page.png', fullPage: true })
    expect(statSync('test-results/inspect-page.png').size).toBeGreaterThan(10_000)
  })
})
