import type { Challenge, CredentialField, Job, JobStart, Member } from '../domain/index.js'

/**
 * A credential value or an MFA answer: `{ guid, value }`. `value` is a secret and is never logged.
 *
 * @example
 * ```ts
 * const password: SecretValue = { guid: 'CRD-2', value: formData.password }
 * await client.updateMember({ userId, memberGuid, credentials: [password] })
 * ```
 */
export interface SecretValue {
  readonly guid: string
  readonly value: string
}

/**
 * Every call names the partner user whose session it runs in (Nexus reference §1).
 *
 * @example
 * ```ts
 * const scope: UserScoped = { userId: 'partner-user-1', signal: AbortSignal.timeout(30_000) }
 * const members = await client.listMembers(scope)
 * ```
 */
export interface UserScoped {
  readonly userId: string
  /** Abort the call (and any retry wait). */
  readonly signal?: AbortSignal
}

/**
 * Counters a client keeps about its own traffic (for reports and benchmarks).
 *
 * @example
 * ```ts
 * const stats: ClientStats = client.stats()
 * console.log(`${stats.requests} requests, ${stats.sessionsOpened} sessions opened`)
 * ```
 */
export interface ClientStats {
  /** HTTP requests sent to Nexus, SSO and MDX, retries and replays included. */
  readonly requests: number
  /** Nexus sessions opened (`POST /sessions`). */
  readonly sessionsOpened: number
}

/**
 * The promise facade over the Nexus services. Every method resolves to the decoded resource or rejects
 * with a tagged error (`TransportError`, `HttpError`, `DecodeError`, `SessionExpiredError`, `ConfigError`;
 * `ArgumentError`, before any I/O, when an argument is missing or malformed).
 *
 * @example
 * ```ts
 * const client: NexusClientApi = createNexusClient(config)
 * const member = await client.readMember({ userId: 'partner-user-1', memberGuid: 'MBR-1' })
 * await client.close()
 * ```
 */
export interface NexusClientApi {
  readMember(args: UserScoped & { readonly memberGuid: string }): Promise<Member>
  listMembers(args: UserScoped): Promise<readonly Member[]>
  listMemberCredentials(
    args: UserScoped & { readonly memberGuid: string },
  ): Promise<readonly CredentialField[]>
  /** `PUT /members/{guid}` with a rooted body carrying only credentials; never `skip_aggregation: true`. */
  updateMember(
    args: UserScoped & {
      readonly memberGuid: string
      readonly credentials: readonly SecretValue[]
      readonly skipWebhook?: boolean
    },
  ): Promise<Member>
  listMemberChallenges(args: UserScoped & { readonly memberGuid: string }): Promise<readonly Challenge[]>
  /** `PUT /members/{guid}/resume` with top-level `challenges`; resolves to the member when MX returns one. */
  resumeAggregation(
    args: UserScoped & { readonly memberGuid: string; readonly answers: readonly SecretValue[] },
  ): Promise<Member | undefined>
  aggregateMember(args: UserScoped & { readonly memberGuid: string }): Promise<Member | JobStart>
  readJob(args: UserScoped & { readonly jobGuid: string }): Promise<Job>
  oauthWindowUri(args: UserScoped & { readonly memberGuid: string }): Promise<string>
  /** Traffic counters since the client was created. */
  stats(): ClientStats
  /** Releases every connection and session. */
  close(): Promise<void>
}
