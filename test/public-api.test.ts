import { existsSync, readFileSync } from 'node:fs'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import * as http from '../src/http/index.js'
import * as root from '../src/index.js'
import * as machines from '../src/machines-entry.js'
import * as simulator from '../src/simulator/index.js'
import * as worker from '../src/worker/index.js'

// House rule 10: the public surface is curated and pinned. Changing it is a decision: update these lists.
// Every entry of package.json `exports` must have a pin here (values: runtime exports; types: type-only).

interface Pin {
  readonly source: string
  readonly values: readonly string[]
  readonly types: readonly string[]
}

const PINS: Readonly<Record<string, Pin>> = {
  '.': {
    source: 'src/index.ts',
    values: [
      'ArgumentError',
      'ConfigError',
      'DecodeError',
      'HttpError',
      'KNOWN_STATUSES',
      'NexusApi',
      'ReconnectorError',
      'STATUS_TABLE',
      'SessionExpiredError',
      'Sessions',
      'StoreError',
      'Transport',
      'TransportError',
      'classify',
      'createNexusClient',
      'createReconnector',
      'isKnownStatus',
      'makeNexusLayer',
      'memoryStore',
      'postgresStore',
      'reconnectMember',
      'schemas',
      'sqliteStore',
      'statusClass',
      'statusId',
      'statusName',
      'toConnectionStatus',
      'toErrorData',
    ],
    types: [
      'Api',
      'Challenge',
      'ChallengeType',
      'ClientStats',
      'ConnectionStatus',
      'CreateLease',
      'CredentialField',
      'ErrorClass',
      'ErrorData',
      'HistoryEntry',
      'HistoryInput',
      'HistoryOptions',
      'InstanceRecord',
      'Job',
      'JobStart',
      'KnownStatus',
      'LifecycleCounts',
      'LifecycleRecord',
      'LifecycleStatus',
      'LifecycleStore',
      'LifecycleUpdate',
      'LifecycleView',
      'LogLine',
      'Member',
      'MemberRef',
      'NewLifecycleRecord',
      'NexusClient',
      'NexusClientApi',
      'NexusClientConfig',
      'NexusClock',
      'NexusError',
      'Option',
      'PageOptions',
      'PostgresLifecycleStore',
      'PostgresStoreOptions',
      'Prompt',
      'Provider',
      'QuarantineEntry',
      'ReconnectMemberOptions',
      'Reconnector',
      'ReconnectorEvent',
      'ReconnectorOptions',
      'RetryBudget',
      'SaveResult',
      'SecretProvider',
      'SecretValue',
      'SqliteLifecycleStore',
      'SqliteStoreOptions',
      'StatusClass',
      'StatusRow',
      'StoreErrorReason',
      'StoreOptions',
      'SweepJournal',
      'SweepMemberReport',
      'SweepProgress',
      'SweepReport',
      'UnknownStatus',
      'UserScoped',
      'Webhook',
    ],
  },
  './machines': {
    source: 'src/machines-entry.ts',
    values: [
      'DEFAULT_POLICY',
      'OUTCOMES',
      'createLifecycleActors',
      'createMemberLifecycle',
      'createSecretVault',
      'memberLifecycleMachine',
      'promptOf',
      'resolvePolicy',
      'systemClock',
    ],
    types: [
      'AttemptBudgets',
      'Attempts',
      'CancelEvent',
      'ChallengePrompt',
      'ChallengesRead',
      'CredentialPrompt',
      'CredentialsRead',
      'CredentialsRequiredEvent',
      'CredentialsSubmitEvent',
      'HostEvent',
      'LifecycleActorDeps',
      'LifecycleClock',
      'LifecycleContext',
      'LifecycleEmitted',
      'LifecycleEvent',
      'LifecycleInput',
      'LifecycleOutput',
      'LifecyclePolicy',
      'MemberLifecycle',
      'MemberLifecycleActor',
      'MemberLifecycleMachine',
      'MemberLifecycleOptions',
      'MemberRead',
      'MemberRequest',
      'MemberView',
      'MemberWebhookEvent',
      'MfaRequiredEvent',
      'MfaSubmitEvent',
      'OAuthUri',
      'OptionPrompt',
      'Outcome',
      'OutcomeEvent',
      'PendingTrigger',
      'PolicyInput',
      'ReadMemberInput',
      'RetryStep',
      'SecretVault',
      'SecretVaultOptions',
      'ServiceFailure',
      'Stamped',
      'SubmissionRequest',
      'SubmitResult',
      'SubmittedEntry',
      'Triggered',
      'ValidationError',
      'WaitInput',
    ],
  },
  './http': {
    source: 'src/http/index.ts',
    values: ['createReconnectHandler'],
    types: [
      'ErrorBody',
      'HandlerErrorSource',
      'ReconnectHandler',
      'ReconnectHandlerOptions',
      'ResolveUser',
      'WebhookAuth',
    ],
  },
  './worker': {
    source: 'src/worker/index.ts',
    values: ['WAKE_QUEUE', 'createBoss', 'pgBossEngine', 'startWorker', 'workerUserAgent'],
    types: ['PgBossEngine', 'PgBossEngineOptions', 'WakeQueueOptions', 'Worker', 'WorkerOptions'],
  },
  './simulator': {
    source: 'src/simulator/index.ts',
    values: [
      'CORRECT_ANSWER',
      'DEFAULT_INSTITUTIONS',
      'PASSWORD_SCENARIOS',
      'SCENARIO_USERNAME',
      'SeedError',
      'checkInvariants',
      'createState',
      'startSimulator',
      'step',
      'tick',
    ],
    types: [
      'CreateMemberInput',
      'Effect',
      'FaultHandle',
      'FaultInfo',
      'FaultKind',
      'FaultSpec',
      'InstitutionInput',
      'MemberState',
      'Profile',
      'RequestLogEntry',
      'SimApi',
      'SimRequest',
      'SimResponse',
      'SimState',
      'Simulator',
      'SimulatorOptions',
      'SimulatorStats',
      'StateOptions',
      'StepResult',
      'Variants',
      'WebhookBehaviour',
      'WebhookDelivery',
      'WebhookEffect',
      'WebhookKind',
    ],
  },
}

/** Internals that once leaked through `mx-reconnect/machines` (issue 17); they must stay out. */
const MACHINE_INTERNALS = [
  'NOT_SENT',
  'asFailure',
  'nextRandom',
  'seedFrom',
  'firstPollDelay',
  'pollDelay',
  'retryDelay',
  'decideRoute',
  'validateCredentials',
  'validateAnswers',
  'ROUTES',
  'toOutput',
  'initialContext',
  'ServiceFailureError',
  'isServiceFailure',
  'credentialsPrompt',
  'mfaPrompt',
  'toMermaid',
]

interface ExportInfo {
  readonly name: string
  readonly isValue: boolean
  readonly documented: boolean
  readonly hasExample: boolean
}

const sources = Object.values(PINS).map((pin) => pin.source)
// One program for every entry: the TypeScript view of what each entry exports (types included).
const program = ts.createProgram(sources, {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  skipLibCheck: true,
})
const checker = program.getTypeChecker()

function exportsOf(source: string): ExportInfo[] {
  const file = program.getSourceFile(source)
  if (file === undefined) throw new Error(`${source} is not in the program`)
  const moduleSymbol = checker.getSymbolAtLocation(file)!
  return checker.getExportsOfModule(moduleSymbol).map((exported) => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    return {
      name: exported.name,
      isValue: (symbol.flags & ts.SymbolFlags.Value) !== 0,
      documented: ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() !== '',
      hasExample: symbol.getJsDocTags(checker).some((tag) => tag.name === 'example'),
    }
  })
}

const sorted = (names: readonly string[]): string[] => [...names].sort()

const runtime: Readonly<Record<string, object>> = {
  '.': root,
  './machines': machines,
  './simulator': simulator,
  './http': http,
  './worker': worker,
}

describe('public API', () => {
  it('package.json exports exactly the pinned entries (and package.json), each from its built source', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      exports: Record<string, { types: string; import: string } | string>
      bin: Record<string, string>
      type: string
    }
    expect(pkg.type).toBe('module')
    expect(sorted(Object.keys(pkg.exports))).toEqual(sorted([...Object.keys(PINS), './package.json']))
    for (const [entry, pin] of Object.entries(PINS)) {
      const target = pkg.exports[entry] as { types: string; import: string }
      expect(existsSync(pin.source)).toBe(true)
      expect(target.import).toBe(`./dist/${pin.source.replace(/\.ts$/, '.js')}`)
      expect(target.types).toBe(`./dist/${pin.source.replace(/\.ts$/, '.d.ts')}`)
    }
    expect(existsSync(pkg.bin['mx-reconnect']!)).toBe(true)
  })

  for (const [entry, pin] of Object.entries(PINS)) {
    describe(entry, () => {
      const exported = exportsOf(pin.source)

      it('exports exactly the pinned value and type names', () => {
        expect(sorted(exported.filter((e) => e.isValue).map((e) => e.name))).toEqual(sorted(pin.values))
        expect(sorted(exported.filter((e) => !e.isValue).map((e) => e.name))).toEqual(sorted(pin.types))
      })

      it('its runtime module has exactly the pinned values', () => {
        const module = runtime[entry]
        if (module === undefined) throw new Error(`import ${pin.source} in this test and add it to runtime`)
        expect(sorted(Object.keys(module))).toEqual(sorted(pin.values))
      })

      // Issue 17: the API reference documents every public export with an example, types included (a
      // type's example shows where a user meets it: a field read off a view, an options object, a narrowing).
      it('every export carries TSDoc and an @example, types included', () => {
        expect(exported.filter((e) => !e.documented).map((e) => e.name)).toEqual([])
        expect(exported.filter((e) => !e.hasExample).map((e) => `${e.name} has no @example`)).toEqual([])
      })
    })
  }

  it('mx-reconnect/machines keeps the machine internals out', () => {
    for (const name of MACHINE_INTERNALS) expect(machines).not.toHaveProperty(name)
    expect(machines).toHaveProperty('memberLifecycleMachine')
    expect(machines).toHaveProperty('createMemberLifecycle')
  })

  it('exposes the response schemas partners validate MX payloads with', () => {
    for (const name of [
      'member',
      'members',
      'credentials',
      'challenges',
      'job',
      'session',
      'apiToken',
      'webhook',
    ])
      expect(root.schemas).toHaveProperty(name)
  })
})
