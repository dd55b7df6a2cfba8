import type { InspectionEvent, Observer } from 'xstate'
import { UsageError } from '../cli/args.js'

/** An inspector the CLI streams to: its observer for `createReconnector({ inspect })`, and its stop. */
export interface CliInspector {
  readonly inspect: Observer<InspectionEvent>
  readonly stop: () => void
}

/**
 * The `--inspect ws://HOST:PORT` flag of `demo` and `sweep`: a `createWebSocketInspector` from
 * `@statelyai/inspect` streaming to that address (e.g. the relay `@statelyai/inspect/server` starts; see
 * docs/inspect.md). Undefined when the flag is absent; {@link UsageError} for anything but a ws(s) URL.
 *
 * @example
 * ```ts
 * const inspector = await statelyInspectorFlag('ws://127.0.0.1:8080')
 * createReconnector({ client, ...(inspector ? { inspect: inspector.inspect } : {}) })
 * ```
 */
export async function statelyInspectorFlag(raw: string | undefined): Promise<CliInspector | undefined> {
  if (raw === undefined) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new UsageError(`--inspect must be a WebSocket URL such as ws://127.0.0.1:8080 (got "${raw}")`)
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new UsageError(`--inspect must be a ws:// or wss:// URL (got "${raw}")`)
  }
  const { createWebSocketInspector } = await import('@statelyai/inspect')
  const inspector = createWebSocketInspector({ url: url.href })
  return { inspect: inspector.inspect, stop: () => inspector.stop() }
}
