import { Context, Either, Redacted } from 'effect'
import { z } from 'zod'
import { ConfigError } from '../domain/index.js'
import type { Api } from '../domain/index.js'

/**
 * A structured log line. Never carries a token, key, credential value or answer (architecture.md rule 8).
 *
 * @example
 * ```ts
 * const client = createNexusClient({
 *   ...config,
 *   logger: (line: LogLine) => console.log(line.level, line.event, line.status ?? '', line.message),
 * })
 * ```
 */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error'
  /** What happened: `http`, `retry`, `session.open`, `session.renew`, `session.expired`, `user.create`. */
  readonly event: string
  readonly message: string
  readonly api?: Api
  readonly method?: string
  readonly path?: string
  readonly status?: number
  readonly userId?: string
  readonly attempt?: number
  readonly delayMs?: number
  readonly durationMs?: number
  /** The `_tag` of the error involved, if any. */
  readonly error?: string
}

/**
 * Injectable time for the request layer (architecture.md rule 7): `now` for session windows, `sleep` for retry waits.
 *
 * @example
 * ```ts
 * // Tests: a fixed "now" and retry waits that return at once.
 * const clock: NexusClock = { now: () => Date.parse('2026-01-01T00:00:00Z'), sleep: async () => {} }
 * const client = createNexusClient({ ...config, clock })
 * ```
 */
export interface NexusClock {
  now(): number
  /** Waits `ms`; defaults to a real timer. Tests pass one that records the wait and returns at once. */
  sleep?(ms: number): Promise<void>
}

/**
 * Request-level transient retry budgets (architecture.md rule 6): extra attempts, not total attempts.
 *
 * @example
 * ```ts
 * const retry: Partial<RetryBudget> = { reads: 3, writes: 1, maxDelayMs: 10_000 }
 * const client = createNexusClient({ ...config, retry })
 * ```
 */
export interface RetryBudget {
  /** Extra attempts for reads (GET, SSO token). */
  readonly reads: number
  /** Extra attempts for writes, used only when the write provably did not land or MX said 429/503. */
  readonly writes: number
  /** First backoff step; doubles per attempt, with jitter. */
  readonly baseDelayMs: number
  /** Longest single wait; a Retry-After longer than this is surfaced to the caller instead of waited out. */
  readonly maxDelayMs: number
}

/**
 * What `createNexusClient` / `makeNexusLayer` accept.
 *
 * @example
 * ```ts
 * const config: NexusClientConfig = {
 *   nexusUrl: 'https://int-data.moneydesktop.com',
 *   ssoUrl: 'https://int-sso.moneydesktop.com',
 *   clientId: 'my-client-id',
 *   apiKey: process.env.MX_API_KEY!,
 * }
 * ```
 */
export interface NexusClientConfig {
  /** Nexus base URL (Nexus reference §1.1). */
  readonly nexusUrl: string
  /** SSO base URL without the client id: the token is read at `{ssoUrl}/{clientId}/users/{userId}/api_token.json`. */
  readonly ssoUrl: string
  readonly clientId: string
  /** The MX API key; sent only to SSO / MDX as `MD-API-KEY`, kept `Redacted`. */
  readonly apiKey: string | Redacted.Redacted<string>
  /** MDX Real Time base URL without the client id (§1.2); needed only with `createUsers`. */
  readonly mdxUrl?: string
  /** On SSO 404 create the user through MDX and retry once (§1.3). Default false. */
  readonly createUsers?: boolean
  /** Per-request deadline in ms. Default 15000. */
  readonly timeoutMs?: number
  /** Connection limit per origin. Default 32. */
  readonly connections?: number
  readonly retry?: Partial<RetryBudget>
  /** Renew a session this long before its sliding 30-minute window would close (§1.5). Default 60000. */
  readonly sessionRenewAheadMs?: number
  /** Session sliding window (§1.5). Default 30 minutes. */
  readonly sessionTtlMs?: number
  readonly clock?: NexusClock
  readonly logger?: (line: LogLine) => void
  readonly userAgent?: string
}

/** The validated configuration the services read. */
export interface ResolvedConfig {
  readonly nexus: Endpoint
  readonly sso: Endpoint
  readonly mdx: Endpoint | undefined
  readonly clientId: string
  readonly apiKey: Redacted.Redacted<string>
  readonly createUsers: boolean
  readonly timeoutMs: number
  readonly connections: number
  readonly retry: RetryBudget
  readonly sessionRenewAheadMs: number
  readonly sessionTtlMs: number
  readonly clock: NexusClock | undefined
  readonly log: ((line: LogLine) => void) | undefined
  readonly userAgent: string
}

/** An upstream base URL split the way undici wants it. */
export interface Endpoint {
  readonly origin: string
  /** Path prefix without a trailing slash ('' for a bare host). */
  readonly basePath: string
}

/** The resolved configuration as an Effect service. */
export class NexusConfig extends Context.Tag('mx-reconnect/NexusConfig')<NexusConfig, ResolvedConfig>() {}

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
const count = (fallback: number) => z.number().int().min(0).default(fallback)
const positive = (fallback: number) => z.number().int().positive().default(fallback)

const configSchema = z.object({
  nexusUrl: httpUrl,
  ssoUrl: httpUrl,
  mdxUrl: httpUrl.optional(),
  clientId: z.string().min(1, 'must be a non-empty string'),
  apiKey: z.union([
    z.string().min(1, 'must be a non-empty string'),
    z.custom<Redacted.Redacted<string>>(
      (value) => Redacted.isRedacted(value),
      'must be a string or Redacted',
    ),
  ]),
  createUsers: z.boolean().default(false),
  timeoutMs: positive(15_000),
  connections: positive(32),
  retry: z
    .object({
      reads: count(3),
      writes: count(2),
      baseDelayMs: count(200),
      maxDelayMs: count(5_000),
    })
    .prefault({}),
  sessionRenewAheadMs: count(60_000),
  sessionTtlMs: positive(30 * 60_000),
  clock: z
    .custom<NexusClock>(
      (value) =>
        typeof value === 'object' && value !== null && typeof (value as NexusClock).now === 'function',
      'must be an object with now()',
    )
    .optional(),
  logger: z
    .custom<(line: LogLine) => void>((value) => typeof value === 'function', 'must be a function')
    .optional(),
  userAgent: z.string().min(1).default('mx-reconnect/0.1'),
})

function endpoint(url: string): Endpoint {
  const parsed = new URL(url)
  return { origin: parsed.origin, basePath: parsed.pathname.replace(/\/+$/, '') }
}

function safeLogger(logger: ((line: LogLine) => void) | undefined): ((line: LogLine) => void) | undefined {
  if (logger === undefined) return undefined
  // A throwing logger must never turn a good request into a failure.
  return (line) => {
    try {
      logger(line)
    } catch {
      /* ignored on purpose */
    }
  }
}

/**
 * Validates a client configuration. The error names the first bad field and never echoes its value
 * (the field may be the API key).
 */
export function parseConfig(input: unknown): Either.Either<ResolvedConfig, ConfigError> {
  const result = configSchema.safeParse(input)
  if (!result.success) {
    const issue = result.error.issues[0]
    const field = issue === undefined || issue.path.length === 0 ? 'config' : issue.path.map(String).join('.')
    const reason = issue?.message ?? 'is invalid'
    return Either.left(new ConfigError({ field, message: `Invalid Nexus client config: ${field} ${reason}` }))
  }
  const c = result.data
  if (c.createUsers && c.mdxUrl === undefined) {
    return Either.left(
      new ConfigError({
        field: 'mdxUrl',
        message: 'Invalid Nexus client config: mdxUrl is required with createUsers',
      }),
    )
  }
  return Either.right({
    nexus: endpoint(c.nexusUrl),
    sso: endpoint(c.ssoUrl),
    mdx: c.mdxUrl === undefined ? undefined : endpoint(c.mdxUrl),
    clientId: c.clientId,
    apiKey: typeof c.apiKey === 'string' ? Redacted.make(c.apiKey) : c.apiKey,
    createUsers: c.createUsers,
    timeoutMs: c.timeoutMs,
    connections: c.connections,
    retry: c.retry,
    sessionRenewAheadMs: c.sessionRenewAheadMs,
    sessionTtlMs: c.sessionTtlMs,
    clock: c.clock,
    log: safeLogger(c.logger),
    userAgent: c.userAgent,
  })
}
