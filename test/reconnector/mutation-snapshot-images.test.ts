import { describe, expect, it } from 'vitest'
import type { Challenge } from '../../src/domain/schemas/index.js'
import { IMAGE_NOT_READ } from '../../src/reconnector/snapshot-codec.js'
import { needsImages, withImages } from '../../src/reconnector/snapshot-images.js'

// Challenge images read again from MX (docs/decisions/0017, snapshot-images.ts's TSDoc): only an active
// `mfa.awaiting` snapshot whose challenges carry the IMAGE_NOT_READ issue needs them; each such challenge is
// matched by guid in MX's list, its options by option guid, or by value and label when they have none; a
// challenge MX no longer lists keeps the issue, the others lose it (and keep any other issue). Written
// against the survivors of a Stryker run on snapshot-images.ts.

type Obj = Record<string, unknown>
const hole = (over: Obj = {}): Obj => ({
  guid: 'CHL-1',
  type: 'IMAGE_OPTIONS',
  label: 'Pick',
  fieldName: 'q',
  issues: [IMAGE_NOT_READ],
  ...over,
})
const awaiting = (challenges: unknown, over: Obj = {}): Obj => ({
  status: 'active',
  value: { mfa: 'awaiting' },
  context: { memberGuid: 'MBR-1', challenges },
  ...over,
})
const mx = (over: Obj = {}) =>
  ({ guid: 'CHL-1', type: 'IMAGE_OPTIONS', label: 'Pick', field_name: 'q', ...over }) as unknown as Challenge

describe('needsImages', () => {
  it('only an active mfa.awaiting snapshot with a marked challenge', () => {
    expect(needsImages(awaiting([hole()]))).toBe(true)
    expect(needsImages(awaiting([{ guid: 'CHL-1', issues: ['other'] }, hole()]))).toBe(true)
    for (const not of [
      awaiting([hole()], { status: 'done' }),
      awaiting([hole()], { value: 'mfa.awaiting' }),
      awaiting([hole()], { value: { mfa: 'resuming' } }),
      awaiting([hole()], { value: { credentials: 'awaiting' } }),
      awaiting([hole()], { context: 'ctx' }),
      awaiting([hole()], { context: null }),
      awaiting(null),
      awaiting({ 0: hole() }),
      awaiting([{ guid: 'CHL-1', issues: ['other'] }]),
      awaiting([{ guid: 'CHL-1', issues: IMAGE_NOT_READ }]),
      awaiting([{ guid: 'CHL-1' }, null, 'x', [IMAGE_NOT_READ]]),
      null,
      [awaiting([hole()])],
    ])
      expect(needsImages(not), JSON.stringify(not)).toBe(false)
  })
})

describe('withImages', () => {
  it('hands back a snapshot that needs none as it is', () => {
    const s = awaiting([hole()], { value: { mfa: 'resuming' } })
    expect(withImages(s, [mx({ image_data: 'aW1n' })])).toBe(s)
  })

  it('fills a marked challenge by guid and drops only the IMAGE_NOT_READ issue; unmarked ones are untouched', () => {
    const plain = { guid: 'CHL-0', type: 'TEXT', label: 'Code', fieldName: 'c' }
    const s = awaiting([plain, hole({ issues: [IMAGE_NOT_READ, 'blurry'] })])
    const out = withImages(s, [mx({ guid: 'CHL-0', image_data: 'WRONG' }), mx({ image_data: 'aW1n' })]) as {
      context: { challenges: Obj[] }
    }
    expect(out.context.challenges[0]).toBe(plain)
    expect(out.context.challenges[1]).toStrictEqual({
      guid: 'CHL-1',
      type: 'IMAGE_OPTIONS',
      label: 'Pick',
      fieldName: 'q',
      imageData: 'aW1n',
      issues: ['blurry'],
    })
    expect(out.context).toMatchObject({ memberGuid: 'MBR-1' })
  })

  it('a challenge MX no longer lists keeps its issue; one MX lists without an image gets no image key', () => {
    const s = awaiting([hole(), hole({ guid: 'CHL-2' })])
    const out = withImages(s, [mx({ guid: 'CHL-2' })]) as { context: { challenges: Obj[] } }
    expect(out.context.challenges[0]).toStrictEqual(hole())
    expect(out.context.challenges[1]).toStrictEqual({
      guid: 'CHL-2',
      type: 'IMAGE_OPTIONS',
      label: 'Pick',
      fieldName: 'q',
    })
  })

  it('options: matched by option guid, else by value and label; unmatched or image-less ones stay as stored', () => {
    const stored = [
      { guid: 'OPT-1', label: 'A', value: 'a' },
      { label: 'B', value: 'b' },
      { label: 'C', value: 'c' },
      { guid: 'OPT-4', label: 'D', value: 'd' },
      { guid: 'OPT-5', label: 'E', value: 'e' },
      'odd',
      null,
    ]
    const fresh = [
      { guid: 'OPT-X', label: 'A', value: 'a', data_uri: 'data:,wrong' },
      { guid: 'OPT-1', label: 'other', value: 'other', data_uri: 'data:,a' },
      { label: 'B', value: 'b', data_uri: 'data:,b' },
      { label: 'C', value: 'x', data_uri: 'data:,wrong' },
      { label: 'x', value: 'c', data_uri: 'data:,wrong' },
      { guid: 'OPT-4', label: 'D', value: 'd' },
    ]
    const s = awaiting([hole({ imageOptions: stored, options: stored })])
    const out = withImages(s, [mx({ image_options: fresh, options: fresh })]) as {
      context: { challenges: Obj[] }
    }
    const expected = [
      { guid: 'OPT-1', label: 'A', value: 'a', dataUri: 'data:,a' },
      { label: 'B', value: 'b', dataUri: 'data:,b' },
      stored[2],
      stored[3],
      stored[4],
      'odd',
      null,
    ]
    expect(out.context.challenges[0]?.imageOptions).toStrictEqual(expected)
    expect(out.context.challenges[0]?.options).toStrictEqual(expected)
    expect((out.context.challenges[0]?.imageOptions as unknown[])[2]).toBe(stored[2])
  })

  it('options MX does not list, or stored options that are not a list, stay as stored; absent ones stay absent', () => {
    const stored = [{ guid: 'OPT-1', label: 'A', value: 'a' }]
    const s = awaiting([hole({ imageOptions: stored }), hole({ guid: 'CHL-2', options: 'none' })])
    const out = withImages(s, [
      mx({ image_data: 'aW1n' }),
      mx({ guid: 'CHL-2', options: [{ label: 'A', value: 'a' }] }),
    ]) as {
      context: { challenges: Obj[] }
    }
    expect(out.context.challenges[0]?.imageOptions).toBe(stored)
    expect('options' in out.context.challenges[0]!).toBe(false)
    expect(out.context.challenges[1]?.options).toBe('none')
    expect('imageOptions' in out.context.challenges[1]!).toBe(false)
  })
})
