import { schemas, type Challenge, type Member } from '../../src/domain/index.js'
import {
  createState,
  step,
  type SimRequest,
  type SimState,
  type StateOptions,
  type StepResult,
} from '../../src/simulator/index.js'
import type { Effect } from '../../src/simulator/protocol.js'
import { seedMember, type CreateMemberInput } from '../../src/simulator/seed.js'

/** Drives the pure model directly: requests in, replies out, simulated time moved by hand. */
export class ModelDriver {
  readonly state: SimState
  now = Date.UTC(2024, 0, 1, 12, 0, 0)
  readonly effects: Effect[] = []

  constructor(options: StateOptions = {}) {
    this.state = createState({ seed: 7, ...options })
  }

  request(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: unknown; query?: string; bodyInvalid?: boolean } = {},
  ): StepResult {
    const req: SimRequest = {
      method,
      path,
      query: init.query ?? '',
      headers: lower(init.headers ?? {}),
      body: init.body,
      ...(init.bodyInvalid === true ? { bodyInvalid: true } : {}),
    }
    const result = step(this.state, req, this.now)
    this.effects.push(...result.effects)
    return result
  }

  /** MX error code of a reply (`{"error": {"code"}}`). */
  code(result: StepResult): number | string | undefined {
    return schemas.error.parse(result.response.body).error.code
  }

  advance(ms: number): void {
    this.now += ms
  }

  seed(input: CreateMemberInput): string {
    return seedMember(this.state, input, this.now).guid
  }

  apiToken(userId: string): string {
    const r = this.request('GET', `/sso/${this.state.options.clientId}/users/${userId}/api_token.json`, {
      headers: { 'MD-API-KEY': this.state.options.apiKey },
    })
    if (r.response.status !== 200) throw new Error(`api token: ${r.response.status}`)
    return (r.response.body as { api_token: { token: string } }).api_token.token
  }

  /** SSO token + session with skip_aggregation; returns the session token. */
  login(userId: string, skipAggregation = true): string {
    const r = this.request('POST', '/sessions', {
      headers: { 'MD-API-TOKEN': this.apiToken(userId) },
      body: { session: { skip_aggregation: skipAggregation } },
    })
    if (r.response.status !== 200) throw new Error(`session: ${r.response.status}`)
    return (r.response.body as { session: { token: string } }).session.token
  }

  /** A request with `MD-SESSION-TOKEN`. */
  as(session: string, method: string, path: string, body?: unknown, query?: string): StepResult {
    return this.request(method, path, {
      headers: { 'MD-SESSION-TOKEN': session },
      ...(body === undefined ? {} : { body }),
      ...(query === undefined ? {} : { query }),
    })
  }

  /** The member as `GET /members/{guid}` answers it, decoded with the project's schema. */
  member(session: string, guid: string): Member {
    const r = this.as(session, 'GET', `/members/${guid}`)
    if (r.response.status !== 200) throw new Error(`read member: ${r.response.status}`)
    return schemas.member.parse(r.response.body).member
  }

  credentialGuids(session: string, guid: string): string[] {
    const r = this.as(session, 'GET', `/members/${guid}/credentials`)
    return schemas.credentials.parse(r.response.body).credentials.map((c) => c.guid)
  }

  challenges(session: string, guid: string): Challenge[] {
    return schemas.challenges.parse(this.as(session, 'GET', `/members/${guid}/challenges`).response.body)
      .challenges
  }

  /** PUT new credentials (rooted, `credential_guid` keys as MX's guide writes them). */
  update(session: string, guid: string, password: string, username = 'mxuser'): StepResult {
    const [login, pass] = this.credentialGuids(session, guid)
    return this.as(session, 'PUT', `/members/${guid}`, {
      member: {
        credentials: [
          { credential_guid: login, value: username },
          { credential_guid: pass, value: password },
        ],
      },
    })
  }

  /** Answers the current round with `answer` for every challenge (options: the value given). */
  resume(
    session: string,
    guid: string,
    answer: (challenge: Challenge) => string = () => 'correct',
  ): StepResult {
    const round = this.challenges(session, guid)
    return this.as(session, 'PUT', `/members/${guid}/resume`, {
      challenges: round.map((c) => ({ guid: c.guid, value: answer(c) })),
    })
  }

  /** Advances one job phase. */
  phase(): void {
    this.advance(this.state.options.jobDurationMs)
  }
}

function lower(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v
  return out
}
