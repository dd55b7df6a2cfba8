import { z } from 'zod'
import { memberGuidSchema } from '../reconnector/args.js'

// Request bodies of the embedding routes (reconnector.md, "Embedding over HTTP"). Unknown fields are
// ignored; a refusal names the field and the rule, never the value (it may be a secret).

const secretValue = z.object({
  guid: z.string().min(1).max(256),
  value: z.string().max(4096),
})

/** `POST /reconnections`. */
export const startBody = z.object({ memberGuid: memberGuidSchema })

/** `POST /reconnections/{memberGuid}/credentials`. */
export const credentialsBody = z.object({ credentials: z.array(secretValue).min(1).max(64) })

/** `POST /reconnections/{memberGuid}/mfa`. */
export const mfaBody = z.object({ answers: z.array(secretValue).min(1).max(64) })

/** A refusal of a body: the first failing field (dotted path) and what is wrong with it. */
export interface FieldProblem {
  readonly field: string
  readonly message: string
}

/**
 * Checks `value` against `schema`: the data, or the first problem with the field named.
 *
 * @example
 * ```ts
 * const checked = check(startBody, json)
 * if (!checked.ok) reply(400, { error: 'invalid', field: checked.problem.field })
 * ```
 */
export function check<T>(
  schema: z.ZodType<T>,
  value: unknown,
): { readonly ok: true; readonly data: T } | { readonly ok: false; readonly problem: FieldProblem } {
  const parsed = schema.safeParse(value, { reportInput: true })
  if (parsed.success) return { ok: true, data: parsed.data }
  const issue = parsed.error.issues[0]!
  return {
    ok: false,
    problem: { field: issue.path.map(String).join('.') || '(body)', message: describe(issue) },
  }
}

/** What is wrong, in words that never quote the value. */
function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${issue.expected}`
    case 'too_small':
      return `is too short (at least ${String(issue.minimum)})`
    case 'too_big':
      return `is too long (at most ${String(issue.maximum)})`
    case 'custom':
      return issue.message // our own refinements' fixed wording
    default:
      return 'is not valid'
  }
}
