import { appendFileSync } from 'node:fs'
import type { NexusClientApi } from '../client/types.js'

/** One traced Nexus call: who, on which member, and when it started or ended (epoch ms). No secrets. */
export interface TraceLine {
  readonly worker: string
  readonly memberGuid: string
  readonly call: string
  readonly id: number
  readonly start?: number
  readonly end?: number
}

/**
 * A Nexus client that appends one JSON line when a member's call starts and one when it ends (`--trace
 * FILE` of `mx-reconnect worker`): a record of which worker was in flight on which member, and when, that
 * survives the worker being killed mid-call. Lines carry the member guid, the method name and times only.
 *
 * @example
 * ```ts
 * const client = traceClient(createNexusClient(config), 'w1', '/tmp/w1.trace.jsonl')
 * ```
 */
export function traceClient(client: NexusClientApi, worker: string, file: string): NexusClientApi {
  let next = 0
  const write = (line: TraceLine) => appendFileSync(file, `${JSON.stringify(line)}\n`)
  return new Proxy(client, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver)
      if (typeof value !== 'function') return value
      const fn = value as (...args: unknown[]) => unknown
      return (...args: unknown[]) => {
        const memberGuid = (args[0] as { memberGuid?: unknown } | undefined)?.memberGuid
        if (typeof memberGuid !== 'string') return fn.apply(target, args)
        const id = (next += 1)
        const call = String(key)
        write({ worker, memberGuid, call, id, start: Date.now() })
        const ended = () => write({ worker, memberGuid, call, id, end: Date.now() })
        const result = fn.apply(target, args)
        if (result instanceof Promise) return result.finally(ended)
        ended()
        return result
      }
    },
  })
}
