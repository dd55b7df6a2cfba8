import { inspect } from 'node:util'
import { Either, Redacted } from 'effect'
import { describe, expect, it } from 'vitest'
import { createNexusClient } from '../../src/client/index.js'
import { ConfigError } from '../../src/domain/index.js'
import { parseConfig } from '../../src/services/config.js'

const valid = {
  nexusUrl: 'http://127.0.0.1:9/nexus/',
  ssoUrl: 'http://127.0.0.1:9/sso',
  clientId: 'client-1',
  apiKey: 'KEY-do-not-echo',
}

const errorOf = (input: unknown) => {
  const result = parseConfig(input)
  if (Either.isRight(result)) throw new Error('expected a ConfigError')
  return result.left
}

describe('parseConfig', () => {
  it('fills defaults and keeps the API key redacted', () => {
    const result = parseConfig(valid)
    if (Either.isLeft(result)) throw result.left
    const config = result.right
    expect(config.nexus).toEqual({ origin: 'http://127.0.0.1:9', basePath: '/nexus' })
    expect(config.sso).toEqual({ origin: 'http://127.0.0.1:9', basePath: '/sso' })
    expect(config.retry).toEqual({ reads: 3, writes: 2, baseDelayMs: 200, maxDelayMs: 5000 })
    expect(config.sessionTtlMs).toBe(30 * 60_000)
    expect(Redacted.value(config.apiKey)).toBe('KEY-do-not-echo')
    expect(JSON.stringify(config) + inspect(config, { depth: 5 })).not.toContain('KEY-do-not-echo')
  })

  it('merges a partial retry budget over the defaults', () => {
    const result = parseConfig({ ...valid, retry: { reads: 7 } })
    expect(Either.isRight(result) && result.right.retry).toEqual({
      reads: 7,
      writes: 2,
      baseDelayMs: 200,
      maxDelayMs: 5000,
    })
  })

  it.each([
    [{ ...valid, nexusUrl: 'not a url' }, 'nexusUrl'],
    [{ ...valid, ssoUrl: 'ftp://example.test' }, 'ssoUrl'],
    [{ ...valid, clientId: '' }, 'clientId'],
    [{ ...valid, apiKey: 42 }, 'apiKey'],
    [{ ...valid, timeoutMs: -1 }, 'timeoutMs'],
    [{ ...valid, retry: { reads: 1.5 } }, 'retry.reads'],
    [{ ...valid, logger: 'console' }, 'logger'],
    [{ ...valid, createUsers: true }, 'mdxUrl'],
    [{ nexusUrl: valid.nexusUrl }, 'ssoUrl'],
  ])('names the bad field (%#)', (input, field) => {
    const error = errorOf(input)
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.field).toBe(field)
    expect(error.message).toContain(field)
  })

  it('never echoes a bad value (it may be the key)', () => {
    const error = errorOf({ ...valid, apiKey: ['KEY-do-not-echo'] })
    expect(JSON.stringify(error) + error.message).not.toContain('KEY-do-not-echo')
  })

  it('createNexusClient throws the ConfigError itself', () => {
    expect(() => createNexusClient({ ...valid, clientId: '' })).toThrow(ConfigError)
  })

  it.each([undefined, null, 'https://int-data.moneydesktop.com', []])(
    'createNexusClient(%j) is a ConfigError about the config, not a TypeError',
    (input) => {
      const call = () => createNexusClient(input as unknown as typeof valid)
      expect(call).toThrow(ConfigError)
      expect(call).toThrow(/^Invalid Nexus client config: config /)
    },
  )
})
