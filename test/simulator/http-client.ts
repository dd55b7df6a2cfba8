import { Agent, request } from 'undici'
import { schemas, type Challenge, type Member } from '../../src/domain/index.js'
import type { Simulator } from '../../src/simulator/index.js'

const NEXUS = 'application/vnd.mx.nexus.v1+json'

/** A reply as the tests read it. */
export interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly text: string
  json(): unknown
}

/** A small real-HTTP client (undici) for the simulator tests: no mocks, real sockets on 127.0.0.1. */
export class SimClient {
  readonly agent = new Agent({ keepAliveTimeout: 1_000, connections: 16 })

  constructor(readonly sim: Simulator) {}

  async call(
    method: string,
    url: string,
    init: { headers?: Record<string, string>; body?: unknown } = {},
  ): Promise<Reply> {
    const body =
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body)
    const res = await request(url, {
      method: method as 'GET',
      headers: { accept: NEXUS, ...(body === undefined ? {} : { 'content-type': NEXUS }), ...init.headers },
      ...(body === undefined ? {} : { body }),
      dispatcher: this.agent,
    })
    const text = await res.body.text()
    return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as unknown }
  }

  async apiToken(userId: string): Promise<string> {
    const r = await this.call(
      'GET',
      `${this.sim.ssoUrl}/${this.sim.clientId}/users/${userId}/api_token.json`,
      {
        headers: { 'MD-API-KEY': this.sim.apiKey, accept: 'application/vnd.moneydesktop.sso.v3+json' },
      },
    )
    if (r.status !== 200) throw new Error(`api token ${r.status}`)
    return schemas.apiToken.parse(r.json()).api_token.token
  }

  async login(userId: string, skipAggregation = true): Promise<string> {
    const r = await this.call('POST', `${this.sim.nexusUrl}/sessions`, {
      headers: { 'MD-API-TOKEN': await this.apiToken(userId) },
      body: { session: { skip_aggregation: skipAggregation } },
    })
    if (r.status !== 200) throw new Error(`session ${r.status}`)
    return schemas.session.parse(r.json()).session.token
  }

  nexus(
    session: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    return this.call(method, `${this.sim.nexusUrl}${path}`, {
      headers: { 'MD-SESSION-TOKEN': session, ...headers },
      ...(body === undefined ? {} : { body }),
    })
  }

  async member(session: string, guid: string): Promise<Member> {
    const r = await this.nexus(session, 'GET', `/members/${guid}`)
    if (r.status !== 200) throw new Error(`read member ${r.status}`)
    return schemas.member.parse(r.json()).member
  }

  async credentialGuids(session: string, guid: string): Promise<string[]> {
    const r = await this.nexus(session, 'GET', `/members/${guid}/credentials`)
    return schemas.credentials.parse(r.json()).credentials.map((c) => c.guid)
  }

  async challenges(session: string, guid: string): Promise<Challenge[]> {
    return schemas.challenges.parse((await this.nexus(session, 'GET', `/members/${guid}/challenges`)).json())
      .challenges
  }

  async update(session: string, guid: string, password: string, username = 'mxuser'): Promise<Reply> {
    const [login, pass] = await this.credentialGuids(session, guid)
    return this.nexus(session, 'PUT', `/members/${guid}`, {
      member: {
        credentials: [
          { credential_guid: login, value: username },
          { credential_guid: pass, value: password },
        ],
      },
    })
  }

  async resume(
    session: string,
    guid: string,
    answer: (c: Challenge) => string = () => 'correct',
  ): Promise<Reply> {
    const round = await this.challenges(session, guid)
    return this.nexus(session, 'PUT', `/members/${guid}/resume`, {
      challenges: round.map((c) => ({ guid: c.guid, value: answer(c) })),
    })
  }

  close(): Promise<void> {
    return this.agent.close()
  }
}

/** The correct answer for any challenge (options: the correct option's value). */
export const correctAnswer = (c: Challenge): string => {
  const options = c.options ?? c.image_options
  return options ? (options.find((o) => o.value === 'correct')?.value ?? 'correct') : 'correct'
}
