import type { CliContext } from '../args.js'

/**
 * Progress on stderr (reconnector.md "CLI": "sweeps them with a progress bar"): a bar redrawn in place when
 * stderr is a terminal, else a few plain lines (at each quarter), so logs and pipes stay readable.
 */

/** A progress reporter for one phase. */
export interface Progress {
  /** `done` of `total`, with a short note (e.g. outcome counts) after the bar. */
  update(done: number, total: number, note?: string): void
  /** Ends the phase (final line, cursor on a fresh line). */
  finish(): void
}

const BAR_WIDTH = 28
/** A redrawn line must not wrap (a wrapped line is not cleared by `\r`): keep it within 80 columns. */
const TTY_WIDTH = 79
/** Redraw at most this often on a terminal. */
const REDRAW_MS = 80

/** A progress reporter labelled `label`, drawing on `ctx.errTty` when there is one. */
export function createProgress(ctx: CliContext, label: string): Progress {
  const tty = ctx.errTty
  let lastDraw = 0
  let lastQuarter = -1
  let drawn = false
  let last: { done: number; total: number; note: string } = { done: 0, total: 0, note: '' }
  const text = ({ done, total, note }: typeof last) => {
    const ratio = total === 0 ? 1 : Math.min(1, done / total)
    const filled = Math.round(ratio * BAR_WIDTH)
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`
    return `${label} ${bar} ${done}/${total}${note === '' ? '' : `  ${note}`}`
  }
  const draw = () => {
    if (tty === undefined) return
    // \r + clear-to-end-of-line: redraw the same line.
    const line = text(last)
    tty(`\r\x1b[2K${line.length > TTY_WIDTH ? `${line.slice(0, TTY_WIDTH - 3)}...` : line}`)
    drawn = true
    lastDraw = Date.now()
  }
  return {
    update(done, total, note = '') {
      last = { done, total, note }
      if (tty !== undefined) {
        if (done >= total || Date.now() - lastDraw >= REDRAW_MS) draw()
        return
      }
      const quarter = total === 0 ? 4 : Math.floor((done / total) * 4)
      if (quarter > lastQuarter) {
        lastQuarter = quarter
        ctx.err(`${label} ${done}/${total}${note === '' ? '' : `  ${note}`}`)
      }
    },
    finish() {
      if (tty === undefined) return
      draw()
      if (drawn) tty('\n')
    },
  }
}
