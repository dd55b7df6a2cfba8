import type * as Otel from '@opentelemetry/api'

/** The instrumentation scope every span and instrument is created under. */
export const SCOPE = 'mx-reconnect'

/** The counters the library exports (docs/telemetry.md, Metrics). */
export interface Instruments {
  /** Lifecycle runs started or restored, by `mx.lifecycle.run`. */
  readonly runs: Otel.Counter
  /** States entered, by `mx.lifecycle.state`. */
  readonly steps: Otel.Counter
  /** Lifecycles running in this process now, by `mx.lifecycle.state`. */
  readonly active: Otel.UpDownCounter
  /** Lifecycles finished, by `mx.lifecycle.outcome`. */
  readonly outcomes: Otel.Counter
  /** HTTP calls (retries inside one call count once), by api, method, route, status and outcome. */
  readonly calls: Otel.Counter
  /** Nexus sessions opened (`POST /sessions` answered 2xx). */
  readonly sessions: Otel.Counter
}

/** What the hooks ask on every use: the tracer and instruments of the providers registered now, if any. */
export interface Providers {
  readonly api: typeof Otel
  /** A tracer when a tracer provider is registered; undefined while only the API's no-op is there. */
  tracer(): Otel.Tracer | undefined
  /** The instruments when a meter provider is registered; undefined otherwise. */
  instruments(): Instruments | undefined
}

function makeInstruments(meter: Otel.Meter): Instruments {
  return {
    runs: meter.createCounter('mx_reconnect.lifecycle.runs', {
      description: 'Member lifecycles started or restored',
    }),
    steps: meter.createCounter('mx_reconnect.lifecycle.steps', {
      description: 'Lifecycle states entered, by state',
    }),
    active: meter.createUpDownCounter('mx_reconnect.lifecycle.active', {
      description: 'Member lifecycles running in this process, by state',
    }),
    outcomes: meter.createCounter('mx_reconnect.lifecycle.outcomes', {
      description: 'Member lifecycles finished, by outcome',
    }),
    calls: meter.createCounter('mx_reconnect.http.calls', {
      description: 'HTTP calls to Nexus, SSO and MDX (request-level retries included in one call)',
    }),
    sessions: meter.createCounter('mx_reconnect.sessions.opened', {
      description: 'Nexus sessions opened',
    }),
  }
}

/**
 * Reads the global providers on every use, cheaply: a registration may come after this package was
 * imported, and a test may swap providers. The tracer and the instruments are rebuilt only when the
 * provider behind the API changed; while the API's no-op is registered both are undefined, so the hooks
 * do no span or metric work at all (docs/decisions/0014).
 */
export function createProviders(api: typeof Otel, version?: string): Providers {
  // A fresh proxy's delegate is the API's no-op provider: what `getDelegate()` returns while nothing is set.
  const noopTracerProvider = new api.ProxyTracerProvider().getDelegate()
  const noopMeter = api.createNoopMeter()
  let tracerOf: unknown
  let tracer: Otel.Tracer | undefined
  let meterOf: unknown
  let instruments: Instruments | undefined

  return {
    api,
    tracer() {
      const provider = api.trace.getTracerProvider() as Otel.TracerProvider & {
        getDelegate?: () => Otel.TracerProvider
      }
      const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider
      if (delegate !== tracerOf) {
        tracerOf = delegate
        tracer = delegate === noopTracerProvider ? undefined : delegate.getTracer(SCOPE, version)
      }
      return tracer
    },
    instruments() {
      const provider = api.metrics.getMeterProvider()
      if (provider !== meterOf) {
        meterOf = provider
        const meter = provider.getMeter(SCOPE, version)
        instruments = meter === noopMeter ? undefined : makeInstruments(meter)
      }
      return instruments
    },
  }
}
