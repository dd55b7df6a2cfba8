import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { context, metrics, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'

/** A reader the test collects from when it wants to (no timer). */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** The OpenTelemetry SDK a partner would register: in-memory spans, a pull metric reader, ALS context. */
export interface OtelHarness {
  readonly exporter: InMemorySpanExporter
  /** Sum per attribute set of one counter: `{ '<attr>=<value>,…': sum }`. */
  counter(name: string): Promise<Record<string, number>>
  close(): Promise<void>
}

export function installOtel(options: { readonly traces?: boolean } = {}): OtelHarness {
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const reader = new TestReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const contextManager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(contextManager)
  if (options.traces !== false) trace.setGlobalTracerProvider(tracerProvider)
  metrics.setGlobalMeterProvider(meterProvider)
  return {
    exporter,
    async counter(name) {
      const { resourceMetrics } = await reader.collect()
      return sums(resourceMetrics, name)
    },
    async close() {
      trace.disable()
      metrics.disable()
      context.disable()
      await tracerProvider.shutdown()
      await meterProvider.shutdown()
    },
  }
}

function sums(resource: ResourceMetrics, name: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const scope of resource.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue
      for (const point of metric.dataPoints) {
        const key = Object.entries(point.attributes)
          .map(([k, v]) => `${k}=${String(v)}`)
          .sort()
          .join(',')
        out[key] = (out[key] ?? 0) + (point.value as number)
      }
    }
  }
  return out
}

/** The parent span id of a span, or undefined for a root. */
export const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId

/** Everything a span exports, as text: name, attributes, events, status, links. */
export function exportedText(spans: readonly ReadableSpan[]): string {
  return JSON.stringify(
    spans.map((s) => ({
      name: s.name,
      attributes: s.attributes,
      events: s.events.map((e) => ({ name: e.name, attributes: e.attributes })),
      status: s.status,
      links: s.links,
    })),
  )
}

const SECRET_HEADERS = ['md-api-key', 'md-api-token', 'md-session-token']

/**
 * Records every secret header value undici sends (the API key, SSO api tokens, session tokens), read from
 * undici's diagnostics channel: the values the spans must never contain.
 */
export function recordWireSecrets(): { readonly values: Set<string>; stop(): void } {
  const values = new Set<string>()
  const onHeaders = (message: unknown) => {
    const raw = (message as { headers?: unknown }).headers
    if (typeof raw !== 'string') return
    for (const line of raw.split('\r\n')) {
      const colon = line.indexOf(':')
      if (colon < 0) continue
      const name = line.slice(0, colon).trim().toLowerCase()
      if (SECRET_HEADERS.includes(name)) values.add(line.slice(colon + 1).trim())
    }
  }
  subscribe('undici:client:sendHeaders', onHeaders)
  return { values, stop: () => unsubscribe('undici:client:sendHeaders', onHeaders) }
}
