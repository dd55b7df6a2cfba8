import type * as Otel from '@opentelemetry/api'
import type { AnyActorRef } from 'xstate'
import { ATTR, stateKey } from './attributes.js'
import type { TelemetryHooks } from './hooks.js'
import type { Instruments, Providers } from './providers.js'

/** The parts of a lifecycle snapshot read here (machines/member-lifecycle: context and output). */
interface LifecycleSnapshot {
  readonly status: string
  readonly value?: unknown
  readonly context?: {
    readonly memberGuid?: unknown
    readonly attempts?: { readonly credentials?: number; readonly mfa?: number; readonly service?: number }
    readonly member?: { readonly status?: unknown } | null
  }
  readonly output?: { readonly outcome?: unknown }
}

/** One running lifecycle actor: its root span, the span of the state it is in, and that state. */
interface Tracked {
  readonly tracer: Otel.Tracer | undefined
  readonly instruments: Instruments | undefined
  readonly guid: string
  readonly root: Otel.Span | undefined
  readonly rootContext: Otel.Context
  step: Otel.Span | undefined
  stepContext: Otel.Context
  state: string | undefined
  finished: boolean
}

const snapshotOf = (actor: AnyActorRef) => actor.getSnapshot() as LifecycleSnapshot

const retriesOf = (snapshot: LifecycleSnapshot) => snapshot.context?.attempts?.service ?? 0

/**
 * The `lifecycle` and `inStep` hooks (hooks.ts): a root span per lifecycle run (`mx.lifecycle`), a child
 * span per state it passes through (`mx.lifecycle.step <state>`), and the invoked actors' HTTP calls
 * under the step they ran in. Only guids, state names, counts and outcomes are recorded; never the
 * machine's context as a whole (the OAuth window URI is single-use and stays out too).
 */
export function lifecycleHooks(providers: Providers): Pick<TelemetryHooks, 'lifecycle' | 'inStep'> {
  const { api } = providers
  const tracked = new WeakMap<AnyActorRef, Tracked>()

  /** Moves `t` to the state `snapshot` is in (idempotent): ends the old step span, opens the new one. */
  const sync = (t: Tracked, snapshot: LifecycleSnapshot) => {
    if (t.finished || snapshot.value === undefined) return
    const state = stateKey(snapshot.value)
    if (state === t.state) return
    if (t.step !== undefined) {
      t.step.setAttribute(ATTR.nextState, state)
      t.step.end()
    }
    if (t.state !== undefined) t.instruments?.active.add(-1, { [ATTR.state]: t.state })
    t.state = state
    t.instruments?.steps.add(1, { [ATTR.state]: state })
    t.instruments?.active.add(1, { [ATTR.state]: state })
    t.step = t.tracer?.startSpan(
      `mx.lifecycle.step ${state}`,
      {
        attributes: {
          [ATTR.memberGuid]: t.guid,
          [ATTR.state]: state,
          [ATTR.retries]: retriesOf(snapshot),
        },
      },
      t.rootContext,
    )
    t.stepContext = t.step === undefined ? t.rootContext : api.trace.setSpan(t.rootContext, t.step)
  }

  const finish = (t: Tracked, snapshot: LifecycleSnapshot, error?: unknown) => {
    if (t.finished) return
    sync(t, snapshot)
    t.finished = true
    const outcome =
      snapshot.status === 'done' && typeof snapshot.output?.outcome === 'string'
        ? snapshot.output.outcome
        : undefined
    const failed = error !== undefined || outcome === 'failed'
    const errorType =
      error === undefined
        ? 'failed'
        : typeof (error as { _tag?: unknown })._tag === 'string'
          ? (error as { _tag: string })._tag
          : error instanceof Error
            ? error.name
            : 'error'
    if (t.step !== undefined) {
      if (outcome !== undefined) t.step.setAttribute(ATTR.outcome, outcome)
      t.step.end()
    }
    if (t.state !== undefined) t.instruments?.active.add(-1, { [ATTR.state]: t.state })
    if (outcome !== undefined) t.instruments?.outcomes.add(1, { [ATTR.outcome]: outcome })
    const root = t.root
    if (root === undefined) return
    const attempts = snapshot.context?.attempts
    const connection = snapshot.context?.member?.status
    root.setAttributes({
      [ATTR.status]: error === undefined ? snapshot.status : 'error',
      [ATTR.retries]: retriesOf(snapshot),
      [ATTR.credentialAttempts]: attempts?.credentials ?? 0,
      [ATTR.mfaAttempts]: attempts?.mfa ?? 0,
      ...(t.state === undefined ? {} : { [ATTR.finalState]: t.state }),
      ...(outcome === undefined ? {} : { [ATTR.outcome]: outcome }),
      ...(typeof connection === 'string' ? { [ATTR.connectionStatus]: connection } : {}),
    })
    if (failed) {
      root.setAttribute(ATTR.errorType, errorType)
      root.setStatus({ code: api.SpanStatusCode.ERROR })
    }
    root.end()
  }

  return {
    lifecycle(actor, run) {
      const tracer = providers.tracer()
      const instruments = providers.instruments()
      if (tracer === undefined && instruments === undefined) return
      const initial = snapshotOf(actor)
      const guid = typeof initial.context?.memberGuid === 'string' ? initial.context.memberGuid : ''
      // The caller's context is the parent: a partner's request span when they start one from a handler.
      const parent = api.context.active()
      const root = tracer?.startSpan(
        'mx.lifecycle',
        { attributes: { [ATTR.memberGuid]: guid, [ATTR.run]: run } },
        parent,
      )
      const rootContext = root === undefined ? parent : api.trace.setSpan(parent, root)
      const t: Tracked = {
        tracer,
        instruments,
        guid,
        root,
        rootContext,
        step: undefined,
        stepContext: rootContext,
        state: undefined,
        finished: false,
      }
      tracked.set(actor, t)
      instruments?.runs.add(1, { [ATTR.run]: run })
      // `complete` also comes when the actor is stopped (parked by the reconnector, or closed).
      actor.subscribe({
        next: (snapshot) => sync(t, snapshot as LifecycleSnapshot),
        complete: () => finish(t, snapshotOf(actor)),
        error: (error) => finish(t, snapshotOf(actor), error),
      })
    },
    inStep(self, work) {
      const parent = self._parent
      const t = parent === undefined ? undefined : tracked.get(parent)
      if (t?.tracer === undefined) return work()
      // XState sets the parent's new snapshot before it starts the children of the state it entered, and
      // tells subscribers only afterwards: move to that state here so the call lands under its step.
      sync(t, snapshotOf(parent!))
      return api.context.with(t.stepContext, work)
    },
  }
}
