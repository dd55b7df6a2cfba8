import { describe, expect, it } from 'vitest'
import { createSecretVault } from '../../src/bridge/vault.js'
import { SimClock } from '../support/lifecycle-clock.js'

// The vault holds submitted values between the host's submit and the request (decisions/0003).

describe('secret vault', () => {
  const values = [{ guid: 'CRD-1', value: 'hunter2-secret' }]

  it('hands values to one request at a time, and takes them back after a retryable failure', () => {
    const vault = createSecretVault({ clock: new SimClock() })
    const id = vault.deposit(values, 'actor-1')
    expect(vault.checkout(id)).toEqual(values)
    expect(vault.checkout(id)).toBeUndefined() // in flight
    vault.checkin(id)
    expect(vault.checkout(id)).toEqual(values)
    vault.discard(id)
    expect(vault.checkout(id)).toBeUndefined()
    expect(vault.size()).toBe(0)
  })

  it('copies what it is given (a host reusing its array cannot change a submission)', () => {
    const vault = createSecretVault({ clock: new SimClock() })
    const mutable = [{ guid: 'CRD-1', value: 'a-long-value' }]
    const id = vault.deposit(mutable, 'actor-1')
    mutable[0]!.value = 'changed'
    expect(vault.checkout(id)).toEqual([{ guid: 'CRD-1', value: 'a-long-value' }])
  })

  it('forgets everything an owner deposited', () => {
    const vault = createSecretVault({ clock: new SimClock() })
    vault.deposit(values, 'actor-1')
    vault.deposit(values, 'actor-1')
    const other = vault.deposit(values, 'actor-2')
    vault.discardOwner('actor-1')
    expect(vault.size()).toBe(1)
    expect(vault.checkout(other)).toEqual(values)
  })

  it('expires unsent submissions after the TTL', () => {
    const clock = new SimClock()
    const vault = createSecretVault({ clock, ttlMs: 1_000 })
    const id = vault.deposit(values, 'actor-1')
    clock.at(clock.now() + 1_000, () => undefined)
    clock.advance()
    expect(vault.checkout(id)).toBeUndefined()
    expect(vault.size()).toBe(0)
  })

  it('gives ids that say nothing about the values', () => {
    const vault = createSecretVault({ clock: new SimClock() })
    const id = vault.deposit(values, 'actor-1')
    expect(id).toMatch(/^sub-[0-9a-f-]{36}$/)
    expect(id).not.toContain('hunter2')
  })
})
