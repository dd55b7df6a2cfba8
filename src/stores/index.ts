export { memoryStore } from './memory.js'
export { sqliteStore } from './sqlite.js'
export type { SqliteLifecycleStore, SqliteStoreOptions } from './sqlite.js'
export { postgresStore } from './postgres.js'
export type { PostgresLifecycleStore, PostgresStoreOptions } from './postgres.js'
export { allUnfinished } from './iterate.js'
export { StoreError, isStoreError } from './errors.js'
export type { StoreErrorReason } from './errors.js'
export { LIFECYCLE_STATUSES } from './types.js'
export type {
  HistoryEntry,
  HistoryInput,
  HistoryOptions,
  InstanceRecord,
  QuarantineEntry,
  SweepJournal,
  LifecycleCounts,
  LifecycleRecord,
  LifecycleStatus,
  LifecycleStore,
  LifecycleUpdate,
  CreateLease,
  SaveResult,
  NewLifecycleRecord,
  PageOptions,
  StoreOptions,
} from './types.js'
