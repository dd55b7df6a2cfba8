import { existsSync, readFileSync } from 'node:fs'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import * as root from '../src/index.js'
import * as machines from '../src/machines-entry.js'
import * as simulator from '../src/simulator/index.js'

// House rule 10: the public surface is curated and pinned. Changing it is a decision: update this list.
const ROOT = [
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
  'reconnectMember',
  'schemas',
  'sqliteStore',
  'statusClass',
  'statusId',
  'statusName',
  'toConnectionStatus',
  'toErrorData',
]

describe('public API', () => {
  it('mx-reconnect exports exactly the pinned names', () => {
    expect(Object.keys(root).sort()).toEqual([...ROOT].sort())
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

  it('mx-reconnect/machines has the pure machine and the bridge', () => {
    expect(machines).toHaveProperty('memberLifecycleMachine')
    expect(machines).toHaveProperty('createMemberLifecycle')
    expect(machines).toHaveProperty('promptOf')
  })

  it('mx-reconnect/simulator has startSimulator', () => {
    expect(typeof simulator.startSimulator).toBe('function')
  })

  it('package.json maps each entry point to the built form of these sources, with types', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      exports: Record<string, { types: string; import: string }>
      bin: Record<string, string>
      engines: { node: string }
      type: string
    }
    expect(pkg.type).toBe('module')
    expect(pkg.engines.node).toBe('>=20.19')
    const sources: Record<string, string> = {
      '.': 'src/index.ts',
      './machines': 'src/machines-entry.ts',
      './simulator': 'src/simulator/index.ts',
    }
    for (const [entry, source] of Object.entries(sources)) {
      const target = pkg.exports[entry]!
      expect(existsSync(source)).toBe(true)
      expect(target.import).toBe(`./dist/${source.replace(/\.ts$/, '.js')}`)
      expect(target.types).toBe(`./dist/${source.replace(/\.ts$/, '.d.ts')}`)
    }
    expect(existsSync(pkg.bin['mx-reconnect']!)).toBe(true)
  })

  it('every value export of mx-reconnect carries TSDoc with an @example', () => {
    const program = ts.createProgram(['src/index.ts'], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      skipLibCheck: true,
    })
    const checker = program.getTypeChecker()
    const file = program.getSourceFile('src/index.ts')!
    const moduleSymbol = checker.getSymbolAtLocation(file)!
    const missing: string[] = []
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      if (!(symbol.flags & ts.SymbolFlags.Value)) continue
      const tags = symbol.getJsDocTags(checker).map((t) => t.name)
      const doc = ts.displayPartsToString(symbol.getDocumentationComment(checker))
      if (!tags.includes('example') || doc.trim() === '') missing.push(exported.name)
    }
    expect(missing).toEqual([])
  })
})
