import { describe, expect, it } from 'vitest'
import { createProgress } from '../../src/cli/report/progress.js'
import { formatCounts, renderTable } from '../../src/cli/report/table.js'
import { capture } from './demo-capture.js'

// The demo's and sweep's progress on stderr: a bar redrawn in place on a terminal, a few plain lines otherwise.

describe('progress', () => {
  it('without a terminal prints one plain line per quarter, not one per update', () => {
    const c = capture()
    const progress = createProgress(c.ctx, 'sweep')
    for (let done = 0; done <= 200; done++) progress.update(done, 200)
    progress.finish()
    expect(c.err).toEqual(['sweep 0/200', 'sweep 50/200', 'sweep 100/200', 'sweep 150/200', 'sweep 200/200'])
  })

  it('on a terminal redraws one line with a bar and ends it with a newline', () => {
    const writes: string[] = []
    const c = capture()
    const progress = createProgress({ ...c.ctx, errTty: (text) => void writes.push(text) }, 'sweep')
    progress.update(0, 4, 'none')
    progress.update(4, 4, 'connected 4')
    progress.finish()
    expect(c.err).toEqual([])
    expect(writes[0]).toBe(`\r\x1b[2Ksweep [${'-'.repeat(28)}] 0/4  none`)
    expect(writes).toContain(`\r\x1b[2Ksweep [${'#'.repeat(28)}] 4/4  connected 4`)
    expect(writes.at(-1)).toBe('\n')
  })

  it('on a terminal keeps the line within 80 columns, so redrawing never wraps', () => {
    const writes: string[] = []
    const progress = createProgress({ ...capture().ctx, errTty: (text) => void writes.push(text) }, 'sweep')
    progress.update(1, 2, 'connected 1, '.repeat(20))
    const line = writes[0]?.replace('\r\x1b[2K', '') ?? ''
    expect(line.length).toBeLessThanOrEqual(79)
    expect(line.endsWith('...')).toBe(true)
  })
})

describe('report tables', () => {
  it('pads columns, aligns numbers right, and rules the header', () => {
    expect(
      renderTable(
        [{ header: 'outcome' }, { header: 'n', align: 'right' }],
        [
          ['connected', '12'],
          ['needsMfa', '3'],
        ],
      ),
    ).toEqual(['outcome     n', '---------  --', 'connected  12', 'needsMfa    3'])
  })

  it('lists counts largest first', () => {
    expect(formatCounts({ needsMfa: 3, connected: 12, failed: 3 })).toBe('connected 12, failed 3, needsMfa 3')
    expect(formatCounts({})).toBe('none')
  })
})
