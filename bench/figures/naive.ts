import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent } from 'undici'
import { NEXUS_MEDIA_TYPE, SSO_MEDIA_TYPE } from '../../src/services/media-types.js'
import { CORRECT_ANSWER, SCENARIO_USERNAME } from '../../src/simulator/index.js'

// The naive baseline of figure 4 (issues 7, 15): what MX's sample apps do per member: a new session per
// member, a read every 3 s (scaled) while a job runs, no store, no validation beyond JSON.parse, the same
// playbooks as the lifecycle (§8.0) so both reach the same outcomes. The sweep worker runs it at the
// reconnector's concurrency (bench/lib/limit.ts), the way a user would write the loop with p-limit.

/** Where the naive client talks. */
export interface NaiveEnv {
  readonly nexusUrl: string
  readonly ssoUrl: string
  readonly clientId: string
  readonly apiKey: string
  /** The fixed poll, in real ms (3 s × time scale). */
  readonly pollMs: number
  /** Keep-alive connections per origin (default 32, the library Transport's default). */
  readonly connections?: number
}

/** A member the naive client reconnects. */
export interface NaiveMember {
  readonly userId: string
  readonly memberGuid: string
  readonly password: string
}

/** One member's result. */
export interface NaiveResult {
  readonly outcome: string
  readonly requests: number
  readonly ms: number
}

interface RawMember {
  readonly connection_status: string | null
  readonly is_being_aggregated: boolean | null
}
interface RawField {
  readonly guid: string
  readonly field_type_name?: string
}
interface RawChallenge {
  readonly guid: string
  readonly options?: readonly { readonly value: string }[]
  readonly image_options?: readonly { readonly value: string }[]
}

const TRANSIENT = new Set(['CREATED', 'UPDATED', 'DELAYED', 'RESUMED', 'RECONNECTED'])
const NEEDS_CREDENTIALS = new Set(['DENIED', 'PREVENTED', 'IMPAIRED', 'IMPORTED'])

/** A naive client over one keep-alive Agent (sample apps keep their HTTP client). */
export function naiveClient(env: NaiveEnv) {
  const agent = new Agent({ connections: env.connections ?? 32 })
  const nexus = new URL(env.nexusUrl)
  const sso = new URL(env.ssoUrl)

  async function call<T>(
    url: URL,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<T> {
    const res = await agent.request({
      origin: url.origin,
      path: url.pathname.replace(/\/$/, '') + path,
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    })
    const text = await res.body.text()
    if (res.statusCode >= 300) throw new Error(`naive: ${method} ${path} answered ${res.statusCode}`)
    return JSON.parse(text) as T
  }

  async function reconnect(member: NaiveMember): Promise<NaiveResult> {
    const t0 = performance.now()
    let requests = 0
    const counted = <T>(...args: Parameters<typeof call>) => {
      requests += 1
      return call<T>(...args)
    }
    // A new session for every member (§1.3, §1.4).
    const { api_token } = await counted<{ api_token: { token: string } }>(
      sso,
      'GET',
      `/${env.clientId}/users/${member.userId}/api_token.json`,
      { 'md-api-key': env.apiKey, accept: SSO_MEDIA_TYPE },
    )
    const { session } = await counted<{ session: { token: string } }>(
      nexus,
      'POST',
      '/sessions',
      { 'md-api-token': api_token.token, accept: NEXUS_MEDIA_TYPE, 'content-type': NEXUS_MEDIA_TYPE },
      '{"session":{"skip_aggregation":true}}',
    )
    const headers = {
      'md-session-token': session.token,
      accept: NEXUS_MEDIA_TYPE,
      'content-type': NEXUS_MEDIA_TYPE,
    }
    const m = `/members/${member.memberGuid}`
    let credentials = 0
    let mfa = 0
    const end = (outcome: string): NaiveResult => ({ outcome, requests, ms: performance.now() - t0 })
    let failures = 0
    for (let step = 0; step < 500; step++) {
      try {
        const { member: read } = await counted<{ member: RawMember }>(nexus, 'GET', m, headers)
        const status = read.connection_status ?? 'NONE'
        if (status === 'CHALLENGED') {
          if (mfa >= 5) return end('needsMfa')
          const { challenges } = await counted<{ challenges: RawChallenge[] }>(
            nexus,
            'GET',
            `${m}/challenges`,
            headers,
          )
          const answers = challenges.map((c) => {
            const options = c.options ?? c.image_options ?? []
            return {
              guid: c.guid,
              value: options.find((o) => o.value === CORRECT_ANSWER)?.value ?? CORRECT_ANSWER,
            }
          })
          await counted(nexus, 'PUT', `${m}/resume`, headers, JSON.stringify({ challenges: answers }))
          mfa += 1
        } else if (read.is_being_aggregated === true || TRANSIENT.has(status)) {
          // keep polling
        } else if (status === 'CONNECTED') {
          return end('connected')
        } else if (NEEDS_CREDENTIALS.has(status)) {
          if (credentials >= 3) return end('needsCredentials')
          const { credentials: fields } = await counted<{ credentials: RawField[] }>(
            nexus,
            'GET',
            `${m}/credentials`,
            headers,
          )
          const values = fields.map((f) => ({
            credential_guid: f.guid,
            value:
              f.field_type_name === 'PASSWORD'
                ? member.password
                : f.field_type_name === 'LOGIN'
                  ? SCENARIO_USERNAME
                  : '1234',
          }))
          await counted(nexus, 'PUT', m, headers, JSON.stringify({ member: { credentials: values } }))
          credentials += 1
        } else if (status === 'REJECTED' || status === 'EXPIRED') {
          if (mfa >= 5) return end('needsMfa')
          await counted(nexus, 'GET', `${m}/aggregate`, headers)
          mfa += 1
        } else if (status === 'PENDING') {
          await counted(nexus, 'GET', `${m}/oauth_window_uri`, headers)
          return end('needsOAuth')
        } else if (status === 'LOCKED' || status === 'IMPEDED') {
          return end('needsUserAtInstitution')
        } else if (status === 'DEGRADED' || status === 'DISCONNECTED' || status === 'FAILED') {
          return end('retryLater')
        } else {
          return end('unrecoverable')
        }
      } catch {
        // A call answered an error (e.g. a resume after the challenge expired under a loaded machine):
        // read the member again at the next poll, as a careful loop would; give up after a few.
        failures += 1
        if (failures > 3) return end('error')
      }
      // The sample apps' fixed poll: 3 s between reads (§8.1), scaled.
      await sleep(env.pollMs)
    }
    return end('retryLater')
  }

  return { reconnect, close: () => agent.close() }
}
