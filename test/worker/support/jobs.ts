import { withClient } from '../../support/postgres.js'

/** Seconds from now until each queued (not yet taken) wake-up job of the member may run, in pg-boss's table. */
export async function queuedJobs(url: string, queue: string, memberGuid: string): Promise<number[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ s: number }>(
      `SELECT EXTRACT(EPOCH FROM start_after - now())::float8 AS s FROM pgboss.job
        WHERE name = $1 AND singleton_key = $2 AND state = 'created'`,
      [queue, memberGuid],
    )
    return rows.map((r) => r.s)
  })
}
