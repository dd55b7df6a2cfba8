/**
 * mx-reconnect: the curated public API. Every export is listed by name (house rule 10) and pinned by
 * `test/public-api.test.ts`.
 */
export {
  schemas,
  STATUS_TABLE,
  KNOWN_STATUSES,
  toConnectionStatus,
  statusClass,
  statusId,
  statusName,
  isKnownStatus,
  classify,
  toErrorData,
  TransportError,
  HttpError,
  DecodeError,
  SessionExpiredError,
  ConfigError,
  ArgumentError,
} from './domain/index.js'
export type {
  StatusClass,
  StatusRow,
  KnownStatus,
  UnknownStatus,
  ConnectionStatus,
  ErrorClass,
  ErrorData,
  NexusError,
  Api,
  Member,
  JobStart,
  CredentialField,
  Challenge,
  ChallengeType,
  Option,
  Job,
  Webhook,
} from './domain/index.js'

// The Nexus request layer: promise facade and Effect services (design/architecture.md, "services").
export { createNexusClient } from './client/index.js'
export type { NexusClient, NexusClientApi, ClientStats, SecretValue, UserScoped } from './client/index.js'
export type { NexusClientConfig, LogLine, NexusClock, RetryBudget } from './services/config.js'
export { Transport } from './services/transport.js'
export { Sessions } from './services/sessions.js'
export { NexusApi } from './services/nexus-api.js'
export { makeNexusLayer } from './services/layers.js'

// One member lifecycle run to its outcome (design/lifecycle.md; docs/lifecycle.md).
export { reconnectMember } from './reconnect-member.js'
export type { ReconnectMemberOptions, SecretProvider } from './reconnect-member.js'

// Durable lifecycle stores (design/reconnector.md, "Stores"; docs/decisions/0004-stores.md).
export { memoryStore, postgresStore, sqliteStore, StoreError } from './stores/index.js'
export type { LifecycleStore, LifecycleRecord, HistoryEntry } from './stores/index.js'
// Store types that appear in the signatures above, so a partner can name them or write a store (issue 17).
export type {
  CreateLease,
  HistoryInput,
  HistoryOptions,
  InstanceRecord,
  LifecycleCounts,
  LifecycleStatus,
  LifecycleUpdate,
  NewLifecycleRecord,
  PageOptions,
  PostgresLifecycleStore,
  PostgresStoreOptions,
  QuarantineEntry,
  SaveResult,
  SqliteLifecycleStore,
  SqliteStoreOptions,
  StoreErrorReason,
  StoreOptions,
  SweepJournal,
} from './stores/index.js'

// Many lifecycles, durable and resumable (design/reconnector.md; docs/reconnector.md).
export { createReconnector, ReconnectorError } from './reconnector/index.js'
export type {
  Reconnector,
  ReconnectorOptions,
  ReconnectorEvent,
  LifecycleView,
  MemberRef,
  Prompt,
  Provider,
  SweepReport,
  SweepMemberReport,
  SweepProgress,
} from './reconnector/index.js'
