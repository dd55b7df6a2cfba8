import { Either } from 'effect'
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
 * Parses a reply body as JSON. JSON.parse's own message quotes the body, which may hold a token, so it is
 * replaced by a neutral line. Copies only api/method/path: `request` may be an HttpRequest carrying secret
 * headers and body.
 */
export function parseJson(request: RequestInfo, text: string): Either.Either<unknown, DecodeError> {
  try {
    return Either.right(JSON.parse(text) as unknown)
  } catch {
    return Either.left(
      new DecodeError({
        api: request.api,
        method: request.method,
        path: request.path,
        issues: [`body is not valid JSON (${text.length} characters)`],
        message: `${request.method} ${request.path}: reply is not valid JSON`,
      }),
    )
  }
}

/** Validates parsed JSON with `schema` (architecture.md rule 5), naming the failing paths on error. */
export function validate<S extends z.ZodType, B>(
  request: RequestInfo,
  json: unknown,
  schema: S,
  pick: (decoded: z.output<S>) => B,
): Either.Either<B, DecodeError> {
  const result = schema.safeParse(json)
  if (result.success) return Either.right(pick(result.data))
  const issues = issueLines(result.error)
  return Either.left(
    new DecodeError({
      api: request.api,
      method: request.method,
      path: request.path,
      issues,
      message: `${request.method} ${request.path}: reply does not match its schema (${issues[0] ?? 'invalid'})`,
    }),
  )
}

const same = <A>(a: A): A => a

/**
 * Parses a reply body and validates it (architecture.md rule 5: parse, don't trust). The result is an
 * `Either`, which is also an Effect: the facade's fiber-less path (./nexus-api.ts) reads it synchronously,
 * Effect programs `yield*` it.
 */
export function decodeBody<S extends z.ZodType>(
  request: RequestInfo,
  text: string,
  schema: S,
): Either.Either<z.output<S>, DecodeError>
export function decodeBody<S extends z.ZodType, B>(
  request: RequestInfo,
  text: string,
  schema: S,
  pick: (decoded: z.output<S>) => B,
): Either.Either<B, DecodeError>
export function decodeBody<S extends z.ZodType>(
  request: RequestInfo,
  text: string,
  schema: S,
  pick: (decoded: z.output<S>) => unknown = same,
): Either.Either<unknown, DecodeError> {
  const json = parseJson(request, text)
  return Either.isLeft(json) ? json : validate(request, json.right, schema, pick)
}
