import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import type { KnownStatus } from '../../src/domain/index.js'
import type { SweepReport } from '../../src/reconnector/index.js'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'
import { sqliteStore } from '../../src/stores/index.js'
import { capture, type Captured } from './demo-capture.js'

// `mx-reconnect sweep` against a real simulator on 127.0.0.1 port 0 (design: reconnector.md "CLI"). Nobody
// answers prompts in a sweep, so members that need their user end the sweep as `awaitingUser`; the seeded
// statuses here need no job polling, so the sweep runs at the real lifecycle policy.

let sim: Simulator
let dir: string
let env: Record<string, string>
/** Seeded member guid → the outcome lifecycle.md implies for an unattended sweep. */
const expected = new Map<string, string>()

const SEEDS: readonly {
  readonly status: KnownStatus
  readonly outcome: string
  readonly institution?: string
}[] = [
  { status: 'CONNECTED', outcome: 'connected' },
  { status: 'DENIED', outcome: 'awaitingUser' },
  { status: 'CHALLENGED', outcome: 'awaitingUser' },
  { status: 'LOCKED', outcome: 'needsUserAtInstitution' },
  { status: 'DEGRADED', outcome: 'retryLater' },
  { status: 'CLOSED', outcome: 'unrecoverable' },
  { status: 'PENDING', outcome: 'needsOAuth', institution: 'mx_bank_oauth' },
]
const USERS = ['sweep-user-a', 'sweep-user-b', 'sweep-user-c']

function file(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

async function sweep(args: readonly string[], environment: Record<string, string | undefined> = env) {
  const c = capture(environment)
  const code = await main(['sweep', ...args], c.ctx)
  return { code, c }
}

function parse(c: Captured): SweepReport {
  expect(c.out).toHaveLength(1)
  return JSON.parse(c.out[0] ?? '') as SweepReport
}

beforeAll(async () => {
  // The messy profile: replies shaped as real MX sends them (issue 10 item 6). A challenge lives a
  // simulated day (14 real minutes): a loaded machine must not expire it mid-test.
  sim = await startSimulator({ seed: 21, timeScale: 0.01, challengeTtlMs: 24 * 3_600_000, profile: 'messy' })
  dir = mkdtempSync(join(tmpdir(), 'mx-sweep-test-'))
  SEEDS.forEach((seed, i) => {
    const userId = USERS[i % USERS.length] ?? 'sweep-user-a'
    const guid = sim.createMember({
      userId,
      status: seed.status,
      password: 'challenge',
      ...(seed.institution === undefined ? {} : { institutionCode: seed.institution }),
    })
    expected.set(guid, seed.outcome)
  })
  env = {
    MX_NEXUS_URL: sim.nexusUrl,
    MX_SSO_URL: sim.ssoUrl,
    MX_CLIENT_ID: sim.clientId,
    MX_API_KEY: sim.apiKey,
  }
})

afterAll(async () => {
  await sim.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('mx-reconnect sweep --json', () => {
  it('sweeps every member of the users in a JSON array and prints the SweepReport', async () => {
    const users = file('users.json', JSON.stringify(USERS))
    const db = join(dir, 'sweep.db')
    const { code, c } = await sweep(['--users', users, '--store', `sqlite:${db}`, '--json'])
    expect(code, c.all()).toBe(0)
    const report = parse(c)
    expect(report.members).toHaveLength(SEEDS.length)
    for (const m of report.members) {
      expect(m.outcome, m.connectionStatus ?? '').toBe(expected.get(m.memberGuid))
      expect(USERS).toContain(m.userId)
      expect(typeof m.calls).toBe('number')
    }
    expect(report.counts).toEqual({
      connected: 1,
      awaitingUser: 2,
      needsUserAtInstitution: 1,
      retryLater: 1,
      unrecoverable: 1,
      needsOAuth: 1,
    })
    // Nothing was typed by anyone: no credential update and no MFA answer reached MX.
    expect(sim.requests().filter((r) => r.method === 'PUT')).toEqual([])
    // The members waiting on their user stay in the store, waiting.
    const store = sqliteStore(db)
    try {
      expect((await store.counts()).waiting).toBe(2)
    } finally {
      await store.close()
    }
  })

  it('takes {"members": [...]} and sweeps only those members', async () => {
    const [first, second] = [...expected.keys()]
    const members = [first, second].map((memberGuid) => ({
      userId: sim.member(memberGuid ?? '').userId,
      memberGuid,
    }))
    const users = file('members.json', JSON.stringify({ members }))
    const { code, c } = await sweep(['--users', users, '--store', 'memory:', '--json', '--concurrency', '2'])
    expect(code, c.all()).toBe(0)
    expect(parse(c).members.map((m) => m.memberGuid)).toEqual([first, second])
  })

  it('takes {"userIds": [...]} and newline-separated ids, with settings from flags', async () => {
    const byObject = file('user-ids.json', JSON.stringify({ userIds: [USERS[0]] }))
    const byLines = file('users.txt', `# nightly\n${USERS[0]}\n\n`)
    const flags = [
      '--nexus-url',
      sim.nexusUrl,
      '--sso-url',
      sim.ssoUrl,
      '--client-id',
      sim.clientId,
      '--api-key',
      sim.apiKey,
    ]
    const reports: SweepReport[] = []
    for (const users of [byObject, byLines]) {
      const { code, c } = await sweep(['--users', users, '--store', 'memory:', '--json', ...flags], {})
      expect(code, c.all()).toBe(0)
      reports.push(parse(c))
    }
    const mine = [...expected.keys()].filter((g) => sim.member(g).userId === USERS[0])
    for (const report of reports) expect(report.members.map((m) => m.memberGuid).sort()).toEqual(mine.sort())
  })
})

describe('mx-reconnect sweep, a user unknown at MX (issue 10 item 5)', () => {
  // `ghost-user` was never created at the simulator (as a user deleted at MX): SSO answers 404 for it.
  const WITH_GHOST = [...USERS.slice(0, 1), 'ghost-user', ...USERS.slice(1)]

  it('--json: every other user is swept and stored; the failure is that user’s row; exit 3', async () => {
    const users = file('ghost.json', JSON.stringify(WITH_GHOST))
    const db = join(dir, 'ghost.db')
    const { code, c } = await sweep(['--users', users, '--store', `sqlite:${db}`, '--json'])
    expect(code, c.all()).toBe(3)
    const report = parse(c)
    expect(report.failures).toEqual([
      {
        userId: 'ghost-user',
        error: expect.objectContaining({ _tag: 'HttpError', status: 404 }) as unknown,
      },
    ])
    expect(report.failures[0]?.error.message).toMatch(/^SSO GET .*ghost-user.* answered HTTP 404/)
    expect(report.members.map((m) => m.memberGuid).sort()).toEqual([...expected.keys()].sort())
    for (const m of report.members) expect(m.outcome).toBe(expected.get(m.memberGuid))
    expect(report.quarantined).toEqual([])
    const store = sqliteStore(db)
    try {
      for (const guid of expected.keys()) expect((await store.get(guid))?.userId, guid).toBeDefined()
    } finally {
      await store.close()
    }
    expect(c.all()).not.toContain(sim.apiKey)
  })

  it('table: the failed user is a row with its reason; the summary and exit code say so', async () => {
    const users = file('ghost-table.json', JSON.stringify(WITH_GHOST))
    const { code, c } = await sweep(['--users', users, '--store', 'memory:'])
    expect(code, c.all()).toBe(3)
    const text = c.out.join('\n')
    for (const guid of expected.keys()) expect(text).toContain(guid)
    expect(text).toMatch(/^ghost-user +- +userFailed \(HTTP 404\)/m)
    expect(text).toMatch(
      /^Failed {5}user ghost-user: SSO GET \S+ answered HTTP 404.*\(the user is unknown at MX \(deleted\?\), or MX_CLIENT_ID is wrong\)$/m,
    )
    expect(text).toMatch(/^Users {6}4: 3 swept, 1 failed/m)
    expect(text).toMatch(/^Exit {7}3: /m)
    expect(c.err.filter((line) => !line.startsWith('sweep '))).toEqual([])
  })

  it('every user unknown: still a report (exit 3), not a fatal error', async () => {
    const users = file('ghosts.json', JSON.stringify(['ghost-1', 'ghost-2']))
    const { code, c } = await sweep(['--users', users, '--store', 'memory:', '--json'])
    expect(code, c.all()).toBe(3)
    const report = parse(c)
    expect(report.members).toEqual([])
    expect(report.failures.map((f) => [f.userId, f.error.status]).sort()).toEqual([
      ['ghost-1', 404],
      ['ghost-2', 404],
    ])
  })

  it('every user reachable: exit 0 and no failure rows', async () => {
    const users = file('reachable.json', JSON.stringify(USERS))
    const { code, c } = await sweep(['--users', users, '--store', 'memory:', '--json'])
    expect(code, c.all()).toBe(0)
    expect(parse(c)).toMatchObject({ failures: [], quarantined: [] })
  })
})

describe('mx-reconnect sweep, a user deadline that passed (issue 10 item 8)', () => {
  it('a later sweep reports the member needsCredentials with its reason, not a silent flip', async () => {
    const userId = 'sweep-user-deadline'
    const memberGuid = sim.createMember({ userId, status: 'DENIED' })
    const users = file('deadline.json', JSON.stringify([userId]))
    const db = join(dir, 'deadline.db')
    // --time-scale 0.005: the user has 15 min × 0.005 = 4.5 s to answer (time enough for a loaded machine
    // to park the member in the first run, before the deadline).
    const args = ['--users', users, '--store', `sqlite:${db}`, '--time-scale', '0.005']
    const first = await sweep(args)
    expect(first.code, first.c.all()).toBe(0)
    expect(first.c.out.join('\n')).toMatch(new RegExp(`${memberGuid} +awaitingUser \\(credentials\\)`))
    // Wait until the stored deadline has passed (a known instant, not a guess at how fast anything runs).
    const store = sqliteStore(db)
    const wakeAt = (await store.get(memberGuid))?.wakeAt
    await store.close()
    expect(wakeAt).toEqual(expect.any(Number))
    while (Date.now() <= (wakeAt ?? 0))
      await new Promise((r) => setTimeout(r, (wakeAt ?? 0) - Date.now() + 1))
    // A new run on the same store: the overdue deadline ends the member, and the report says why.
    const second = await sweep([...args, '--json'])
    expect(second.code, second.c.all()).toBe(0)
    expect(parse(second.c).members).toEqual([
      expect.objectContaining({
        memberGuid,
        outcome: 'needsCredentials',
        connectionStatus: 'DENIED',
        reason: 'userDeadlinePassed',
      }),
    ])
  })
})

describe('mx-reconnect sweep, table output', () => {
  it('prints one row per member, the counts, and what parked members wait for', async () => {
    const users = file('users-table.json', JSON.stringify(USERS))
    const { code, c } = await sweep(['--users', users, '--store', 'memory:'])
    expect(code, c.all()).toBe(0)
    const text = c.out.join('\n')
    for (const guid of expected.keys()) expect(text).toContain(guid)
    expect(text).toContain('awaitingUser (credentials)')
    expect(text).toContain('awaitingUser (MFA)')
    expect(text).toMatch(/Members {4}7: awaitingUser 2, /)
    // "1 session", never "1 sessions" (issue 17).
    expect(text).toMatch(/HTTP {7}\d+ requests, (1 session|(?!1 )\d+ sessions) opened/)
    expect(c.all()).not.toContain(sim.apiKey)
  })
})

describe('mx-reconnect sweep, stopped', () => {
  it('on SIGINT stops at once, says the state is stored, and exits 130', async () => {
    // A member whose job is running: its lifecycle waits at least the 3 s poll floor (real policy).
    const memberGuid = sim.createMember({ userId: 'sweep-user-slow', status: 'DENIED', aggregating: true })
    const users = file('slow.json', JSON.stringify(['sweep-user-slow']))
    const db = join(dir, 'stopped.db')
    let stop: (signal: string) => void = () => undefined
    const c = capture(env)
    const ctx = {
      ...c.ctx,
      err: (line: string) => {
        c.err.push(line)
        if (line.startsWith('sweep 0/1')) stop('SIGINT')
      },
      waitForStop: () => new Promise<string>((resolve) => (stop = resolve)),
    }
    expect(await main(['sweep', '--users', users, '--store', `sqlite:${db}`], ctx)).toBe(130)
    expect(c.out).toEqual([])
    expect(c.err.at(-1)).toMatch(
      /^stopped \(SIGINT\); every lifecycle's state is in the store \(sqlite:.*stopped\.db\); finish it with mx-reconnect sweep --resume --store sqlite:.*stopped\.db$/,
    )
    const store = sqliteStore(db)
    try {
      expect((await store.get(memberGuid))?.status).not.toBe('done')
    } finally {
      await store.close()
    }
    // The stopped sweep is finished by --resume (the same owner: its leases were released on the stop).
    const resumed = await sweep(['--resume', '--store', `sqlite:${db}`, '--json'])
    expect(resumed.code, resumed.c.all()).toBe(0)
    expect(parse(resumed.c).members).toEqual([
      expect.objectContaining({ memberGuid, userId: 'sweep-user-slow', outcome: 'connected' }),
    ])
  })
})

describe('mx-reconnect sweep, bad input', () => {
  const ok = () => file('ok-users.json', JSON.stringify(USERS))
  const cases: readonly [
    string,
    () => readonly string[],
    Record<string, string | undefined> | undefined,
    RegExp,
    number,
  ][] = [
    [
      'an unknown flag',
      () => ['--users', ok(), '--store', 'memory:', '--frobnicate'],
      undefined,
      /unknown flag --frobnicate/,
      2,
    ],
    ['no --users', () => ['--store', 'memory:'], undefined, /--users FILE is required/, 2],
    ['no --store', () => ['--users', ok()], undefined, /--store is required/, 2],
    [
      'a bad --concurrency',
      () => ['--users', ok(), '--store', 'memory:', '--concurrency', '0'],
      undefined,
      /--concurrency must be an integer/,
      2,
    ],
    [
      'a missing API key',
      () => ['--users', ok(), '--store', 'memory:'],
      { MX_API_KEY: undefined },
      /missing setting: MX_API_KEY \(or --api-key\)/,
      2,
    ],
    [
      'missing URLs',
      () => ['--users', ok(), '--store', 'memory:'],
      { MX_NEXUS_URL: '', MX_SSO_URL: undefined },
      /missing settings: MX_NEXUS_URL \(or --nexus-url\), MX_SSO_URL \(or --sso-url\)/,
      2,
    ],
    [
      'a URL that is not http(s)',
      () => ['--users', ok(), '--store', 'memory:'],
      { MX_NEXUS_URL: 'ftp://example' },
      /MX_NEXUS_URL \/ --nexus-url must be an http\(s\) URL/,
      2,
    ],
    [
      'an unreadable users file',
      () => ['--users', join(dir, 'absent.json'), '--store', 'memory:'],
      undefined,
      /cannot read users file .*absent\.json: no such file/,
      1,
    ],
    [
      'a users file that is a directory',
      () => ['--users', dir, '--store', 'memory:'],
      undefined,
      /cannot read users file .*: it is a directory/,
      1,
    ],
    [
      'invalid JSON',
      () => ['--users', file('bad.json', '["a", '), '--store', 'memory:'],
      undefined,
      /users file .*bad\.json is not valid JSON/,
      1,
    ],
    [
      'JSON of the wrong shape',
      () => ['--users', file('shape.json', '{"members":[{"userId":"u"}]}'), '--store', 'memory:'],
      undefined,
      /users file .*shape\.json: members\[0\]\.memberGuid must be a non-empty string/,
      1,
    ],
    [
      'a member guid that would move the path',
      () => [
        '--users',
        file('dots.json', '{"members":[{"userId":"u","memberGuid":".."}]}'),
        '--store',
        'memory:',
      ],
      undefined,
      /users file .*dots\.json: members\[0\]\.memberGuid must not be \. or \.\./,
      1,
    ],
    [
      'a member guid with a slash',
      () => [
        '--users',
        file('slash.json', '{"members":[{"userId":"u","memberGuid":"MBR-1/credentials"}]}'),
        '--store',
        'memory:',
      ],
      undefined,
      /users file .*slash\.json: members\[0\]\.memberGuid must be a guid/,
      1,
    ],
    [
      'an empty list',
      () => ['--users', file('empty.json', '[]'), '--store', 'memory:'],
      undefined,
      /users file .*empty\.json: lists no users/,
      1,
    ],
    [
      'an empty file',
      () => ['--users', file('empty.txt', '\n'), '--store', 'memory:'],
      undefined,
      /users file .*empty\.txt is empty/,
      1,
    ],
    [
      // Loopback port 1: refused at once, nothing leaves the machine; the password is never printed.
      'a postgres store that does not connect',
      () => ['--users', ok(), '--store', 'postgres:postgres://mx:pg-secret-pw@127.0.0.1:1/mx'],
      undefined,
      /cannot open store postgres:\/\/mx@127\.0\.0\.1:1\/mx: .*ECONNREFUSED/,
      1,
    ],
    [
      'a postgres store without a URL',
      () => ['--users', ok(), '--store', 'postgres:'],
      undefined,
      /--store postgres: needs a URL/,
      2,
    ],
    [
      'an unknown store kind',
      () => ['--users', ok(), '--store', 'mysql://db'],
      undefined,
      /--store must be sqlite:PATH, postgres:URL or memory:/,
      2,
    ],
    [
      'a sqlite store that does not open',
      () => ['--users', ok(), '--store', `sqlite:${join(dir, 'no', 'such', 'dir', 'x.db')}`],
      undefined,
      /cannot open store .*x\.db/,
      1,
    ],
    [
      'a file that is not SQLite',
      () => ['--users', ok(), '--store', `sqlite:${ok()}`],
      undefined,
      /cannot open store .*: is not a SQLite database/,
      1,
    ],
    [
      'a wrong API key',
      () => ['--users', ok(), '--store', 'memory:'],
      { MX_API_KEY: 'sim_not-the-right-key-0123456789' },
      /answered HTTP 401 .*check MX_API_KEY/,
      1,
    ],
  ]

  it.each(cases)(
    '%s: one clear line, non-zero exit, no key in the output',
    async (_, args, overrides, message, exit) => {
      const environment = { ...env, ...overrides }
      const { code, c } = await sweep(args(), environment)
      expect(code).toBe(exit)
      expect(c.out).toEqual([])
      const errors = c.err.filter((line) => !line.startsWith('sweep '))
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatch(/^mx-reconnect sweep: /)
      expect(errors[0]).toMatch(message)
      expect(c.all()).not.toMatch(/\n\s+at /)
      for (const key of [sim.apiKey, environment.MX_API_KEY, 'pg-secret-pw'])
        if (key) expect(c.all()).not.toContain(key)
    },
  )
})
