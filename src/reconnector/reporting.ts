import { randomUUID } from 'node:crypto'
import type { LifecycleClock } from '../bridge/clock.js'
import type { NexusClientApi } from '../client/types.js'
import { toErrorData, type ErrorData } from '../domain/errors.js'
import { isStoreError } from '../stores/errors.js'
import type { LifecycleStore, SweepJournal } from '../stores/types.js'
import type { Driver } from './driver.js'
import type { Lives } from './live.js'
import { buildReport } from './report.js'
import type { Tracker } from './tracker.js'
import { ReconnectorError } from './errors.js'
import type { MemberRef, ReconnectorEvent, SweepProgress, SweepReport } from './types.js'
import type { Settlement } from './waiters.js'

/** What reporting needs. */
export interface ReportingDeps {
  readonly store: LifecycleStore
  readonly client: NexusClientApi
  readonly clock: LifecycleClock
  readonly driver: Driver
  readonly lives: Lives
  readonly tracker: Tracker
  readonly holder: string
  readonly emit: (event: ReconnectorEvent) => void
}

type OnProgress = ((progress: SweepProgress) => void) | undefined

/** At most this many sweep members are being begun (created) at once. */
const MAX_BEGINS = 64
/** The sweep's start loop yields to the event loop every this many members. */
const YIELD_EVERY = 64

/**
 * Reporting: sweeps and `resumeAll` (reconnector.md, Parts). A sweep journals its members in the store
 * before it runs any of them, so `resumeAll` can finish it after a crash; each waits until every member
 * settles and reports every member, the users whose members could not be listed, and quarantined rows.
 *
 * @example
 * ```ts
 * const reporting = createReporting(deps)
 * const report = await reporting.sweep({ userIds: ['u-1'] })
 * ```
 */
export interface Reporting {
  sweep(
    target: { readonly userIds: readonly string[] } | { readonly members: readonly MemberRef[] },
    onProgress?: OnProgress,
  ): Promise<SweepReport>
  resumeAll(onProgress?: OnProgress): Promise<SweepReport>
}

/** Creates the reporting part. */
export function createReporting(deps: ReportingDeps): Reporting {
  const { store, client, clock, driver, lives, tracker } = deps

  /** Every member of every user; one user's failure is that user's row, the others are still listed. */
  async function listUsers(userIds: readonly string[]) {
    const failures: { userId: string; error: ErrorData }[] = []
    const lists = await Promise.all(
      userIds.map(async (userId) => {
        try {
          return (await client.listMembers({ userId })).map((m) => ({ userId, memberGuid: m.guid }))
        } catch (error) {
          failures.push({ userId, error: toErrorData(error) })
          return []
        }
      }),
    )
    return { members: lists.flat(), failures }
  }

  /**
   * Starts (or joins) one member. Its failure is that member's line, never the sweep's: a row that cannot
   * be read is quarantined, a store failure or a close ends only its wait. Undefined: settle as usual.
   */
  async function beginOne(
    member: MemberRef,
    since: number,
    answerNow: boolean,
  ): Promise<Settlement | undefined> {
    try {
      await driver.begin(member, { since, answerNow })
      return undefined
    } catch (error) {
      const guid = member.memberGuid
      if (isStoreError(error, 'corrupt')) {
        lives.quarantine(guid, error.message)
        return { view: undefined, quarantined: error.message }
      }
      deps.emit({ type: 'error', memberGuid: guid, error: toErrorData(error) })
      const refused = error instanceof ReconnectorError ? error.reason : undefined
      const reason = refused === 'closed' || refused === 'notFound' ? refused : 'storeError'
      return { view: undefined, reason }
    }
  }

  /**
   * The sweep's start loop (issue 15): each member is begun once a concurrency slot is free, so it runs
   * off its own create (no queued row read back later), at most `MAX_BEGINS` creates in flight, and the
   * loop yields to the event loop every `YIELD_EVERY` members so a 100,000-member start never stalls I/O.
   * `settlementOf` answers each member's settlement as soon as it is begun.
   */
  function startPaced(members: readonly MemberRef[], since: number) {
    const begun = new Map<string, Promise<Settlement | undefined>>()
    const ready = new Map<string, (s: Settlement | undefined) => void>()
    for (const m of members)
      begun.set(m.memberGuid, new Promise((resolve) => ready.set(m.memberGuid, resolve)))
    const loop = (async () => {
      const inFlight = new Set<Promise<void>>()
      for (let i = 0; i < members.length; i++) {
        await driver.whenFree()
        if (inFlight.size >= MAX_BEGINS) await Promise.race(inFlight)
        if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve))
        const member = members[i]!
        const one = beginOne(member, since, false).then(ready.get(member.memberGuid))
        inFlight.add(one)
        void one.then(() => inFlight.delete(one))
      }
      await Promise.all(inFlight)
    })()
    const settlementOf = async (guid: string) => (await begun.get(guid)!) ?? driver.settle(guid)
    return { loop, settlementOf }
  }

  /** Waits for every member to settle, with progress, and builds the report. */
  async function settleAll(
    guids: readonly string[],
    settlementOf: (guid: string) => Promise<Settlement>,
    failures: readonly { userId: string; error: ErrorData }[],
    started: number,
    onProgress: OnProgress,
  ): Promise<SweepReport> {
    let count = 0
    const total = guids.length
    onProgress?.({ total, settled: 0 })
    const settlements = await Promise.all(
      guids.map(async (guid) => {
        const s = await settlementOf(guid)
        count += 1
        onProgress?.({ total, settled: count })
        return s
      }),
    )
    return buildReport(guids, settlements, (guid) => tracker.get(guid), {
      failures,
      durationMs: clock.now() - started,
    })
  }

  /** Runs `work` while reporting on `guids` (counters kept for exactly that long). */
  async function reporting<T>(guids: readonly string[], work: () => Promise<T>): Promise<T> {
    tracker.report(guids)
    try {
      return await work()
    } finally {
      tracker.unreport(guids)
    }
  }

  return {
    async sweep(target, onProgress) {
      const started = clock.now()
      const listed =
        'members' in target ? { members: [...target.members], failures: [] } : await listUsers(target.userIds)
      const members = [...new Map(listed.members.map((m) => [m.memberGuid, m])).values()]
      const guids = members.map((m) => m.memberGuid)
      const journal: SweepJournal = { id: randomUUID(), holder: deps.holder, startedAt: started, members }
      // The intent first: a crash from here on leaves a sweep `resumeAll` finishes.
      await store.openSweep(journal)
      const report = await reporting(guids, async () => {
        const { loop, settlementOf } = startPaced(members, started)
        const done = await settleAll(guids, settlementOf, listed.failures, started, onProgress)
        await loop
        return done
      })
      await store.closeSweep(journal.id).catch(() => undefined)
      return report
    },

    async resumeAll(onProgress) {
      const started = clock.now()
      const journals = await store.openSweeps()
      const members = new Map<string, MemberRef>()
      const since = new Map<string, number>()
      for (const journal of journals)
        for (const m of journal.members) {
          if (!members.has(m.memberGuid)) members.set(m.memberGuid, m)
          since.set(m.memberGuid, Math.min(since.get(m.memberGuid) ?? Infinity, journal.startedAt))
        }
      const others: string[] = []
      for (let after: string | undefined; ;) {
        const page = await store.unfinishedGuids(after === undefined ? {} : { after })
        for (const guid of page) if (!members.has(guid)) others.push(guid)
        if (page.length === 0) break
        after = page[page.length - 1]
      }
      const guids = [...members.keys(), ...others]
      const report = await reporting(guids, async () => {
        const early = new Map<string, Settlement>()
        for (const [guid, member] of members) {
          const one = await beginOne(member, since.get(guid)!, true)
          if (one) early.set(guid, one)
        }
        for (const guid of others) {
          // Unfinished rows: read through the driver (a corrupt one is quarantined by its settle).
          await driver.wake(guid, true)
        }
        const settlementOf = async (guid: string) => early.get(guid) ?? driver.settle(guid)
        return settleAll(guids, settlementOf, [], started, onProgress)
      })
      for (const journal of journals) await store.closeSweep(journal.id).catch(() => undefined)
      return report
    },
  }
}
