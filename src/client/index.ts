export { createNexusClient } from './create-nexus-client.js'
export type { NexusClient } from './create-nexus-client.js'
export type { ClientStats, NexusClientApi, SecretValue, UserScoped } from './types.js'
