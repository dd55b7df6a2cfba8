import { createRequire } from 'node:module'
import type * as Otel from '@opentelemetry/api'
import type { TelemetryHooks } from './hooks.js'
import { createOtelHooks } from './otel.js'

/**
 * Loads the optional peer `@opentelemetry/api`, resolved from this package the way Node resolves any
 * dependency (so a consumer's own copy is found). Synchronous on purpose: the first lifecycle of a
 * process is traced like every other, and the package needs no top-level await (docs/decisions/0014).
 * Absent (or not a 1.x API): undefined, and the library never looks again.
 */
export function loadTelemetry(
  resolve: (id: string) => unknown = createRequire(import.meta.url),
): TelemetryHooks | undefined {
  let api: typeof Otel
  try {
    api = resolve('@opentelemetry/api') as typeof Otel
  } catch {
    return undefined
  }
  // The peer range is ^1.3.0, the first 1.x with the metrics API; anything else is left alone.
  if (
    typeof api?.trace?.getTracerProvider !== 'function' ||
    typeof api.metrics?.getMeterProvider !== 'function' ||
    typeof api.createNoopMeter !== 'function' ||
    typeof api.ProxyTracerProvider !== 'function'
  ) {
    return undefined
  }
  return createOtelHooks(api)
}
