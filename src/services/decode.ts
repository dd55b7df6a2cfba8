import { Effect } from 'effect'
import type { z } from 'zod'
import { DecodeError } from '../domain/index.js'
import type { RequestInfo } from './http-errors.js'

/** Zod issues as `path: message` lines. Zod's messages name types and keys, never the received value. */
function issueLines(error: z.ZodError): string[] {
  return error.issues.slice(0, 20).map((issue) => {
    const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.')
    return `${path}: ${issue.message}`
  })
}

/**
 * Parses a reply body and validates it (architecture.md rule 5: parse, don't trust). JSON.parse's own
 * message quotes the body, which may hold a token, so it is replaced by a neutral line.
 */
export function decodeBody<S extends z.ZodType>(
  request: RequestInfo,
  text: string,
  schema: S,
): Effect.Effect<z.output<S>, DecodeError>
export function decodeBody<S extends z.ZodType, B>(
  request: RequestInfo,
  text: string,
  schema: S,
  pick: (decoded: z.output<S>) => B,
): Effect.Effect<B, DecodeError>
export function decodeBody<S extends z.ZodType>(
  request: RequestInfo,
  text: string,
  schema: S,
  pick?: (decoded: z.output<S>) => unknown,
): Effect.Effect<unknown, DecodeError> {
  // Copy only api/method/path: `request` may be an HttpRequest carrying secret headers and body.
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return Effect.fail(
      new DecodeError({
        api: request.api,
        method: request.method,
        path: request.path,
        issues: [`body is not valid JSON (${text.length} characters)`],
        message: `${request.method} ${request.path}: reply is not valid JSON`,
      }),
    )
  }
  const result = schema.safeParse(json)
  if (result.success) return Effect.succeed(pick === undefined ? result.data : pick(result.data))
  const issues = issueLines(result.error)
  return Effect.fail(
    new DecodeError({
      api: request.api,
      method: request.method,
      path: request.path,
      issues,
      message: `${request.method} ${request.path}: reply does not match its schema (${issues[0] ?? 'invalid'})`,
    }),
  )
}
