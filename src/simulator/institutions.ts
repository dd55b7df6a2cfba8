import { FIELD_TYPES } from '../domain/index.js'
import { hash32 } from './random.js'

/**
 * Institutions the simulator knows. `mxbank` is MX's test bank (Nexus reference §11): a LOGIN and a
 * PASSWORD, outcomes encoded in the password. Others show what a real catalogue varies: an OAuth bank
 * (§3.8) and a bank with an extra PIN field (simulator.md: "other institutions can declare extra
 * credential fields"). Guids derive from the code, so they are the same for every seed.
 */

/** A credential field an institution asks for (§3.5). */
export interface FieldDef {
  readonly fieldName: string
  readonly label: string
  /** A `field_type` name from §3.5 (`LOGIN`, `PASSWORD`, `TEXT`, ...). */
  readonly fieldTypeName: string
  readonly fieldType: number
  readonly displayOrder: number
  readonly optional: boolean
  /** The institution-level credential guid (`GET /institutions/{guid}/credentials`). */
  readonly guid: string
}

/** An institution. */
export interface Institution {
  readonly code: string
  readonly guid: string
  readonly name: string
  readonly isOauth: boolean
  readonly fields: readonly FieldDef[]
}

/**
 * How callers declare an extra institution (`startSimulator({ institutions })`).
 *
 * @example
 * ```ts
 * const pinBank: InstitutionInput = {
 *   code: 'pin_bank',
 *   fields: [{ fieldName: 'LOGIN' }, { fieldName: 'PASSWORD', type: 'PASSWORD' }, { fieldName: 'PIN', type: 'PASSWORD' }],
 * }
 * const sim = await startSimulator({ institutions: [pinBank] })
 * ```
 */
export interface InstitutionInput {
  readonly code: string
  readonly name?: string
  readonly isOauth?: boolean
  /** Fields in display order; `type` is a §3.5 field type name, default `TEXT`. */
  readonly fields?: readonly { fieldName: string; label?: string; type?: string; optional?: boolean }[]
}

const stableUuid = (seed: string): string => {
  const parts = [0, 1, 2, 3].map((i) => hash32(`${seed}#${i}`).toString(16).padStart(8, '0'))
  const [a = '', b = '', c = '', d = ''] = parts
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`
}

/** Builds an institution from its declaration; throws `TypeError` on an unknown field type. */
export function defineInstitution(input: InstitutionInput): Institution {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(input.code)) throw new TypeError(`bad institution code: ${input.code}`)
  const fields = (input.fields ?? []).map((field, index): FieldDef => {
    const typeName = field.type ?? 'TEXT'
    const fieldType = (FIELD_TYPES as readonly string[]).indexOf(typeName)
    if (fieldType < 0)
      throw new TypeError(`unknown field type ${typeName} for ${input.code}.${field.fieldName}`)
    return {
      fieldName: field.fieldName,
      label: field.label ?? field.fieldName,
      fieldTypeName: typeName,
      fieldType,
      displayOrder: index + 1,
      optional: field.optional ?? false,
      guid: `CRD-${stableUuid(`${input.code}/${field.fieldName}`)}`,
    }
  })
  return {
    code: input.code,
    guid: `INS-${stableUuid(input.code)}`,
    name: input.name ?? input.code,
    isOauth: input.isOauth ?? false,
    fields,
  }
}

/**
 * The built-in catalogue: `mxbank` (LOGIN + PASSWORD), `mx_bank_oauth` (OAuth), `mxbank_pin` (+ PIN).
 *
 * @example
 * ```ts
 * DEFAULT_INSTITUTIONS.map((i) => i.code) // ['mxbank', 'mx_bank_oauth', 'mxbank_pin']
 * ```
 */
export const DEFAULT_INSTITUTIONS: readonly Institution[] = [
  defineInstitution({
    code: 'mxbank',
    name: 'MX Bank',
    fields: [
      { fieldName: 'LOGIN', label: 'Username', type: 'LOGIN' },
      { fieldName: 'PASSWORD', label: 'Password', type: 'PASSWORD' },
    ],
  }),
  defineInstitution({ code: 'mx_bank_oauth', name: 'MX Bank (OAuth)', isOauth: true }),
  defineInstitution({
    code: 'mxbank_pin',
    name: 'MX Bank (PIN)',
    fields: [
      { fieldName: 'LOGIN', label: 'Username', type: 'LOGIN' },
      { fieldName: 'PASSWORD', label: 'Password', type: 'PASSWORD' },
      { fieldName: 'PIN', label: 'PIN', type: 'PASSWORD' },
    ],
  }),
]

/** The field whose value is the username (first LOGIN-type field). */
export function loginField(institution: Institution): FieldDef | undefined {
  return institution.fields.find((f) => f.fieldTypeName === 'LOGIN')
}

/** The field whose value selects the scenario (the field named PASSWORD, else the first PASSWORD-type one). */
export function passwordField(institution: Institution): FieldDef | undefined {
  return (
    institution.fields.find((f) => f.fieldName === 'PASSWORD') ??
    institution.fields.find((f) => f.fieldTypeName === 'PASSWORD')
  )
}
