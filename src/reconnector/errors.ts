import { Data } from 'effect'

/** A reconnector call was refused: bad input, closed reconnector, or a member owned by another process. */
export class ReconnectorError extends Data.TaggedError('ReconnectorError')<{
  readonly reason: 'invalid' | 'invalidWebhook' | 'closed' | 'leaseLost'
  readonly memberGuid: string
  readonly message: string
}> {}
