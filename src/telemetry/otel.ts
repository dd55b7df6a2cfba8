import type * as Otel from '@opentelemetry/api'
import type { TelemetryHooks } from './hooks.js'
import { httpHooks } from './http.js'
import { lifecycleHooks } from './lifecycle.js'
import { createProviders } from './providers.js'

/** The hooks over a loaded `@opentelemetry/api` (see load.ts). */
export function createOtelHooks(api: typeof Otel): TelemetryHooks {
  const providers = createProviders(api)
  return { ...httpHooks(providers), ...lifecycleHooks(providers) }
}
