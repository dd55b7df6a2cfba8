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
