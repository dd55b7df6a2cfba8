/**
 * `mx-reconnect/machines`: the pure lifecycle machine (machines/) and `createMemberLifecycle`, which
 * provides its actors over a Nexus client (src/bridge). Kept apart from machines/index.ts because the
 * machines/ fence forbids importing src/bridge there (architecture.md, house rule 1).
 */
export * from '../machines/index.js'
export {
  createMemberLifecycle,
  createLifecycleActors,
  createSecretVault,
  systemClock,
  type MemberLifecycle,
  type MemberLifecycleActor,
  type MemberLifecycleOptions,
  type SubmitResult,
  type HostEvent,
  type LifecycleActorDeps,
  type LifecycleClock,
  type SecretVault,
  type SecretVaultOptions,
} from './bridge/index.js'
