import { Context } from 'effect'

/** Mutable traffic counters shared by Transport and Sessions (read by `client.stats()`). */
export interface TrafficCounters {
  /** HTTP requests sent to Nexus, SSO and MDX, retries and replays included. */
  requests: number
  /** `POST /sessions` requests sent. */
  sessionsOpened: number
}

/** Creates zeroed counters. */
export const makeTrafficCounters = (): TrafficCounters => ({ requests: 0, sessionsOpened: 0 })

/** The counters as an Effect service (plain fields: the hot path only increments a number). */
export class TrafficStats extends Context.Tag('mx-reconnect/TrafficStats')<TrafficStats, TrafficCounters>() {}
