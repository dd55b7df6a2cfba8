import { Data } from 'effect'

/**
 * A reconnector call was refused: bad input, closed reconnector, or a member owned by another process.
 *
 * @example
 * ```ts
 * try { await reconnector.handleWebhook(body) } catch (e) { if (e instanceof ReconnectorError) reply(400) }
 * ```
 */
export class ReconnectorError extends Data.TaggedError('ReconnectorError')<{
  readonly reason: 'invalid' | 'invalidWebhook' | 'closed' | 'leaseLost'
  readonly memberGuid: string
  readonly message: string
}> {}
