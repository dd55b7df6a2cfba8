import { StoreError } from './errors.js'
import { checkGuid, checkPositive, checkText, checkTime } from './validate.js'
import type { InstanceRecord, SweepJournal } from './types.js'

// Input checks for the durability tables (instances, sweep journal, quarantine), shared by every store so
// they agree on what is valid. Like prepare.ts: validate everything before anything is written.

/** The longest quarantine reason kept (longer ones are cut, they are diagnostics). */
const MAX_REASON = 1024
/** The most members one sweep journal takes. */
const MAX_SWEEP_MEMBERS = 1_000_000

function invalid(field: string, message: string): StoreError {
  return new StoreError({ reason: 'invalid', field, message: `${field}: ${message}` })
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(field, 'must be an object')
  return value as Record<string, unknown>
}

export function prepareInstance(value: unknown): InstanceRecord {
  const o = object(value, 'instance')
  return {
    id: checkText(o.id, 'instance.id'),
    owner: checkText(o.owner, 'instance.owner'),
    host: checkText(o.host, 'instance.host'),
    pid: checkPositive(o.pid, 'instance.pid'),
    startedAt: checkTime(o.startedAt, 'instance.startedAt'),
  }
}

export function prepareSweep(value: unknown): SweepJournal {
  const o = object(value, 'sweep')
  const members = o.members
  if (!Array.isArray(members) || members.length > MAX_SWEEP_MEMBERS)
    throw invalid('sweep.members', `must be an array of at most ${MAX_SWEEP_MEMBERS} members`)
  const seen = new Set<string>()
  return {
    id: checkText(o.id, 'sweep.id'),
    holder: checkText(o.holder, 'sweep.holder'),
    startedAt: checkTime(o.startedAt, 'sweep.startedAt'),
    members: members.map((m: unknown, i) => {
      const member = object(m, `sweep.members[${i}]`)
      const memberGuid = checkGuid(member.memberGuid, `sweep.members[${i}].memberGuid`)
      if (seen.has(memberGuid)) throw invalid(`sweep.members[${i}].memberGuid`, 'is listed twice')
      seen.add(memberGuid)
      return { userId: checkText(member.userId, `sweep.members[${i}].userId`), memberGuid }
    }),
  }
}

export function prepareQuarantine(guid: unknown, reason: unknown): { memberGuid: string; reason: string } {
  const memberGuid = checkGuid(guid)
  if (typeof reason !== 'string' || reason.length === 0) throw invalid('reason', 'must be a non-empty string')
  // Control characters become spaces: a reason quotes an error message, which may hold anything.
  const clean = reason.replace(/[\p{Cc}\p{Cs}]/gu, ' ').slice(0, MAX_REASON)
  return { memberGuid, reason: clean }
}

export function prepareTakeOver(
  guid: unknown,
  from: unknown,
  to: unknown,
): { memberGuid: string; from: string; to: string } {
  const memberGuid = checkGuid(guid)
  return {
    memberGuid,
    from: checkText(from, 'from', undefined, memberGuid),
    to: checkText(to, 'to', undefined, memberGuid),
  }
}
