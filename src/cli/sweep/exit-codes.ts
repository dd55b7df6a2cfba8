import type { ErrorData } from '../../domain/index.js'
import type { SweepReport } from '../../reconnector/index.js'

/**
 * The exit codes of `mx-reconnect sweep` (README, "CLI"; `mx-reconnect sweep --help`). A sweep that could
 * not reach some users, set rows aside or leave members unsettled still sweeps and stores everything
 * else; it says so with its own code, so a cron job can tell "done" from "done, look at the report".
 */
export const EXIT = {
  /** Every user reachable, every member settled (done, or waiting on its user), nothing set aside. */
  ok: 0,
  /** Nothing was swept: a setting is wrong, the store does not open, an unexpected error. */
  fatal: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** Done, but some users could not be listed, rows were quarantined or members were left unsettled. */
  partial: 3,
  /** Stopped by SIGINT / SIGTERM (128 + SIGINT); every lifecycle's state is in the store. */
  stopped: 130,
} as const

/** {@link EXIT}.partial when the report has a failed user, a quarantined row or an unsettled member. */
export function exitCodeOf(report: SweepReport): number {
  const unsettled = report.members.some((m) => m.outcome === 'unfinished')
  return report.failures.length > 0 || report.quarantined.length > 0 || unsettled ? EXIT.partial : EXIT.ok
}

/** A failure that is about a setting, not about the user: SSO refused the key, or MX was unreachable. */
function isSettingFailure(error: ErrorData): boolean {
  if (error._tag === 'TransportError' || error._tag === 'ConfigError') return true
  return (
    error._tag === 'HttpError' && error.message.startsWith('SSO ') && [401, 403].includes(error.status ?? 0)
  )
}

/** The hint for a failure, naming settings (never their values), or undefined. */
export function hintFor(error: ErrorData): string | undefined {
  if (error._tag === 'TransportError') return 'check MX_NEXUS_URL and MX_SSO_URL'
  if (error._tag !== 'HttpError' || !error.message.startsWith('SSO ')) return undefined
  if (error.status === 401 || error.status === 403) return 'check MX_API_KEY and MX_CLIENT_ID'
  if (error.status === 404) return 'the user is unknown at MX (deleted?), or MX_CLIENT_ID is wrong'
  return undefined
}

/**
 * When every user failed for a reason that is about the settings (a wrong key, MX unreachable), the sweep
 * is fatal, not partial: the error to print, with its hint. Otherwise undefined.
 */
export function fatalFailure(userCount: number, report: SweepReport): Error | undefined {
  const { failures } = report
  if (userCount === 0 || failures.length < userCount || !failures.every((f) => isSettingFailure(f.error)))
    return undefined
  const first = failures[0]?.error
  if (first === undefined) return undefined
  const hint = hintFor(first)
  return new Error(hint === undefined ? first.message : `${first.message}: ${hint}`)
}
