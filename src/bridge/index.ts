export { createMemberLifecycle } from './lifecycle.js'
export type {
  MemberLifecycle,
  MemberLifecycleActor,
  MemberLifecycleOptions,
  SubmitResult,
  HostEvent,
} from './lifecycle.js'
export { createLifecycleActors, type LifecycleActorDeps } from './actors.js'
export { systemClock, sleepUntil, type LifecycleClock } from './clock.js'
export { createSecretVault, type SecretVault, type SecretVaultOptions } from './vault.js'
export { toServiceFailure } from './failure.js'
