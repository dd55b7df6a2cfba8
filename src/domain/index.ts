export * from './connection-status.js'
export * from './errors.js'
export * from './schemas/index.js'
