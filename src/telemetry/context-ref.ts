import { FiberRef } from 'effect'

/**
 * The OpenTelemetry context a facade call was made in, carried by its fiber (and inherited by the fibers
 * it forks, such as a session opening). Needed because fibers resume from undici's socket callbacks,
 * which carry no caller context (services/hot-runtime.ts). Typed `unknown`: this module never loads the API.
 */
export const callerContext: FiberRef.FiberRef<unknown> = FiberRef.unsafeMake<unknown>(undefined)
