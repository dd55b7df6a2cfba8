import type { AnyActorLogic } from 'xstate'

// XState re-runs an invoked promise actor that a persisted snapshot shows in flight (architecture.md,
// Known library facts). The bridge must know when that happens: a re-run update or resume must not send
// anything (lifecycle.md, Restore), and a re-run poll must not read sooner than the poll floor after the
// interrupted one (invariant 3). Restoring adds `rerun: true` to the input the actor sees; the persisted
// snapshot itself is unchanged.

/** Input as a bridge actor sees it. */
export type WithRerun<T> = T & { readonly rerun?: true }

/** Wraps promise logic so that a run restored from a snapshot sees `input.rerun === true`. */
export function rerunAware<T extends AnyActorLogic>(logic: T): T {
  const restore = logic.restoreSnapshot?.bind(logic)
  return {
    ...logic,
    restoreSnapshot: (snapshot: unknown, scope: unknown) => {
      const s = snapshot as { input?: unknown }
      const input = typeof s.input === 'object' && s.input !== null ? { ...s.input, rerun: true } : s.input
      const marked = { ...s, input }
      return restore ? (restore as (a: unknown, b: unknown) => unknown)(marked, scope) : marked
    },
  }
}
