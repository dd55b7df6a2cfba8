/**
 * The statecharts of mx-reconnect: pure machines, no I/O (architecture.md, house rule 1). The package entry
 * `mx-reconnect/machines` (src/machines-entry.ts) adds `createMemberLifecycle`, which binds them to a client.
 */
export * from './member-lifecycle/index.js'
