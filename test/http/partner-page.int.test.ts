import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPartnerBackend, type PartnerBackend } from '../../examples/partner-backend/backend.js'
import { CORRECT_ANSWER } from '../../src/simulator/index.js'

// Issue 14, done when: headless Debian chromium (never a downloaded browser) drives the example partner
// page through DENIED → credentials → MFA → CONNECTED against the simulator, and saves a screenshot under
// test-results/. Every wait is on a selector, with generous timeouts.

const CHROMIUM = '/usr/bin/chromium'
const WAIT = { timeout: 60_000 }
let dir: string
let backend: PartnerBackend
let browser: Browser

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mx-partner-page-'))
  backend = await startPartnerBackend({ dbPath: join(dir, 'partner.db'), timeScale: 0.01 })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
})
afterAll(async () => {
  await browser?.close()
  await backend?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the example partner page', () => {
  it('walks a user through DENIED → credentials → MFA → CONNECTED', async () => {
    const tab = await browser.newPage({ viewport: { width: 1000, height: 900 } })
    const offsite: string[] = []
    tab.on('request', (r) => {
      if (!r.url().startsWith(backend.url)) offsite.push(r.url())
    })
    await tab.goto(backend.url, WAIT)
    const member = backend.members[0]!
    await tab.click(`button[data-guid="${member.memberGuid}"]`, WAIT)

    // The lifecycle reads the member (DENIED) and asks for credentials.
    await tab.waitForSelector('form#credentials input[data-field="PASSWORD"]', WAIT)
    expect(await tab.textContent('#status')).toBe('DENIED')
    await tab.fill('form#credentials input[data-field="LOGIN"]', 'mxuser')
    await tab.fill('form#credentials input[data-field="PASSWORD"]', 'challenge')
    await tab.click('form#credentials button[type="submit"]')

    // MX challenges: one question.
    await tab.waitForSelector('form#mfa input[type="text"]', WAIT)
    await tab.fill('form#mfa input[type="text"]', CORRECT_ANSWER)
    await tab.click('form#mfa button[type="submit"]')

    await tab.waitForSelector('body[data-outcome="connected"]', WAIT)
    expect(await tab.textContent('#status')).toBe('CONNECTED')
    expect(await tab.textContent('#outcome')).toBe('connected')
    expect(backend.sim.member(member.memberGuid).status).toBe('CONNECTED')
    // The other member was never touched; nothing was fetched from anywhere else.
    expect(backend.sim.member(backend.members[1]!.memberGuid).status).toBe('DENIED')
    expect(offsite).toEqual([])

    mkdirSync('test-results', { recursive: true })
    await tab.screenshot({ path: 'test-results/partner-backend.png', fullPage: true })
    expect(statSync('test-results/partner-backend.png').size).toBeGreaterThan(10_000)
  })
})
