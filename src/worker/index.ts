export { pgBossEngine, type PgBossEngine, type PgBossEngineOptions } from './engine.js'
export { WAKE_QUEUE } from './jobs.js'
export { traceClient } from './trace.js'
export { createBoss, startWorker, workerUserAgent, type Worker, type WorkerOptions } from './worker.js'
