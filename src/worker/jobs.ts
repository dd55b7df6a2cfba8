import type PgBoss from 'pg-boss'

// The wake-up jobs in pg-boss (docs/scale-out.md, "Jobs"). One queue; a job names a member and nothing
// else (never a secret: job rows live on in pg-boss's archive). The queue's `short` policy keeps at most
// one queued job per member (singletonKey = member guid); asking for an earlier time moves that job
// earlier, asking for a later one leaves it (an early wake re-reads the member and asks again).

/**
 * The default wake-up queue's name in pg-boss (one queue; every job is `{ memberGuid }`).
 *
 * @example
 * ```ts
 * const queued = await boss.getQueueSize(WAKE_QUEUE) // members waiting for a worker or their next wake-up
 * ```
 */
export const WAKE_QUEUE = 'mx-reconnect-wake'

/** A wake-up job's data: the member, nothing more. */
export interface WakeJob {
  readonly memberGuid: string
}

/**
 * How the wake-up queue is created (only when it does not exist yet; the first process to start creates it).
 *
 * @example
 * ```ts
 * const engine = pgBossEngine({ boss, retryLimit: 3, expireInSeconds: 600 })
 * ```
 */
export interface WakeQueueOptions {
  /** Retries of a job whose run failed (a store error), spaced by `retryDelaySeconds`, doubling. */
  readonly retryLimit?: number
  readonly retryDelaySeconds?: number
  /**
   * A job running longer than this is failed and retried elsewhere (its member's lease decides who runs, so
   * a retry of a job still running is harmless). Default: twice the reconnector's lease, at least 30 s, so a
   * job taken by a worker that died before leasing its member is run again within minutes.
   */
  readonly expireInSeconds?: number
}

/** Creates the wake queue when it is missing. */
export async function ensureWakeQueue(
  boss: PgBoss,
  queue: string,
  options: WakeQueueOptions = {},
): Promise<void> {
  if (await boss.getQueue(queue)) return
  try {
    await boss.createQueue(queue, {
      name: queue,
      policy: 'short',
      retryLimit: options.retryLimit ?? 5,
      retryDelay: options.retryDelaySeconds ?? 1,
      retryBackoff: true,
      expireInSeconds: options.expireInSeconds ?? 900,
    })
  } catch (error) {
    // Another process created it first.
    if (!(await boss.getQueue(queue))) throw error
  }
}

/** One wake-up to write: the member and the delay from now (ms). */
export interface Wake {
  readonly memberGuid: string
  readonly delayMs: number
}

/**
 * Writes wake-ups in two statements: insert the new ones (a member with a queued job is skipped by the
 * `short` policy's unique index), then move every member's queued job to the earlier of its time and the
 * asked one. Times are computed by PostgreSQL (`now()` plus the delay), so process clocks never matter.
 * `expireInSeconds` sets how long a taken job may run before pg-boss retries it (else the queue's).
 */
export async function writeWakes(
  boss: PgBoss,
  queue: string,
  schema: string,
  wakes: readonly Wake[],
  expireInSeconds?: number,
) {
  if (wakes.length === 0) return
  // The earliest per member.
  const earliest = new Map<string, number>()
  for (const w of wakes) {
    const delay = Math.max(0, Math.round(w.delayMs))
    const prev = earliest.get(w.memberGuid)
    if (prev === undefined || delay < prev) earliest.set(w.memberGuid, delay)
  }
  const keys = [...earliest.keys()]
  const delays = keys.map((k) => earliest.get(k)!)
  await boss.insert(
    keys.map((memberGuid, i) => ({
      name: queue,
      data: { memberGuid } satisfies WakeJob,
      singletonKey: memberGuid,
      startAfter: `${delays[i]!} milliseconds`,
      ...(expireInSeconds === undefined ? {} : { expireInSeconds }),
    })),
  )
  await boss.getDb().executeSql(
    `UPDATE ${schema}.job AS j
        SET start_after = LEAST(j.start_after, now() + v.ms * interval '1 millisecond')
       FROM unnest($2::text[], $3::float8[]) AS v(key, ms)
      WHERE j.name = $1 AND j.singleton_key = v.key AND j.state = 'created'`,
    [queue, keys, delays],
  )
}

/**
 * Wake-up jobs due for longer than `olderThanMs` that no worker has taken yet (state `created`): more than
 * zero for a while means no worker takes work from this database.
 */
export async function overdueWakes(
  boss: PgBoss,
  queue: string,
  schema: string,
  olderThanMs: number,
): Promise<number> {
  const result: { rows: Array<{ n: number }> } = await boss.getDb().executeSql(
    `SELECT count(*)::int AS n FROM ${schema}.job
      WHERE name = $1 AND state = 'created' AND start_after < now() - $2 * interval '1 millisecond'`,
    [queue, olderThanMs],
  )
  return result.rows[0]?.n ?? 0
}
