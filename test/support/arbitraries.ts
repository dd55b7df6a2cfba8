import fc from 'fast-check'
import { KNOWN_STATUSES } from '../../src/domain/index.js'

/** An MX-style guid with a prefix. */
export const guidArb = (prefix: string): fc.Arbitrary<string> => fc.uuid().map((u) => `${prefix}-${u}`)

/** A raw `connection_status` string: mostly known, sometimes a future one. */
export const rawStatusArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KNOWN_STATUSES) },
  {
    weight: 1,
    arbitrary: fc
      .stringMatching(/^[A-Z_]{3,12}$/)
      .filter((s) => !(KNOWN_STATUSES as readonly string[]).includes(s)),
  },
)

const isoArb = fc
  .date({ min: new Date('2010-01-01'), max: new Date('2035-01-01'), noInvalidDate: true })
  .map((d) => d.toISOString())

/** A member object as MX may send it (wire form, with optional keys absent). */
export const wireMemberArb = fc.record(
  {
    guid: guidArb('MBR'),
    user_guid: guidArb('USR'),
    institution_code: fc.constantFrom('mxbank', 'mx_bank_oauth', 'wells'),
    name: fc.string({ maxLength: 20 }),
    connection_status: rawStatusArb,
    connection_status_id: fc.integer({ min: 0, max: 30 }),
    connection_status_message: fc.string({ maxLength: 40 }),
    is_being_aggregated: fc.boolean(),
    aggregated_at: fc.option(isoArb, { nil: null }),
    successfully_aggregated_at: fc.option(isoArb, { nil: null }),
    most_recent_job_guid: guidArb('JOB'),
    is_oauth: fc.boolean(),
    external_guid: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
    metadata: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
    revision: fc.nat(500),
  },
  { requiredKeys: ['guid'] },
)
