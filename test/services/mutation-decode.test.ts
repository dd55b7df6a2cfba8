import { Either } from 'effect'
import { z } from 'zod'
import { describe, expect, it } from 'vitest'
import { DecodeError } from '../../src/domain/index.js'
import { decodeBody } from '../../src/services/decode.js'

// Written against the mutants Stryker left alive in src/services/decode.ts (docs/testing.md). The oracle:
// docs/errors.md (`DecodeError`: a reply did not match its schema; `api`, `method`, `path`, `issues`; every
// message is written by this library and never quotes the reply) and house rule 5 (every byte from the
// network passes a schema, and the error names the failing paths).

const request = { api: 'nexus', method: 'GET', path: '/members/MBR-1' } as const
const schema = z.object({ member: z.object({ guid: z.string(), name: z.string() }) })

const failure = (text: string): DecodeError => {
  const result = decodeBody(request, text, schema)
  if (Either.isRight(result)) throw new Error('expected a DecodeError')
  expect(result.left).toBeInstanceOf(DecodeError)
  expect(result.left).toMatchObject(request)
  return result.left
}

describe('decodeBody', () => {
  it('names each failing path, dotted, with what was wrong', () => {
    const error = failure(JSON.stringify({ member: { guid: 42, name: 'SECRET-name-ok' } }))
    expect(error.issues).toHaveLength(1)
    expect(error.issues[0]).toMatch(/^member\.guid: \S/)
    expect(error.message).toContain('GET /members/MBR-1')
    expect(error.message).toContain(error.issues[0])
  })

  it('names the root when the whole reply has the wrong shape', () => {
    const error = failure('42')
    expect(error.issues).toHaveLength(1)
    expect(error.issues[0]).toMatch(/^\(root\): \S/)
    expect(error.message).toContain(error.issues[0])
  })

  it('lists one line per failing path', () => {
    const error = failure(JSON.stringify({ member: { guid: 1, name: 2 } }))
    expect(error.issues.map((line) => line.split(':')[0])).toEqual(['member.guid', 'member.name'])
  })

  it('a body that is not JSON names the request, not the body', () => {
    const error = failure('{"member": {"guid": "TOKEN-do-not-echo"')
    expect(error.message).toContain('GET /members/MBR-1')
    expect(error.message).not.toContain('TOKEN-do-not-echo')
    expect(error.issues.join(' ')).not.toContain('TOKEN-do-not-echo')
  })
})
