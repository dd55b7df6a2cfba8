import { Either, Redacted } from 'effect'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/domain/index.js'
import { parseConfig } from '../../src/services/config.js'
import type { LogLine, ResolvedConfig } from '../../src/services/config.js'

// Written against the mutants Stryker left alive or uncovered in src/services/config.ts (docs/testing.md).
// The oracles are the documented configuration (`NexusClientConfig`, `NexusClock`, `LogLine`,
// `Endpoint`'s TSDoc: what each field accepts) and docs/errors.md (`ConfigError` names the bad field).

const valid = {
  nexusUrl: 'http://127.0.0.1:9/nexus',
  ssoUrl: 'http://127.0.0.1:9/sso',
  clientId: 'client-1',
  apiKey: 'KEY-1',
}

const ok = (input: unknown): ResolvedConfig => {
  const result = parseConfig(input)
  if (Either.isLeft(result)) throw result.left
  return result.right
}
const refused = (input: unknown): ConfigError => {
  const result = parseConfig(input)
  if (Either.isRight(result)) throw new Error('expected a ConfigError')
  expect(result.left).toBeInstanceOf(ConfigError)
  return result.left
}

describe('clock: an object with now()', () => {
  it('accepts a clock with now() (and keeps it)', () => {
    const clock = { now: () => 42 }
    expect(ok({ ...valid, clock }).clock).toBe(clock)
    const withSleep = { now: () => 42, sleep: () => Promise.resolve() }
    expect(ok({ ...valid, clock: withSleep }).clock).toBe(withSleep)
  })

  it.each([
    ['null', null],
    ['an object without now', {}],
    ['now that is not a function', { now: 42 }],
    ['a number', 42],
    ['a string', 'system'],
  ])('refuses %s, naming the clock field', (_, clock) => {
    expect(refused({ ...valid, clock }).field).toBe('clock')
  })
})

describe('logger: a function given every LogLine', () => {
  const line: LogLine = { level: 'info', event: 'http', message: 'Nexus GET /members answered HTTP 200' }

  it('passes each line to the logger', () => {
    const lines: LogLine[] = []
    const config = ok({ ...valid, logger: (l: LogLine) => lines.push(l) })
    config.log?.(line)
    expect(lines).toEqual([line])
  })

  it('a logger that throws never throws into the request layer', () => {
    const config = ok({
      ...valid,
      logger: () => {
        throw new Error('disk full')
      },
    })
    expect(config.log).toBeTypeOf('function')
    expect(() => config.log?.(line)).not.toThrow()
  })

  it('refuses a logger that is not a function, naming the field', () => {
    expect(refused({ ...valid, logger: { log: () => undefined } }).field).toBe('logger')
  })
})

describe('endpoints', () => {
  it('drops every trailing slash of a base path (Endpoint: no trailing slash)', () => {
    const config = ok({ ...valid, nexusUrl: 'http://127.0.0.1:9/nexus//', ssoUrl: 'http://127.0.0.1:9/' })
    expect(config.nexus).toEqual({ origin: 'http://127.0.0.1:9', basePath: '/nexus' })
    expect(config.sso).toEqual({ origin: 'http://127.0.0.1:9', basePath: '' })
  })

  it('resolves the MDX endpoint when given, and accepts createUsers with it (§1.2, §1.3)', () => {
    const config = ok({ ...valid, mdxUrl: 'http://127.0.0.1:9/mdx/', createUsers: true })
    expect(config.mdx).toEqual({ origin: 'http://127.0.0.1:9', basePath: '/mdx' })
    expect(config.createUsers).toBe(true)
    expect(ok(valid).mdx).toBeUndefined()
    expect(ok(valid).createUsers).toBe(false)
  })
})

describe('apiKey: a string or Redacted', () => {
  it('keeps a Redacted key as given', () => {
    const apiKey = Redacted.make('KEY-redacted')
    const config = ok({ ...valid, apiKey })
    expect(Redacted.value(config.apiKey)).toBe('KEY-redacted')
  })
})

describe('ConfigError messages say what the field must be, never the value', () => {
  it('gives the rule the field broke', () => {
    expect(refused({ ...valid, clientId: '' }).message).toBe(
      'Invalid Nexus client config: clientId must be a non-empty string',
    )
    expect(refused({ ...valid, logger: 'console' }).message).toBe(
      'Invalid Nexus client config: logger must be a function',
    )
  })
})
