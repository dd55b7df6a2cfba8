import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import { viewOfRecord } from '../reconnector/record.js'
import type { LifecycleStatus } from '../stores/types.js'

// What the inspect page shows of a SQLite store, read-only: each lifecycle's state, prompt LABELS (never a
// value: decisions/0003), outcome and history. It reads the file the reconnector writes, from this process
// or another one (WAL lets readers in while a sweep writes).

/** One lifecycle as the page draws it. */
export interface PageLifecycle {
  readonly memberGuid: string
  readonly userId: string
  /** State path, e.g. `credentials.awaiting`; `queued` before it runs. */
  readonly state: string
  readonly status: LifecycleStatus
  /** What the user is asked: the kind and the labels of the fields or challenges. */
  readonly prompt?: { readonly kind: 'credentials' | 'mfa'; readonly labels: readonly string[] }
  /** The outcome's name and reason, once done. */
  readonly outcome?: { readonly outcome: string; readonly reason?: string }
  readonly connectionStatus: string | null
  readonly version: number
  readonly updatedAt: number
}

/** One history line: its type and a short text (a state, an outcome), never data beyond that. */
export interface PageHistoryEntry {
  readonly seq: number
  readonly at: number
  readonly type: string
  readonly text: string
}

/** The page's read-only view of a store file. */
export interface StoreFeed {
  list(): PageLifecycle[]
  history(memberGuid: string): PageHistoryEntry[]
  close(): void
}

interface Row {
  member_guid: string
  user_id: string
  state: string
  status: LifecycleStatus
  wake_at: number | null
  snapshot: string
  outcome: string | null
  version: number
  created_at: number
  updated_at: number
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

function toPage(row: Row): PageLifecycle {
  const view = viewOfRecord({
    memberGuid: row.member_guid,
    userId: row.user_id,
    state: row.state,
    status: row.status,
    wakeAt: row.wake_at,
    // Possibly in the slim stored form (docs/decisions/0017): viewOfRecord decodes it.
    snapshot: JSON.parse(row.snapshot) as unknown,
    outcome: row.outcome === null ? null : (JSON.parse(row.outcome) as unknown),
    owner: null,
    leaseUntil: null,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  })
  const prompt = view.prompt
  const labels =
    prompt === undefined
      ? []
      : prompt.type === 'credentials.required'
        ? prompt.fields.map((f) => f.label ?? f.fieldName ?? f.type ?? 'field')
        : prompt.challenges.map((c) => c.label ?? c.fieldName ?? c.type)
  const reason = text((view.outcome as { reason?: unknown } | undefined)?.reason)
  return {
    memberGuid: view.memberGuid,
    userId: view.userId,
    state: view.state,
    status: view.status,
    connectionStatus: view.connectionStatus,
    version: row.version,
    updatedAt: row.updated_at,
    ...(prompt
      ? { prompt: { kind: prompt.type === 'credentials.required' ? 'credentials' : 'mfa', labels } }
      : {}),
    ...(view.outcome
      ? { outcome: { outcome: view.outcome.outcome, ...(reason === undefined ? {} : { reason }) } }
      : {}),
  }
}

function historyText(type: string, data: unknown): string {
  const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>
  if (type === 'state') return [text(d.state), text(d.connectionStatus)].filter(Boolean).join(' · ')
  if (type === 'outcome') return [text(d.outcome), text(d.reason)].filter(Boolean).join(' · ')
  return ''
}

/**
 * A read-only feed over the SQLite store at `path`. A file not there yet (a sweep about to create it)
 * reads as empty until it appears.
 *
 * @example
 * ```ts
 * const feed = storeFeed('./mx-reconnect.db')
 * feed.list().map((l) => `${l.memberGuid} ${l.state}`)
 * ```
 */
export function storeFeed(path: string): StoreFeed {
  let db: Database.Database | undefined
  const open = (): Database.Database | undefined => {
    if (db) return db
    if (!existsSync(path)) return undefined
    try {
      const next = new Database(path, { readonly: true, fileMustExist: true })
      next.pragma('busy_timeout = 2000')
      next.prepare('SELECT 1 FROM lifecycles LIMIT 1').get()
      db = next
    } catch {
      return undefined // not created yet (or not ours): empty for now
    }
    return db
  }
  return {
    list() {
      const rows = open()
        ?.prepare(
          `SELECT member_guid, user_id, state, status, wake_at, snapshot, outcome, version, created_at, updated_at
           FROM lifecycles ORDER BY created_at, member_guid`,
        )
        .all() as Row[] | undefined
      return (rows ?? []).map(toPage)
    },
    history(memberGuid) {
      const rows = open()
        ?.prepare('SELECT seq, at, type, data FROM history WHERE member_guid = ? ORDER BY seq')
        .all(memberGuid) as { seq: number; at: number; type: string; data: string }[] | undefined
      return (rows ?? []).map((r) => ({
        seq: r.seq,
        at: r.at,
        type: r.type,
        text: historyText(r.type, JSON.parse(r.data) as unknown),
      }))
    },
    close() {
      db?.close()
      db = undefined
    },
  }
}
