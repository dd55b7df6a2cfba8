import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { memberLifecycleMachine, toMermaid } from '../../machines/member-lifecycle/index.js'
import { DOC_PATH, withDiagram } from '../../scripts/generate-diagram.js'

// The diagram in docs/lifecycle.md is generated from the machine (house rule 12): stale means failing.

describe('docs/lifecycle.md diagram', () => {
  it('is the one the machine generates (run `npm run docs` after changing the machine)', () => {
    const doc = readFileSync(DOC_PATH, 'utf8')
    expect(withDiagram(doc)).toBe(doc)
  })

  it('draws every state and every outcome', () => {
    const mermaid = toMermaid(memberLifecycleMachine)
    for (const state of [
      'loadingMember',
      'routing',
      'credentials_awaiting',
      'mfa_resuming',
      'waitingOnJob_reading',
      'backingOff',
    ]) {
      expect(mermaid).toContain(state)
    }
    for (const outcome of [
      'connected',
      'needsCredentials',
      'needsMfa',
      'needsOAuth',
      'cancelled',
      'failed',
    ]) {
      expect(mermaid).toContain(`${outcome} --> [*]`)
    }
  })
})
