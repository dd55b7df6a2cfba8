/**
 * `mx-reconnect/worker`: scale-out on PostgreSQL (docs/scale-out.md, decision 0013). `startWorker` runs
 * lifecycles as one of N worker processes; `pgBossEngine` (with `createBoss`) is the scheduling engine a
 * host application passes to `createReconnector` so its members run on the workers.
 */
export { pgBossEngine, type PgBossEngine, type PgBossEngineOptions } from './engine.js'
export { WAKE_QUEUE, type WakeQueueOptions } from './jobs.js'
export { createBoss, startWorker, workerUserAgent, type Worker, type WorkerOptions } from './worker.js'
