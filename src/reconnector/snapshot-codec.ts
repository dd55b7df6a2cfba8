import { seedFrom, type LifecyclePolicy } from '../../machines/member-lifecycle/index.js'

// The stored form of a lifecycle snapshot (issue 15, docs/decisions/0017): XState's persisted snapshot with
// what the row or the reconnector already knows left out. Pure functions; `decodeSnapshot` undoes
// `encodeSnapshot` exactly but for challenge images, which are re-read from MX (snapshot-images.ts).
//
// - `v: 2` marks the form; anything else (today's rows: XState's snapshot as is, or `{ queued }`) decodes
//   unchanged, so rows written by earlier versions still restore.
// - Context keys equal to their initial value are left out (nulls, zero counters); so are the member's ids
//   (the row's columns), a seed equal to the one derived from them, and a policy equal to the reconnector's.
// - Inside the context: a prompt's null labels and false flags, a pending trigger's job guid when it is the
//   member's, its challenge guids when they are the challenges' (`'*'`).
// - Child actors: `syncSnapshot: false`, `status: 'active'`, and input ids equal to the context's
//   (named in `$`). A final snapshot's output: fields derived from the context (named in `$`).
// - Challenge images (`imageData`, options' `dataUri`) are replaced by `0`: a real bank's are kilobytes.

/** The stored form's version marker. */
export const SNAPSHOT_FORMAT = 2

/** What the codec needs besides the snapshot: the row's ids and the reconnector's resolved policy. */
export interface CodecContext {
  readonly userId: string
  readonly memberGuid: string
  /** The reference policy: a context whose policy equals it stores none. */
  readonly policy: LifecyclePolicy
}

/**
 * The issue a challenge carries when its image was left out of the stored snapshot and has not been read
 * from MX again (yet): the prompt is shown anyway, saying why the image is missing.
 */
export const IMAGE_NOT_READ = 'image not re-read from MX after restore'

/** The placeholder of an image left out of the stored form. */
const IMAGE = 0

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Structural equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]))
  if (!isObj(a) || !isObj(b)) return false
  const ka = Object.keys(a).filter((k) => a[k] !== undefined)
  const kb = Object.keys(b).filter((k) => b[k] !== undefined)
  return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]))
}

/**
 * Context keys and the value a lifecycle starts with (machines/member-lifecycle/context.ts), as stored form
 * v2 defines them: a stored row leaves these out and decoding puts them back, so they are part of the format.
 * test/reconnector/snapshot-codec.test.ts pins them to `initialContext`: a change there needs a new format.
 */
export const CONTEXT_DEFAULTS: Readonly<Obj> = {
  observedAt: null,
  member: null,
  fields: null,
  challenges: null,
  attempts: { credentials: 0, mfa: 0, service: 0 },
  streak: 0,
  submissionId: null,
  pending: null,
  userDeadline: null,
  jobDeadline: null,
  polls: 0,
  idleReads: 0,
  wakeAt: null,
  retryStep: null,
  error: null,
  validation: null,
  outcome: null,
  retryAfter: null,
  oauthWindowUri: null,
}
const MEMBER_DEFAULTS: Readonly<Obj> = {
  status: null,
  message: null,
  aggregating: false,
  jobGuid: null,
  isOauth: false,
}
const FIELD_DEFAULTS: Readonly<Obj> = { label: null, fieldName: null, type: null, optional: false }
const CHALLENGE_DEFAULTS: Readonly<Obj> = { label: null, fieldName: null }
const OPTION_DEFAULTS: Readonly<Obj> = { label: null, value: null }
/** Child input keys that repeat the context, by the letter `$` names them with. */
const INPUT_REFS: Readonly<Record<string, string>> = { u: 'userId', m: 'memberGuid', s: 'submissionId' }
/** Output keys derived from the context, by letter. */
const OUTPUT_REFS: Readonly<Record<string, string>> = {
  m: 'memberGuid',
  s: 'connectionStatus',
  t: 'message',
  a: 'attempts',
}

/** `o` without the keys whose value equals `defaults`'. */
function lean(o: Obj, defaults: Readonly<Obj>): Obj {
  const out: Obj = {}
  for (const [k, v] of Object.entries(o)) if (!(k in defaults && jsonEqual(v, defaults[k]))) out[k] = v
  return out
}

/** `o` with every key of `defaults` it lacks (defaults first, so keys keep the machine's order). */
const full = (o: Obj, defaults: Readonly<Obj>): Obj => ({ ...defaults, ...o })

/** Leaves out the keys of `o` equal to `derived`'s, naming them in `$` by their letter in `refs`. */
function refer(o: Obj, derived: Obj, refs: Readonly<Record<string, string>>): Obj {
  const out: Obj = { ...o }
  let named = ''
  for (const [letter, key] of Object.entries(refs)) {
    if (key in o && o[key] !== undefined && jsonEqual(o[key], derived[key])) {
      delete out[key]
      named += letter
    }
  }
  return named ? { ...out, $: named } : out
}

/** Undoes `refer`. */
function unrefer(o: Obj, derived: Obj, refs: Readonly<Record<string, string>>): Obj {
  if (typeof o.$ !== 'string') return o
  const { $: named, ...rest } = o
  const out: Obj = {}
  for (const letter of named) {
    const key = refs[letter]
    if (key) out[key] = derived[key]
  }
  return { ...out, ...rest }
}

const objects = (v: unknown): Obj[] | undefined => (Array.isArray(v) ? v.filter(isObj) : undefined)
const mapList = (v: unknown, f: (o: Obj) => Obj): unknown =>
  Array.isArray(v) && v.every(isObj) ? v.map(f) : v

function encodeOption(o: Obj, images: boolean): Obj {
  const out = lean(o, OPTION_DEFAULTS)
  if (images && typeof out.dataUri === 'string') out.dataUri = IMAGE
  return out
}
const decodeOption = (o: Obj): Obj => {
  const { dataUri, ...rest } = full(o, OPTION_DEFAULTS)
  return dataUri === IMAGE ? rest : { ...rest, ...(dataUri === undefined ? {} : { dataUri }) }
}

function encodeChallenge(c: Obj): Obj {
  const out = lean(c, CHALLENGE_DEFAULTS)
  if (typeof out.imageData === 'string') out.imageData = IMAGE
  if ('options' in out) out.options = mapList(out.options, (o) => encodeOption(o, true))
  if ('imageOptions' in out) out.imageOptions = mapList(out.imageOptions, (o) => encodeOption(o, true))
  return out
}

function decodeChallenge(c: Obj, awaiting: boolean): Obj {
  const { imageData, ...rest } = full(c, CHALLENGE_DEFAULTS)
  const lists = ['options', 'imageOptions'].filter((k) => Array.isArray(rest[k]))
  const dropped =
    imageData === IMAGE ||
    lists.some((k) => (rest[k] as unknown[]).some((o) => isObj(o) && o.dataUri === IMAGE))
  const out: Obj = { ...rest, ...(imageData === undefined || imageData === IMAGE ? {} : { imageData }) }
  for (const k of lists) out[k] = mapList(rest[k], decodeOption)
  if (dropped && awaiting) {
    const issues = Array.isArray(out.issues) ? (out.issues as unknown[]) : []
    out.issues = [...issues, IMAGE_NOT_READ]
  }
  return out
}

/** The seed a lifecycle of these ids starts with (context.ts, `initialContext`). */
const defaultSeed = (userId: unknown, memberGuid: unknown) =>
  typeof userId === 'string' && typeof memberGuid === 'string'
    ? seedFrom(`${userId}/${memberGuid}`)
    : undefined

const challengeGuids = (challenges: unknown) => objects(challenges)?.map((c) => c.guid)

function encodeContext(c: Obj, at: CodecContext): Obj {
  const out = lean(c, CONTEXT_DEFAULTS)
  if (out.userId === at.userId) delete out.userId
  if (out.memberGuid === at.memberGuid) delete out.memberGuid
  if (jsonEqual(out.policy, at.policy)) delete out.policy
  if (out.seed !== undefined && out.seed === defaultSeed(c.userId, c.memberGuid)) delete out.seed
  if (isObj(out.member)) out.member = lean(out.member, MEMBER_DEFAULTS)
  if ('fields' in out)
    out.fields = mapList(out.fields, (f) => {
      const field = lean(f, FIELD_DEFAULTS)
      if ('options' in field) field.options = mapList(field.options, (o) => encodeOption(o, false))
      return field
    })
  if ('challenges' in out) out.challenges = mapList(out.challenges, encodeChallenge)
  if (isObj(out.pending)) {
    const p: Obj = { ...out.pending }
    const member = c.member
    if (p.jobGuid === (isObj(member) ? member.jobGuid : null)) delete p.jobGuid
    if (p.challengeGuids !== undefined && jsonEqual(p.challengeGuids, challengeGuids(c.challenges)))
      p.challengeGuids = '*'
    out.pending = p
  }
  return out
}

function decodeContext(c: Obj, at: CodecContext, awaiting: boolean): Obj {
  const userId = c.userId ?? at.userId
  const memberGuid = c.memberGuid ?? at.memberGuid
  const seed = c.seed ?? defaultSeed(userId, memberGuid)
  const out = full(
    { ...c, userId, memberGuid, policy: c.policy ?? at.policy, seed },
    {
      userId,
      memberGuid,
      policy: null,
      seed,
      ...CONTEXT_DEFAULTS,
    },
  )
  if (isObj(out.member)) out.member = full(out.member, MEMBER_DEFAULTS)
  out.fields = mapList(out.fields, (f) => {
    const field = full(f, FIELD_DEFAULTS)
    if ('options' in field) field.options = mapList(field.options, decodeOption)
    return field
  })
  out.challenges = mapList(out.challenges, (ch) => decodeChallenge(ch, awaiting))
  if (isObj(out.pending)) {
    const p: Obj = { ...out.pending }
    if (!('jobGuid' in p)) p.jobGuid = isObj(out.member) ? out.member.jobGuid : null
    if (p.challengeGuids === '*') p.challengeGuids = challengeGuids(out.challenges)
    out.pending = p
  }
  return out
}

/** `{ mfa: 'awaiting' }` → `mfa.awaiting` when the value is a plain path; else the value as is. */
function encodeValue(value: unknown): unknown {
  const parts: string[] = []
  let v = value
  while (isObj(v)) {
    const keys = Object.keys(v)
    if (keys.length !== 1 || keys[0]!.includes('.')) return value
    parts.push(keys[0]!)
    v = v[keys[0]!]
  }
  if (typeof v !== 'string' || v.includes('.') || parts.length === 0) return value
  return [...parts, v].join('.')
}
function decodeValue(value: unknown): unknown {
  if (typeof value !== 'string' || !value.includes('.')) return value
  const parts = value.split('.')
  return parts.slice(0, -1).reduceRight<unknown>((inner, key) => ({ [key]: inner }), parts.at(-1))
}

function encodeChildren(children: Obj, context: Obj): Obj {
  const out: Obj = {}
  for (const [id, child] of Object.entries(children)) {
    if (!isObj(child) || !isObj(child.snapshot)) {
      out[id] = child
      continue
    }
    const { syncSnapshot, ...rest } = child
    const snap: Obj = { ...child.snapshot }
    if (snap.status === 'active') delete snap.status
    if (isObj(snap.input)) snap.input = refer(snap.input, context, INPUT_REFS)
    out[id] = { ...rest, ...(syncSnapshot === false ? {} : { syncSnapshot }), snapshot: snap }
  }
  return out
}
function decodeChildren(children: Obj, context: Obj): Obj {
  const out: Obj = {}
  for (const [id, child] of Object.entries(children)) {
    if (!isObj(child) || !isObj(child.snapshot)) {
      out[id] = child
      continue
    }
    const snap: Obj = { status: 'active', ...child.snapshot }
    if (isObj(snap.input)) snap.input = unrefer(snap.input, context, INPUT_REFS)
    out[id] = { ...child, snapshot: snap, syncSnapshot: child.syncSnapshot ?? false }
  }
  return out
}

/** What a final snapshot's output repeats of its context (machines/member-lifecycle/outcomes.ts). */
function derivedOutput(context: Obj): Obj {
  const member = isObj(context.member) ? context.member : {}
  return {
    memberGuid: context.memberGuid,
    connectionStatus: member.status ?? null,
    message: member.message ?? null,
    attempts: context.attempts,
  }
}

/**
 * The stored form of a persisted lifecycle snapshot (`actor.getPersistedSnapshot()`). Anything that is not
 * a machine snapshot (a queued input, a foreign value) is returned unchanged.
 *
 * @example
 * ```ts
 * const stored = encodeSnapshot(actor.getPersistedSnapshot(), { userId, memberGuid, policy })
 * decodeSnapshot(stored, { userId, memberGuid, policy }) // the snapshot again (images left out)
 * ```
 */
export function encodeSnapshot(snapshot: unknown, at: CodecContext): unknown {
  if (!isObj(snapshot) || !isObj(snapshot.context) || 'v' in snapshot || 'queued' in snapshot) return snapshot
  const { status, value, historyValue, context, children, output, ...rest } = snapshot
  const out: Obj = { v: SNAPSHOT_FORMAT }
  if (status !== 'active') out.status = status
  out.value = encodeValue(value)
  if (!(isObj(historyValue) && Object.keys(historyValue).length === 0)) out.historyValue = historyValue
  out.context = encodeContext(context, at)
  if (isObj(children) && Object.keys(children).length > 0) out.children = encodeChildren(children, context)
  else if (children !== undefined && !isObj(children)) out.children = children
  if (output !== undefined)
    out.output = isObj(output) ? refer(output, derivedOutput(context), OUTPUT_REFS) : output
  return { ...out, ...rest }
}

/**
 * A persisted lifecycle snapshot from its stored form. Rows in the form of earlier versions (no `v`)
 * come back unchanged. Challenge images come back left out: a lifecycle waiting on MFA answers gets an
 * {@link IMAGE_NOT_READ} issue on each challenge that had one, for snapshot-images.ts to fill from MX.
 * A `v: 2` value it cannot read comes back as it is, for the reconnector's shape check to set aside.
 *
 * @example
 * ```ts
 * const snapshot = decodeSnapshot(record.snapshot, { userId: record.userId, memberGuid: record.memberGuid, policy })
 * ```
 */
export function decodeSnapshot(stored: unknown, at: CodecContext): unknown {
  if (!isObj(stored) || stored.v !== SNAPSHOT_FORMAT || !isObj(stored.context)) return stored
  const { v: _v, status, value, historyValue, context: slim, children, output, ...rest } = stored
  const state = decodeValue(value)
  const finalStatus = status ?? 'active'
  const awaiting = finalStatus === 'active' && isObj(state) && state.mfa === 'awaiting'
  const context = decodeContext(slim, at, awaiting)
  const out: Obj = {
    status: finalStatus,
    value: state,
    historyValue: historyValue ?? {},
    context,
    children: isObj(children) ? decodeChildren(children, context) : (children ?? {}),
  }
  if (output !== undefined)
    out.output = isObj(output) ? unrefer(output, derivedOutput(context), OUTPUT_REFS) : output
  return { ...out, ...rest }
}
