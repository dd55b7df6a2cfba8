import { UsageError } from '../args.js'

/**
 * Where `mx-reconnect sweep` finds MX: flags first, then the environment (design: reconnector.md "CLI":
 * "URLs and keys given by flags or environment"). Errors name the missing setting, never a value: the
 * API key must not reach a terminal or a log (house rule 8).
 */

/** The four settings a Nexus client needs (Nexus reference §1). */
export interface MxSettings {
  readonly nexusUrl: string
  readonly ssoUrl: string
  readonly clientId: string
  readonly apiKey: string
}

interface Setting {
  readonly key: keyof MxSettings
  readonly flag: string
  readonly env: string
  readonly url: boolean
}

const SETTINGS: readonly Setting[] = [
  { key: 'nexusUrl', flag: 'nexus-url', env: 'MX_NEXUS_URL', url: true },
  { key: 'ssoUrl', flag: 'sso-url', env: 'MX_SSO_URL', url: true },
  { key: 'clientId', flag: 'client-id', env: 'MX_CLIENT_ID', url: false },
  { key: 'apiKey', flag: 'api-key', env: 'MX_API_KEY', url: false },
]

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/**
 * Reads the settings from `flags` (`--nexus-url`…) or `env` (`MX_NEXUS_URL`…). Throws a UsageError naming
 * every missing setting, or the first URL that is not http(s).
 */
export function resolveSettings(
  flags: Readonly<Record<string, string | boolean | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
): MxSettings {
  const values: Partial<Record<keyof MxSettings, string>> = {}
  const missing: string[] = []
  for (const setting of SETTINGS) {
    const flag = flags[setting.flag]
    const raw = typeof flag === 'string' ? flag : env[setting.env]
    const value = raw?.trim() ?? ''
    if (value === '') missing.push(`${setting.env} (or --${setting.flag})`)
    else values[setting.key] = value
  }
  if (missing.length > 0)
    throw new UsageError(`missing setting${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`)
  for (const setting of SETTINGS) {
    const value = values[setting.key] ?? ''
    if (setting.url && !isHttpUrl(value)) {
      throw new UsageError(`${setting.env} / --${setting.flag} must be an http(s) URL`)
    }
  }
  return values as MxSettings
}
