import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { memberGuidSchema, userIdSchema } from '../../reconnector/args.js'
import type { MemberRef } from '../../reconnector/index.js'

/**
 * The users file of `mx-reconnect sweep --users FILE` (design: reconnector.md "CLI"): a JSON array of
 * user ids, `{ "userIds": [...] }`, `{ "members": [{ "userId", "memberGuid" }] }`, or one user id per
 * line (blank lines and `#` comments ignored). Parsed, not trusted (house rule 5).
 */

/** What to sweep: every member of these users, or these members. */
export type SweepTarget = { readonly userIds: readonly string[] } | { readonly members: readonly MemberRef[] }

/** A users file that cannot be read or does not hold a list of users or members. */
export class UsersFileError extends Error {
  override readonly name = 'UsersFileError'
}

const ID_ERROR = 'must be a non-empty string'
const id = z.string({ error: ID_ERROR }).trim().min(1, ID_ERROR)
const ids = z.array(id, { error: 'must be an array of user ids' }).min(1, 'lists no users')
const member = z.object({ userId: id, memberGuid: id }, { error: 'must be {"userId", "memberGuid"}' })
const SHAPES = {
  array: ids,
  userIds: z.strictObject({ userIds: ids }),
  members: z.strictObject({
    members: z.array(member, { error: 'must be an array' }).min(1, 'lists no members'),
  }),
}
const SHAPE_HINT =
  'must be a JSON array of user ids, {"userIds": [...]} or {"members": [{"userId", "memberGuid"}]}'

/** `members.0.memberGuid` → `members[0].memberGuid`. */
const pathOf = (path: readonly PropertyKey[]): string =>
  path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('')

const unique = <T>(items: readonly T[], key: (item: T) => string): T[] => [
  ...new Map(items.map((item) => [key(item), item])).values(),
]

/** The schema for the shape `json` has (so the error speaks about that shape), or undefined. */
function shapeOf(json: unknown): z.ZodType | undefined {
  if (Array.isArray(json)) return SHAPES.array
  if (typeof json !== 'object' || json === null) return undefined
  if ('members' in json) return SHAPES.members
  if ('userIds' in json) return SHAPES.userIds
  return undefined
}

function check(json: unknown, name: string): SweepTarget {
  const schema = shapeOf(json)
  if (schema === undefined) throw new UsersFileError(`users file ${name} ${SHAPE_HINT}`)
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue === undefined || issue.path.length === 0 ? '' : `${pathOf(issue.path)} `
    const why = issue?.code === 'unrecognized_keys' ? SHAPE_HINT : (issue?.message ?? SHAPE_HINT)
    throw new UsersFileError(`users file ${name}: ${issue?.code === 'unrecognized_keys' ? '' : where}${why}`)
  }
  const data = parsed.data as z.infer<(typeof SHAPES)[keyof typeof SHAPES]>
  if (Array.isArray(data)) return { userIds: unique(checkIds(data, '', name), (u) => u) }
  if ('userIds' in data) return { userIds: unique(checkIds(data.userIds, 'userIds', name), (u) => u) }
  data.members.forEach((m, i) => {
    checkId(userIdSchema, m.userId, `members[${i}].userId`, name)
    checkId(memberGuidSchema, m.memberGuid, `members[${i}].memberGuid`, name)
  })
  return { members: unique(data.members, (m) => m.memberGuid) }
}

/** Checks an id with the reconnector's own rule, so a bad one is named here, not refused mid-sweep. */
function checkId(schema: z.ZodType, value: string, where: string, name: string): void {
  const result = schema.safeParse(value)
  if (!result.success) {
    throw new UsersFileError(
      `users file ${name}: ${where} ${result.error.issues[0]?.message ?? 'is invalid'}`,
    )
  }
}

/** Checks every user id; `key` names the list (`''` for a JSON array, `'line'` for a text file). */
function checkIds(ids: readonly string[], key: string, name: string): readonly string[] {
  ids.forEach((id, i) =>
    checkId(userIdSchema, id, key === 'line' ? `user id #${i + 1}` : `${key}[${i}]`, name),
  )
  return ids
}

/** Parses the text of a users file. Throws {@link UsersFileError}. */
export function parseUsersFile(text: string, name: string): SweepTarget {
  const trimmed = text.trim()
  if (trimmed === '') throw new UsersFileError(`users file ${name} is empty`)
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) {
    const userIds = trimmed
      .split(/\r?\n/)
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line !== '')
    if (userIds.length === 0) throw new UsersFileError(`users file ${name} lists no users`)
    if (userIds.some((u) => /\s/.test(u))) {
      throw new UsersFileError(`users file ${name}: put one user id per line (ids have no spaces)`)
    }
    return { userIds: unique(checkIds(userIds, 'line', name), (u) => u) }
  }
  let json: unknown
  try {
    json = JSON.parse(trimmed)
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : 'bad JSON'
    throw new UsersFileError(`users file ${name} is not valid JSON (${why})`)
  }
  return check(json, name)
}

/** Reads and parses a users file. Throws {@link UsersFileError} with a one-line reason. */
export async function readUsersFile(path: string): Promise<SweepTarget> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (code ?? 'unreadable')
    throw new UsersFileError(`cannot read users file ${path}: ${why}`)
  }
  return parseUsersFile(text, path)
}
