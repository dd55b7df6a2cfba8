import { createHash } from 'node:crypto'
import { hostname } from 'node:os'
import { UsageError } from '../args.js'

/**
 * The lease owner of `mx-reconnect sweep` (issue 11 item 8; reconnector.md, Durability rules). It is stable
 * across runs, so a sweep restarted after a crash takes the dead run's leases back at once (the
 * reconnector checks that the old instance's process is gone) instead of waiting them out (60 s). By
 * default it is derived from this host and the store's path; `--owner NAME` names it (e.g. a job name
 * shared by the runs of one cron entry).
 */

/** What an owner name may hold: it names a lease holder in the store and in logs. */
const OWNER = /^[A-Za-z0-9._:@-]{1,200}$/

/**
 * `sweep@HOST:HASH`, where HASH is a short digest of the store's absolute path (or `memory`): the same for
 * every run of this host on this store, different for another store.
 *
 * @example
 * ```ts
 * defaultOwner('/var/lib/mx/sweep.db') // 'sweep@build-7:3f2a9c01d4e2'
 * ```
 */
export function defaultOwner(storePath: string | undefined, host: string = hostname()): string {
  const digest = createHash('sha256')
    .update(storePath ?? 'memory')
    .digest('hex')
    .slice(0, 12)
  const safeHost = host.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100) || 'host'
  return `sweep@${safeHost}:${digest}`
}

/** `--owner` when given (checked), else {@link defaultOwner}. Throws UsageError for a bad name. */
export function resolveOwner(flag: string | undefined, storePath: string | undefined): string {
  if (flag === undefined) return defaultOwner(storePath)
  if (!OWNER.test(flag)) {
    throw new UsageError('--owner must be 1-200 letters, digits or . _ : @ - (no spaces or slashes)')
  }
  return flag
}
