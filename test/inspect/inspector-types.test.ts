import { createBrowserInspector, createSkyInspector, createWebSocketInspector } from '@statelyai/inspect'
import { describe, expect, expectTypeOf, it } from 'vitest'
import type { AnyEventObject, InspectionEvent, Observer } from 'xstate'
import type { ReconnectMemberOptions } from '../../src/reconnect-member.js'
import type { ReconnectorOptions } from '../../src/reconnector/index.js'
import { checkArguments } from '../../src/services/arguments.js'

// Issue 13: every `inspect` option takes what XState's own `inspect` takes, so the inspectors of
// `@statelyai/inspect` plug in with no cast. This file is type-checked by `npm test` (tsc over test/):
// if an option went back to function-only, the assignments below stop compiling (TS2322).
// Nothing here creates an inspector (the sky one would call the internet); the checks are on types.

type MemberInspect = NonNullable<ReconnectMemberOptions['inspect']>
type ReconnectorInspect = NonNullable<ReconnectorOptions['inspect']>
type InspectOf<F extends (...args: never[]) => { inspect: unknown }> = ReturnType<F>['inspect']

/** Never called: compiles only when each inspector's `.inspect` fits both options as is. */
export function wiring(): Pick<ReconnectMemberOptions, 'inspect'>[] {
  const sky = createSkyInspector()
  const socket = createWebSocketInspector({ url: 'ws://127.0.0.1:8080' })
  const browser = createBrowserInspector()
  const reconnector: Pick<ReconnectorOptions, 'inspect'>[] = [
    { inspect: sky.inspect },
    { inspect: socket.inspect },
    { inspect: browser.inspect },
    { inspect: (event: InspectionEvent) => void event },
  ]
  return [
    ...reconnector,
    { inspect: sky.inspect },
    { inspect: socket.inspect },
    { inspect: browser.inspect },
    { inspect: (event) => void event.type },
  ]
}

describe('inspect option types (issue 13)', () => {
  it('accepts the sky, WebSocket and browser inspectors and plain functions, with no cast', () => {
    expectTypeOf<InspectOf<typeof createSkyInspector>>().toExtend<MemberInspect>()
    expectTypeOf<InspectOf<typeof createWebSocketInspector>>().toExtend<MemberInspect>()
    expectTypeOf<InspectOf<typeof createBrowserInspector>>().toExtend<MemberInspect>()
    expectTypeOf<InspectOf<typeof createSkyInspector>>().toExtend<ReconnectorInspect>()
    expectTypeOf<InspectOf<typeof createWebSocketInspector>>().toExtend<ReconnectorInspect>()
    expectTypeOf<InspectOf<typeof createBrowserInspector>>().toExtend<ReconnectorInspect>()
    expectTypeOf<Observer<InspectionEvent>>().toExtend<MemberInspect>()
    expectTypeOf<(e: InspectionEvent) => void>().toExtend<ReconnectorInspect>()
    // Not anything at all: an observer of other events is refused.
    expectTypeOf<(e: AnyEventObject & { type: 'x'; n: number }) => void>().not.toExtend<MemberInspect>()
  })

  it('the runtime argument check of reconnectMember takes an observer object or a function', () => {
    const base = { userId: 'u-1', memberGuid: 'MBR-1', client: { readMember: () => undefined } }
    expect(checkArguments('reconnectMember', { ...base, inspect: { next: () => undefined } })).toBeUndefined()
    expect(checkArguments('reconnectMember', { ...base, inspect: () => undefined })).toBeUndefined()
    expect(checkArguments('reconnectMember', { ...base, inspect: 'ws://x' })?.field).toBe('inspect')
  })
})
