import type { IncomingMessage, ServerResponse } from 'node:http'
import { isKnownStatus } from '../domain/index.js'
import { MAX_ADVANCE_MS } from './clock.js'
import type { SimulatorCore } from './core.js'
import type { FaultSpec } from './faults.js'
import type { SimApi } from './protocol.js'
import { isRecord } from './respond.js'
import { SeedError, type CreateMemberInput, type MemberState } from './seed.js'

/**
 * Out-of-process control under `/_sim/` (simulator.md): seed users and members, read the request log and a
 * member's full state, inject faults, expire sessions, move the clock. Off unless the simulator was started
 * with `control: true` (the CLI turns it on). Control traffic is not part of the request log.
 */

/** What the control routes need from the simulator. */
export interface ControlTarget {
  readonly core: SimulatorCore
  info(): Record<string, unknown>
  createUser(input: { id?: string; email?: string }): { id: string; guid: string }
  createMember(input: CreateMemberInput): string
  member(guid: string): MemberState | undefined
  members(userId?: string): MemberState[]
  expireSessions(): number
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > 1 << 20) throw new ControlError(413, 'body too large')
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8').trim()
  if (text === '') return {}
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new ControlError(400, 'body is not valid JSON')
  }
}

const str = (v: unknown, name: string): string | undefined => {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw new ControlError(400, `${name} must be a string`)
  return v
}
const num = (v: unknown, name: string): number | undefined => {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ControlError(400, `${name} must be a finite number`)
  return v
}

/** A path segment, percent-decoded; bad encoding (`%`, `%zz`) is the caller's mistake: 400, not 500. */
const segment = (raw: string, name: string): string => {
  try {
    return decodeURIComponent(raw)
  } catch {
    throw new ControlError(400, `${name} is not valid percent-encoding`)
  }
}
const bool = (v: unknown, name: string): boolean | undefined => {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'boolean') throw new ControlError(400, `${name} must be a boolean`)
  return v
}

function memberInput(body: Record<string, unknown>): CreateMemberInput {
  const userId = str(body.userId, 'userId')
  if (userId === undefined || userId === '') throw new ControlError(400, 'userId is required')
  // `"status": null` seeds a member with no connection status (§4: no credentials, e.g. a manual member).
  const status = body.status === null ? null : str(body.status, 'status')
  if (status !== undefined && status !== null && !isKnownStatus(status)) {
    throw new ControlError(400, `unknown status ${status}`)
  }
  let credentials: Record<string, string> | undefined
  if (body.credentials !== undefined) {
    if (!isRecord(body.credentials)) throw new ControlError(400, 'credentials must be an object of strings')
    credentials = {}
    for (const [k, v] of Object.entries(body.credentials)) credentials[k] = str(v, `credentials.${k}`) ?? ''
  }
  const useCases = body.useCases
  if (useCases !== undefined && (!Array.isArray(useCases) || !useCases.every((u) => typeof u === 'string'))) {
    throw new ControlError(400, 'useCases must be an array of strings')
  }
  const input: Record<string, unknown> = {
    userId,
    institutionCode: str(body.institutionCode, 'institutionCode'),
    username: str(body.username, 'username'),
    password: str(body.password, 'password'),
    credentials,
    status,
    aggregating: bool(body.aggregating, 'aggregating'),
    guid: str(body.guid, 'guid'),
    externalGuid: str(body.externalGuid, 'externalGuid'),
    metadata: str(body.metadata, 'metadata'),
    name: str(body.name, 'name'),
    useCases,
  }
  for (const key of Object.keys(input)) if (input[key] === undefined) delete input[key]
  return input as unknown as CreateMemberInput
}

const APIS: readonly SimApi[] = ['nexus', 'sso', 'mdx', 'oauth']

function apiName(value: string | undefined): SimApi | undefined {
  if (value === undefined) return undefined
  const found = APIS.find((a) => a === value)
  if (found === undefined) throw new ControlError(400, `api must be one of ${APIS.join(', ')}`)
  return found
}

function faultInput(body: Record<string, unknown>): FaultSpec {
  const spec: Record<string, unknown> = {
    method: str(body.method, 'method'),
    path: str(body.path, 'path'),
    api: apiName(str(body.api, 'api')),
    kind: str(body.kind, 'kind'),
    status: num(body.status, 'status'),
    retryAfterSeconds: num(body.retryAfterSeconds, 'retryAfterSeconds'),
    latencyMs: num(body.latencyMs, 'latencyMs'),
    times: num(body.times, 'times'),
    probability: num(body.probability, 'probability'),
    applied: bool(body.applied, 'applied'),
  }
  for (const key of Object.keys(spec)) if (spec[key] === undefined) delete spec[key]
  // Kind and the remaining ranges are validated by compileFault (a TypeError → 400).
  const validated: FaultSpec = spec
  return validated
}

/** Creates the `/_sim/` handler for `target`. */
export function createControl(target: ControlTarget) {
  return async (req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> => {
    try {
      const method = (req.method ?? 'GET').toUpperCase()
      const parts = path
        .split('/')
        .filter((s) => s !== '')
        .slice(1)
      const key = `${method} /${parts.map((p, i) => (i === 1 && parts[0] !== 'sessions' && parts[0] !== 'clock' ? ':id' : p)).join('/')}`
      const id = parts[1] ?? ''
      const { core } = target
      switch (key) {
        case 'GET /':
          return reply(res, 200, target.info())
        case 'POST /users': {
          const body = await readJson(req)
          if (!isRecord(body)) throw new ControlError(400, 'body must be an object')
          const input: { id?: string; email?: string } = {}
          const userId = str(body.id, 'id')
          const email = str(body.email, 'email')
          if (userId !== undefined) input.id = userId
          if (email !== undefined) input.email = email
          return reply(res, 200, { user: target.createUser(input) })
        }
        case 'POST /members': {
          const body = await readJson(req)
          if (!isRecord(body)) throw new ControlError(400, 'body must be an object')
          const guid = target.createMember(memberInput(body))
          return reply(res, 200, { member: target.member(guid) })
        }
        case 'GET /members': {
          const userId = new URLSearchParams(query).get('userId') ?? undefined
          return reply(res, 200, { members: target.members(userId) })
        }
        case 'GET /members/:id': {
          const state = target.member(segment(id, 'member guid'))
          return state === undefined
            ? reply(res, 404, { error: 'member not found' })
            : reply(res, 200, { member: state })
        }
        case 'GET /requests': {
          // `?since=N` returns only entries after sequence number N (cheap tailing for long runs).
          const since = Number(new URLSearchParams(query).get('since') ?? '0')
          const all = core.log.toArray()
          const requests = Number.isFinite(since) && since > 0 ? all.filter((e) => e.seq > since) : all
          return reply(res, 200, { requests, dropped: core.log.dropped })
        }
        case 'DELETE /requests':
          core.log.clear()
          return reply(res, 200, {})
        case 'GET /faults':
          return reply(res, 200, { faults: core.faults.list() })
        case 'POST /faults': {
          const body = await readJson(req)
          if (!isRecord(body)) throw new ControlError(400, 'body must be an object')
          const rule = core.faults.add(faultInput(body))
          return reply(res, 200, { fault: core.faults.list().find((f) => f.id === rule.id) })
        }
        case 'DELETE /faults':
          core.faults.clear()
          return reply(res, 200, {})
        case 'DELETE /faults/:id':
          return core.faults.remove(Number(id))
            ? reply(res, 200, {})
            : reply(res, 404, { error: 'fault not found' })
        case 'POST /sessions/expire':
          return reply(res, 200, { expired: target.expireSessions() })
        case 'POST /clock/advance': {
          const body = await readJson(req)
          const ms = isRecord(body) ? num(body.ms, 'ms') : undefined
          if (ms === undefined || ms < 0 || ms > MAX_ADVANCE_MS) {
            throw new ControlError(400, `ms must be a finite number between 0 and ${MAX_ADVANCE_MS}`)
          }
          return reply(res, 200, { now: core.advanceTime(ms) })
        }
        case 'GET /clock':
          return reply(res, 200, { now: core.now() })
        case 'GET /stats':
          return reply(res, 200, core.stats())
        case 'GET /webhooks':
          return reply(res, 200, { deliveries: core.webhooks?.deliveries() ?? [] })
        default:
          return reply(res, 404, { error: `no control route ${method} ${path}` })
      }
    } catch (error) {
      if (error instanceof ControlError) return reply(res, error.status, { error: error.message })
      if (error instanceof SeedError || error instanceof TypeError || error instanceof RangeError) {
        return reply(res, 400, { error: error.message })
      }
      return reply(res, 500, { error: 'control route failed' })
    }
  }
}
