import type { LifecycleRecord, LifecycleStore } from './types.js'

/**
 * Every unfinished record, page by page (keyset on `memberGuid`), so `resumeAll` over 100,000 members
 * never holds more than one page of rows.
 *
 * @example
 * ```ts
 * for await (const record of allUnfinished(store)) log(record.memberGuid, record.state)
 * ```
 */
export async function* allUnfinished(
  store: LifecycleStore,
  pageSize = 1000,
): AsyncGenerator<LifecycleRecord> {
  let after: string | undefined
  for (;;) {
    const page = await store.unfinished(
      after === undefined ? { limit: pageSize } : { limit: pageSize, after },
    )
    yield* page
    if (page.length < pageSize) return
    after = page[page.length - 1]!.memberGuid
  }
}
