import type { NexusClientApi } from '../client/types.js'

/**
 * Wraps a client so that every member-scoped call first waits until the member's latest state is stored
 * (reconnector.md: "every state change is persisted before its side effects"), and counts calls per member.
 *
 * XState starts an invoked actor before it notifies subscribers of the new snapshot, so the wrapper yields
 * one microtask (by then the subscriber has queued the save) and then awaits that save.
 */
export function gateClient(
  client: NexusClientApi,
  gate: (memberGuid: string) => Promise<void>,
  count: (memberGuid: string) => void,
): NexusClientApi {
  const wrap =
    <A extends { readonly memberGuid: string }, R>(call: (args: A) => Promise<R>) =>
    async (args: A): Promise<R> => {
      await Promise.resolve()
      await gate(args.memberGuid)
      count(args.memberGuid)
      return call(args)
    }
  return {
    readMember: wrap((a) => client.readMember(a)),
    listMemberCredentials: wrap((a) => client.listMemberCredentials(a)),
    updateMember: wrap((a) => client.updateMember(a)),
    listMemberChallenges: wrap((a) => client.listMemberChallenges(a)),
    resumeAggregation: wrap((a) => client.resumeAggregation(a)),
    aggregateMember: wrap((a) => client.aggregateMember(a)),
    oauthWindowUri: wrap((a) => client.oauthWindowUri(a)),
    listMembers: (a) => client.listMembers(a),
    readJob: (a) => client.readJob(a),
    stats: () => client.stats(),
    close: () => client.close(),
  }
}
