/**
 * Plain-text tables for the CLI's reports (reconnector.md "CLI": the demo and sweep print a report
 * table). Columns are padded to their widest cell; numeric columns align right.
 */

/** A column: its header and whether it aligns right (numbers). */
export interface Column {
  readonly header: string
  readonly align?: 'left' | 'right'
}

/** Renders `rows` under `columns`, two spaces between columns, a dashed rule under the header. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...rows.map((row) => (row[i] ?? '').length)),
  )
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? ''
        const width = widths[i] ?? 0
        return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width)
      })
      .join('  ')
      .trimEnd()
  return [line(columns.map((c) => c.header)), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)]
}

/** `1234567` → `1,234,567`. */
export const formatCount = (n: number): string => Math.round(n).toLocaleString('en-US')

/**
 * A count with its noun, singular for one: `countOf(1, 'session')` → `1 session`, `countOf(2, 'session')` →
 * `2 sessions`, `countOf(1200, 'user')` → `1,200 users`.
 */
export function countOf(n: number, noun: string): string {
  return `${formatCount(n)} ${Math.round(n) === 1 ? noun : `${noun}s`}`
}

/** Milliseconds as `850 ms` or `12.3 s`. */
export function formatMs(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`
}

/** Counts per outcome as `connected 12, needsMfa 3`, largest first. */
export function formatCounts(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
  return entries.length === 0 ? 'none' : entries.map(([name, n]) => `${name} ${formatCount(n)}`).join(', ')
}
