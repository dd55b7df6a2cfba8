import { StoreError } from './errors.js'
import { LIFECYCLE_STATUSES, type HistoryInput, type LifecycleStatus } from './types.js'

// "Bad input never loses or corrupts stored state": every store validates all of an operation's input
// with these functions before it writes anything. Messages name the field, never the value (house rule 8).

/** The longest guid, user id, owner or history type accepted. */
const MAX_ID_LENGTH = 256
/** The longest state path accepted. */
const MAX_STATE_LENGTH = 1024
/** Deeper JSON than this is refused (a guard against runaway recursion, far beyond any real snapshot). */
const MAX_DEPTH = 256
/** Default cap for one JSON value, in UTF-8 bytes. */
export const DEFAULT_MAX_JSON_BYTES = 1024 * 1024

/** C0/C1 control characters, or a lone surrogate (which SQLite would silently turn into U+FFFD). */
const BAD_TEXT = /[\p{Cc}\p{Cs}]/u

function invalid(field: string, message: string, memberGuid?: string): StoreError {
  return new StoreError({ reason: 'invalid', field, message: `${field}: ${message}`, memberGuid })
}

/** A guid, user id, owner or type: a non-empty well-formed string without control characters. */
export function checkText(value: unknown, field: string, max = MAX_ID_LENGTH, memberGuid?: string): string {
  if (typeof value !== 'string') throw invalid(field, 'must be a string', memberGuid)
  if (value.length === 0 || value.length > max) {
    throw invalid(field, `must be 1 to ${max} characters long`, memberGuid)
  }
  if (BAD_TEXT.test(value)) {
    throw invalid(field, 'must not contain control characters or lone surrogates', memberGuid)
  }
  return value
}

/** A member guid (also the key every operation names). */
export function checkGuid(value: unknown, field = 'memberGuid'): string {
  return checkText(value, field)
}

/** A machine state path. */
export function checkState(value: unknown, field: string, memberGuid: string): string {
  return checkText(value, field, MAX_STATE_LENGTH, memberGuid)
}

export function checkStatus(value: unknown, field: string, memberGuid: string): LifecycleStatus {
  if (typeof value === 'string' && (LIFECYCLE_STATUSES as readonly string[]).includes(value)) {
    return value as LifecycleStatus
  }
  throw invalid(field, `must be one of ${LIFECYCLE_STATUSES.join(', ')}`, memberGuid)
}

/** An epoch-ms time: a non-negative safe integer. */
export function checkTime(value: unknown, field: string, memberGuid?: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(field, 'must be a non-negative integer (epoch ms)', memberGuid)
  }
  return value
}

/** A non-negative safe integer (history positions). */
export function checkNonNegative(value: unknown, field: string, memberGuid?: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(field, 'must be a non-negative integer', memberGuid)
  }
  return value
}

export function checkOptionalTime(value: unknown, field: string, memberGuid: string): number | null {
  return value === null ? null : checkTime(value, field, memberGuid)
}

/** A positive safe integer (versions, lease lengths, page sizes). */
export function checkPositive(value: unknown, field: string, memberGuid?: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalid(field, 'must be a positive integer', memberGuid)
  }
  return value
}

/** The clock's reading: checked, so a broken clock cannot write NaN into a row. */
export function readClock(clock: () => number): number {
  return checkTime(clock(), 'clock()')
}

function describeKey(path: string, key: string): string {
  const shown = key.length > 64 ? `${key.slice(0, 64)}…` : key
  return /^[A-Za-z_$][\w$]*$/.test(shown) ? `${path}.${shown}` : `${path}[${JSON.stringify(shown)}]`
}

function walk(
  value: unknown,
  path: string,
  depth: number,
  ancestors: Set<object>,
  memberGuid?: string,
): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return
    case 'number':
      if (!Number.isFinite(value))
        throw invalid(path, 'numbers must be finite (no NaN or Infinity)', memberGuid)
      return
    case 'object':
      break
    default:
      // undefined (outside an object property), function, symbol, bigint: JSON would drop or refuse them.
      throw invalid(path, `a ${typeof value} is not JSON data`, memberGuid)
  }
  if (value === null) return
  if (depth > MAX_DEPTH) throw invalid(path, `nested deeper than ${MAX_DEPTH} levels`, memberGuid)
  if (ancestors.has(value)) throw invalid(path, 'contains a cycle', memberGuid)
  ancestors.add(value)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) walk(value[i], `${path}[${i}]`, depth + 1, ancestors, memberGuid)
  } else {
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) {
      // Date, Map, Error, class instances: they would not come back as what was saved.
      throw invalid(path, 'only plain objects and arrays are JSON data', memberGuid)
    }
    for (const [key, child] of Object.entries(value)) {
      // An undefined property is dropped, exactly as JSON.stringify does (XState snapshots carry some).
      if (child !== undefined) walk(child, describeKey(path, key), depth + 1, ancestors, memberGuid)
    }
  }
  ancestors.delete(value)
}

/**
 * The fast check `toJson` runs first: the same rules as `walk`, but it builds no path strings and keeps no
 * ancestor set beyond the current branch's array. Only when it says no does `walk` run again to name the
 * offending path (issue 15: validation paths built only on error).
 */
function isJsonData(value: unknown, depth: number, ancestors: object[]): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value)
    case 'object':
      break
    default:
      return false
  }
  if (value === null) return true
  if (depth > MAX_DEPTH || ancestors.includes(value)) return false
  ancestors.push(value)
  let ok = true
  if (Array.isArray(value)) {
    for (let i = 0; ok && i < value.length; i++) ok = isJsonData(value[i], depth + 1, ancestors)
  } else {
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) ok = false
    else
      for (const key in value) {
        const child = (value as Record<string, unknown>)[key]
        if (child !== undefined && !isJsonData(child, depth + 1, ancestors)) {
          ok = false
          break
        }
      }
  }
  ancestors.pop()
  return ok
}

/** Validates plain JSON data and returns its text; undefined is refused (callers map it first). */
export function toJson(value: unknown, field: string, maxBytes: number, memberGuid?: string): string {
  // The slow walk runs only to say what is wrong: it throws with the path.
  if (!isJsonData(value, 0, [])) {
    walk(value, field, 0, new Set(), memberGuid)
    throw invalid(field, 'is not JSON data', memberGuid)
  }
  const text = JSON.stringify(value)
  if (Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw invalid(field, `is larger than ${maxBytes} bytes of JSON`, memberGuid)
  }
  return text
}

/** A history entry ready to store (validated, serialised, time resolved). */
export interface PreparedHistory {
  readonly at: number
  readonly type: string
  readonly data: string
}

export function prepareHistory(
  entries: unknown,
  memberGuid: string,
  now: number,
  maxBytes: number,
): PreparedHistory[] {
  if (entries === undefined) return []
  if (!Array.isArray(entries)) throw invalid('history', 'must be an array', memberGuid)
  return entries.map((entry: unknown, i) => {
    const field = `history[${i}]`
    if (typeof entry !== 'object' || entry === null) throw invalid(field, 'must be an object', memberGuid)
    const { type, data, at } = entry as HistoryInput
    return {
      type: checkText(type, `${field}.type`, MAX_ID_LENGTH, memberGuid),
      data: toJson(data === undefined ? null : data, `${field}.data`, maxBytes, memberGuid),
      at: at === undefined ? now : checkTime(at, `${field}.at`, memberGuid),
    }
  })
}

/** Compares guids in Unicode code-point order: the order of SQLite's BINARY collation over UTF-8. */
export function compareGuids(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Below the surrogates UTF-16 order is code-point order; above, only the UTF-8 bytes can tell.
    if (x < 0xd800 && y < 0xd800) return x - y
    return Buffer.compare(Buffer.from(a.slice(i), 'utf8'), Buffer.from(b.slice(i), 'utf8'))
  }
  return a.length - b.length
}
