import { Data } from 'effect'

/**
 * A reconnector call was refused: bad input, closed reconnector, a member owned by another process
 * (`leaseLost`), or `notFound`: no lifecycle for this member under the given user (an unknown member and
 * another user's member are refused alike, so member guids cannot be probed).
 *
 * @example
 * ```ts
 * try { await reconnector.handleWebhook(body) } catch (e) { if (e instanceof ReconnectorError) reply(400) }
 * ```
 */
export class ReconnectorError extends Data.TaggedError('ReconnectorError')<{
  readonly reason: 'invalid' | 'invalidWebhook' | 'closed' | 'leaseLost' | 'notFound'
  readonly memberGuid: string
  readonly message: string
}> {}

/** The `notFound` refusal: the same for an unknown member and for another user's member. */
export const notFound = (memberGuid: string): ReconnectorError =>
  new ReconnectorError({ reason: 'notFound', memberGuid, message: 'no lifecycle for this member and user' })
