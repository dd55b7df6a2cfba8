/**
 * The statecharts of mx-reconnect: pure machines, no I/O (architecture.md, house rule 1). The package entry
 * `mx-reconnect/machines` (src/machines-entry.ts) re-exports this curated list and adds
 * `createMemberLifecycle`, which binds the machine to a client.
 *
 * Only the public surface is listed here (test/public-api.test.ts pins it). The machine's own helpers
 * (guards, policy arithmetic, payload-to-prompt conversions, failure sentinels) stay internal: code inside
 * this project imports them from `./member-lifecycle/index.js`.
 */
export { memberLifecycleMachine, type MemberLifecycleMachine } from './member-lifecycle/machine.js'
export { promptOf } from './member-lifecycle/events.js'
export { OUTCOMES, type Outcome, type LifecycleOutput } from './member-lifecycle/outcomes.js'
export {
  DEFAULT_POLICY,
  resolvePolicy,
  type LifecyclePolicy,
  type PolicyInput,
  type AttemptBudgets,
} from './member-lifecycle/policy.js'
export type {
  LifecycleInput,
  LifecycleContext,
  MemberView,
  CredentialPrompt,
  ChallengePrompt,
  OptionPrompt,
  Attempts,
  ValidationError,
  RetryStep,
  PendingTrigger,
} from './member-lifecycle/context.js'
export type {
  SubmittedEntry,
  CredentialsSubmitEvent,
  MfaSubmitEvent,
  MemberWebhookEvent,
  CancelEvent,
  LifecycleEvent,
  CredentialsRequiredEvent,
  MfaRequiredEvent,
  OutcomeEvent,
  LifecycleEmitted,
  MemberRequest,
  ReadMemberInput,
  SubmissionRequest,
  WaitInput,
  Stamped,
  MemberRead,
  CredentialsRead,
  ChallengesRead,
  Triggered,
  OAuthUri,
  ServiceFailure,
} from './member-lifecycle/events.js'
