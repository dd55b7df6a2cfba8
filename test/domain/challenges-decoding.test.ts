import { describe, expect, it } from 'vitest'
import { toChallengePrompts } from '../../machines/member-lifecycle/index.js'
import { schemas } from '../../src/domain/index.js'

// Issue 10 item 4: one odd challenge must not fail the list. Each challenge decodes on its own (still through
// zod), and an odd or unknown one stays visible in the prompt with what can be shown (§6, §12).

const text = { guid: 'CRD-text', type: 'TEXT', label: 'What city were you born in?', field_name: 'city' }

describe('challenge lists decode item by item', () => {
  it('OPTIONS with `options: null` keeps the list and shows the challenge with its label and type', () => {
    const body = {
      challenges: [text, { guid: 'CRD-opt', type: 'OPTIONS', label: 'Pick one', options: null }],
    }
    const { challenges } = schemas.challenges.parse(body)
    expect(challenges.map((c) => c.guid)).toEqual(['CRD-text', 'CRD-opt'])
    expect(toChallengePrompts(challenges)[1]).toEqual({
      guid: 'CRD-opt',
      type: 'OPTIONS',
      label: 'Pick one',
      fieldName: null,
      issues: ['options: this challenge type needs options'],
    })
    expect(toChallengePrompts(challenges)[0]).not.toHaveProperty('issues')
  })

  it('IMAGE_OPTIONS that also carries `options` keeps both', () => {
    const body = {
      challenges: [
        {
          guid: 'CRD-img',
          type: 'IMAGE_OPTIONS',
          label: 'Which is yours?',
          options: [{ label: 'a', value: 'a' }],
          image_options: [{ label: 'cat', value: 'cat', data_uri: 'data:image/png;base64,AAAA' }],
        },
      ],
    }
    const [prompt] = toChallengePrompts(schemas.challenges.parse(body).challenges)
    expect(prompt).toMatchObject({
      type: 'IMAGE_OPTIONS',
      options: [{ value: 'a' }],
      imageOptions: [{ value: 'cat', dataUri: 'data:image/png;base64,AAAA' }],
    })
  })

  it('an unknown type, a numeric type, a missing type and a badly typed field each stay visible', () => {
    const body = {
      member: [
        { guid: 'CRD-new', type: 'SLIDER', label: 'Slide to verify' },
        { guid: 'CRD-num', type: 12, label: 'Code' },
        { guid: 'CRD-none', label: 'No type at all' },
        { guid: 'CRD-odd', type: 'TEXT', label: 42, options: 'not a list', extra: { nested: true } },
        text,
      ],
    }
    const prompts = toChallengePrompts(schemas.challenges.parse(body).challenges)
    expect(prompts.map((p) => [p.guid, p.type, p.label])).toEqual([
      ['CRD-new', 'SLIDER', 'Slide to verify'],
      ['CRD-num', 'TOKEN', 'Code'],
      ['CRD-none', 'missing', 'No type at all'],
      ['CRD-odd', 'TEXT', '42'],
      ['CRD-text', 'TEXT', 'What city were you born in?'],
    ])
  })

  it('options that do not decode are dropped one by one, the rest kept', () => {
    const body = {
      challenges: [
        {
          guid: 'CRD-o',
          type: 'OPTIONS',
          label: 'Where to send the code?',
          options: [{ label: 'SMS', value: 'sms', guid: 'OPT-1' }, 'garbage', { label: 'Email', value: 7 }],
        },
      ],
    }
    const [prompt] = toChallengePrompts(schemas.challenges.parse(body).challenges)
    expect(prompt?.options).toEqual([
      { label: 'SMS', value: 'sms', guid: 'OPT-1' },
      { label: 'Email', value: '7' },
    ])
  })

  it('an item without a guid cannot be answered: it is left out, the list still decodes', () => {
    const { challenges } = schemas.challenges.parse({
      challenges: [{ type: 'TEXT', label: 'x' }, 'junk', text],
    })
    expect(challenges.map((c) => c.guid)).toEqual(['CRD-text'])
  })

  it('`challenges: null` is an empty list; a body that is not a list at all still fails', () => {
    expect(schemas.challenges.parse({ challenges: null }).challenges).toEqual([])
    expect(schemas.challenges.safeParse({ challenges: 'nope' }).success).toBe(false)
    expect(schemas.challenges.safeParse({}).success).toBe(false)
  })
})
