export { createReconnector } from './reconnector.js'
export { ReconnectorError } from './errors.js'
export type {
  LifecycleView,
  MemberRef,
  Prompt,
  Provider,
  Reconnector,
  ReconnectorEvent,
  ReconnectorOptions,
  SweepMemberReport,
  SweepProgress,
  SweepReport,
} from './types.js'
