import { memberGuidSchema } from '../reconnector/args.js'

/** A matched route: what to do, and for which member. */
export type Route =
  | { readonly kind: 'start' }
  | { readonly kind: 'view' | 'credentials' | 'mfa' | 'cancel'; readonly memberGuid: string }
  | { readonly kind: 'webhook' }
  /** A reconnection path whose guid no member can have (e.g. `..`, too long, bad escapes). */
  | { readonly kind: 'unknownMember' }
  | { readonly kind: 'methodNotAllowed'; readonly allow: string }

const ACTIONS = new Set(['credentials', 'mfa', 'cancel'])

/**
 * Matches a request to a route, relative to `basePath` when one is given (a framework that mounts the
 * handler strips its prefix itself). Undefined when the path is not one of ours.
 *
 * @example
 * ```ts
 * matchRoute('POST', '/mx/reconnections/MBR-1/mfa', '/mx') // { kind: 'mfa', memberGuid: 'MBR-1' }
 * ```
 */
export function matchRoute(method: string, url: string, basePath = ''): Route | undefined {
  const path = pathOf(url)
  if (path === undefined) return undefined
  const base = basePath.replace(/\/+$/, '')
  if (base !== '' && path !== base && !path.startsWith(`${base}/`)) return undefined
  const parts = path.slice(base.length).split('/').slice(1)
  const post = (route: Route): Route =>
    method === 'POST' ? route : { kind: 'methodNotAllowed', allow: 'POST' }

  if (parts.length === 2 && parts[0] === 'webhooks' && parts[1] === 'mx') return post({ kind: 'webhook' })
  if (parts[0] !== 'reconnections') return undefined
  if (parts.length === 1) return post({ kind: 'start' })
  if (parts.length > 3 || (parts.length === 3 && !ACTIONS.has(parts[2]!))) return undefined
  const memberGuid = decode(parts[1]!)
  const known = memberGuid !== undefined && memberGuidSchema.safeParse(memberGuid).success
  if (parts.length === 2) {
    if (method !== 'GET') return { kind: 'methodNotAllowed', allow: 'GET' }
    return known ? { kind: 'view', memberGuid } : { kind: 'unknownMember' }
  }
  return post(
    known ? { kind: parts[2] as 'credentials' | 'mfa' | 'cancel', memberGuid } : { kind: 'unknownMember' },
  )
}

/** The path of a request target (origin form), without query; undefined when it is not a path. */
function pathOf(url: string): string | undefined {
  if (!url.startsWith('/')) return undefined
  const end = url.search(/[?#]/)
  return end === -1 ? url : url.slice(0, end)
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}
