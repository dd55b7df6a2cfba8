/**
 * When the real CLI process is asked to stop (issue 17: every README example stops cleanly on SIGINT and
 * SIGTERM, including `npx mx-reconnect simulate … &` followed by `kill $!`).
 *
 * npm (`npx`, `npm exec`, `npm run`) starts a bin through `sh -c`: killing npm's pid stops npm and its
 * shell, but the shell does not pass the signal on, so this process would be left running, orphaned. Under
 * npm, then, the parent going away is a stop request too: nobody is left waiting for this process.
 * Outside npm (`node bin/mx-reconnect.js`, systemd, a container, `nohup`), only the signals count.
 *
 * The signal listeners stay for the life of the process, and a repeated signal is ignored: Ctrl+C under npm
 * reaches the bin twice (once from the terminal's process group, once more forwarded by npm to its child),
 * and with a one-shot listener the second would kill the process by Node's default action in the middle of
 * its clean stop. A stop is bounded by the command itself (`--grace-ms`); SIGKILL always ends it.
 */

/** What {@link stopRequest} watches; the real process by default, a stand-in in tests. */
export interface StopSource {
  /** Adds a listener for a signal, kept for the life of the process (`process.on`). */
  readonly on: (signal: 'SIGINT' | 'SIGTERM', listener: () => void) => void
  /** The current parent pid (re-read on every call, as `process.ppid` is). */
  readonly ppid: () => number
  /** True when npm started this process (`npm_command` is set by `npm exec` and `npm run`). */
  readonly underNpm: boolean
  /** How often to look at the parent, in ms (default 250). */
  readonly pollMs?: number
}

/** The reason given when npm's process went away. */
export const NPM_EXITED = 'npm exited'

const realProcess = (): StopSource => ({
  on: (signal, listener) => void process.on(signal, listener),
  ppid: () => process.ppid,
  underNpm: typeof process.env['npm_command'] === 'string' && process.env['npm_command'] !== '',
})

/**
 * Resolves with `SIGINT` or `SIGTERM` when one arrives, or with {@link NPM_EXITED} when npm started this
 * process and its parent went away. The parent check runs on an unref'd timer: it never keeps the process
 * alive by itself.
 *
 * @example
 * ```ts
 * const reason = await stopRequest() // 'SIGINT' after Ctrl+C
 * ```
 */
export function stopRequest(source: StopSource = realProcess()): Promise<string> {
  return new Promise((resolve) => {
    const parent = source.ppid()
    const timer = source.underNpm
      ? setInterval(() => {
          if (source.ppid() !== parent) done(NPM_EXITED)
        }, source.pollMs ?? 250)
      : undefined
    timer?.unref()
    let asked = false
    function done(reason: string): void {
      if (asked) return
      asked = true
      if (timer !== undefined) clearInterval(timer)
      resolve(reason)
    }
    source.on('SIGINT', () => done('SIGINT'))
    source.on('SIGTERM', () => done('SIGTERM'))
  })
}
