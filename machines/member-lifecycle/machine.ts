import { assign, emit, fromPromise, setup, type AnyEventObject } from 'xstate'
import { initialContext, type LifecycleContext, type LifecycleInput, type RetryStep } from './context.js'
import {
  asFailure,
  ServiceFailureError,
  credentialsPrompt,
  mfaPrompt,
  type ChallengesRead,
  type CredentialsRead,
  type LifecycleEmitted,
  type LifecycleEvent,
  type MemberRead,
  type MemberRequest,
  type OAuthUri,
  type ReadMemberInput,
  type ServiceFailure,
  type Stamped,
  type SubmissionRequest,
  type Triggered,
  type WaitInput,
} from './events.js'
import {
  decideRoute,
  httpStatus,
  isRetryable,
  isNotSent,
  isOutcomeUnknown,
  validateAnswers,
  validateCredentials,
  type Route,
} from './guards.js'
import { toOutput, type LifecycleOutput, type Outcome } from './outcomes.js'
import * as update from './updates.js'

// The member lifecycle statechart (docs/lifecycle.md; design: lifecycle.md). Pure: actors are named and
// provided at the edge (src/bridge), time arrives only as `at` in actor results, randomness is a seed in
// context (house rules 1, 2, 7). No `after` delays: XState does not restore them from a persisted snapshot,
// so every wait is the named `wait` actor on an absolute time kept in context (docs/decisions/0002).

/** An actor the pure machine names but does not implement: it fails as a fatal ConfigError. */
function notProvided<TOutput, TInput>(name: string) {
  return fromPromise<TOutput, TInput>(() =>
    Promise.reject<TOutput>(
      new ServiceFailureError(
        0,
        { _tag: 'ConfigError', message: `actor '${name}' is not provided (use createMemberLifecycle)` },
        'fatal',
      ),
    ),
  )
}

/** The failure carried by an actor's error event (an error event's `error` is untyped by nature). */
function failureOf(context: LifecycleContext, event: AnyEventObject): ServiceFailure {
  return asFailure('error' in event ? event.error : undefined, context.observedAt ?? 0)
}

const member = ({ context }: { context: LifecycleContext }): MemberRequest => ({
  userId: context.userId,
  memberGuid: context.memberGuid,
})

const submission = ({ context }: { context: LifecycleContext }): SubmissionRequest => ({
  ...member({ context }),
  submissionId: context.submissionId ?? '',
})

/** The transitions every service step ends with on failure: retry within budget, else fail. */
function onFailure(step: RetryStep) {
  return [
    {
      guard: 'canRetry',
      target: '#memberLifecycle.backingOff',
      actions: { type: 'scheduleRetry', params: { step } },
    },
    { guard: 'retryable', target: '#memberLifecycle.failed', actions: 'recordError' },
    { target: '#memberLifecycle.unrecoverable', actions: 'recordError' },
  ] as const
}

/**
 * A trigger whose reply was lost may have reached MX: never send it again, wait on the member and let the
 * next read decide (docs/decisions/0007-unknown-outcome-writes.md).
 */
const UNKNOWN_OUTCOME = {
  guard: 'outcomeUnknown',
  target: '#memberLifecycle.waitingOnJob',
  actions: 'afterUnknownOutcome',
} as const

function final(outcome: Outcome) {
  return {
    type: 'final',
    entry: [{ type: 'settle', params: { outcome } }, 'emitOutcome'],
  } as const
}

function route(name: Route) {
  return { type: 'route', params: { route: name } } as const
}

/**
 * The member lifecycle machine, without implementations: provide its actors with
 * `createMemberLifecycle(client)` (src/bridge), or with `.provide({ actors })` in tests.
 *
 * @example
 * ```ts
 * import { transition } from 'xstate'
 * import { memberLifecycleMachine } from 'mx-reconnect/machines'
 * const snapshot = memberLifecycleMachine.resolveState({ value: 'loadingMember', context })
 * const [next] = transition(memberLifecycleMachine, snapshot, {
 *   type: 'xstate.done.actor.loadingMember',
 *   output: { at: Date.now(), member },
 * })
 * next.value // e.g. { credentials: 'listing' } for a DENIED member
 * ```
 */
export const memberLifecycleMachine = setup({
  types: {
    input: {} as LifecycleInput,
    context: {} as LifecycleContext,
    events: {} as LifecycleEvent,
    emitted: {} as LifecycleEmitted,
    output: {} as LifecycleOutput,
  },
  actors: {
    readMember: notProvided<MemberRead, ReadMemberInput>('readMember'),
    listCredentials: notProvided<CredentialsRead, MemberRequest>('listCredentials'),
    updateMember: notProvided<Triggered, SubmissionRequest>('updateMember'),
    listChallenges: notProvided<ChallengesRead, MemberRequest>('listChallenges'),
    resumeAggregation: notProvided<Triggered, SubmissionRequest>('resumeAggregation'),
    aggregateMember: notProvided<Triggered, MemberRequest>('aggregateMember'),
    oauthWindowUri: notProvided<OAuthUri, MemberRequest>('oauthWindowUri'),
    wait: notProvided<Stamped, WaitInput>('wait'),
  },
  guards: {
    route: ({ context }, params: { route: Route }) => decideRoute(context) === params.route,
    canRetry: ({ context, event }) =>
      isRetryable(failureOf(context, event)) && context.streak < context.policy.attempts.service,
    retryable: ({ context, event }) => isRetryable(failureOf(context, event)),
    notSent: ({ context, event }) => isNotSent(failureOf(context, event)),
    outcomeUnknown: ({ context, event }) => isOutcomeUnknown(failureOf(context, event)),
    conflict: ({ context, event }) => httpStatus(failureOf(context, event)) === 409,
    badRequest: ({ context, event }) => httpStatus(failureOf(context, event)) === 400,
    notChallenged: ({ context, event }) => httpStatus(failureOf(context, event)) === 405,
    none: (_, params: { count: number }) => params.count === 0,
    credentialsValid: ({ context, event }) =>
      event.type === 'credentials.submit' &&
      validateCredentials(context.fields ?? [], event.submissionId, event.credentials) === null,
    // MFA answers always go to resume, whichever submit event carries them (lifecycle.md; §3.4).
    answersValid: ({ context, event }) =>
      (event.type === 'mfa.submit' || event.type === 'credentials.submit') &&
      validateAnswers(
        context.challenges ?? [],
        event.submissionId,
        event.type === 'mfa.submit' ? event.answers : event.credentials,
      ) === null,
    webhookForMember: ({ context, event }) =>
      event.type === 'member.webhook' && event.payload.memberGuid === context.memberGuid,
    retryStepIs: ({ context }, params: { step: RetryStep }) => context.retryStep === params.step,
  },
  actions: {
    scheduleNextPoll: assign(({ context }) => update.scheduleNextPoll(context)),
    leaveJob: assign(() => update.leaveJob()),
    startAggregation: assign(({ context }) => update.startAggregation(context)),
    scheduleRetry: assign(({ context, event }, params: { step: RetryStep }) =>
      update.scheduleRetry(context, failureOf(context, event), params.step),
    ),
    recordError: assign(({ context, event }) => update.recordFailure(failureOf(context, event))),
    refusedSubmission: assign(({ context, event }) =>
      update.refusedSubmission(context, failureOf(context, event)),
    ),
    observeFailureTime: assign(({ context, event }) => ({ observedAt: failureOf(context, event).at })),
    afterUnknownOutcome: assign(({ context, event }) =>
      update.afterUnknownOutcome(context, failureOf(context, event)),
    ),
    joinRunningJob: assign(({ context, event }) => update.joinRunningJob(context, failureOf(context, event))),
    acceptCredentials: assign(({ context, event }) =>
      update.acceptCredentials(context, event.type === 'credentials.submit' ? event.submissionId : ''),
    ),
    acceptAnswers: assign(({ context, event }) =>
      update.acceptAnswers(
        context,
        event.type === 'mfa.submit' || event.type === 'credentials.submit' ? event.submissionId : '',
      ),
    ),
    rejectCredentials: assign(({ context, event }) =>
      update.rejectSubmission(
        validateCredentials(
          context.fields ?? [],
          event.type === 'credentials.submit' ? event.submissionId : undefined,
          event.type === 'credentials.submit' ? event.credentials : undefined,
        ) ?? { reason: 'noSubmission', guids: [] },
      ),
    ),
    rejectAnswers: assign(({ context, event }) =>
      update.rejectSubmission(
        validateAnswers(
          context.challenges ?? [],
          event.type === 'mfa.submit' || event.type === 'credentials.submit' ? event.submissionId : undefined,
          event.type === 'mfa.submit'
            ? event.answers
            : event.type === 'credentials.submit'
              ? event.credentials
              : undefined,
        ) ?? { reason: 'noSubmission', guids: [] },
      ),
    ),
    armUserDeadline: assign(({ context }) => ({ wakeAt: context.userDeadline })),
    clearWakeAt: assign({ wakeAt: null }),
    settle: assign(({ context }, params: { outcome: Outcome }) => update.settle(context, params.outcome)),
    emitCredentialsRequired: emit(({ context }) => credentialsPrompt(context)),
    emitMfaRequired: emit(({ context }) => mfaPrompt(context)),
    emitOutcome: emit(({ context }) => ({ type: 'outcome' as const, output: toOutput(context) })),
  },
}).createMachine({
  id: 'memberLifecycle',
  context: ({ input }) => initialContext(input),
  initial: 'loadingMember',
  output: ({ context }) => toOutput(context),
  on: { cancel: { target: '.cancelled' } },
  states: {
    loadingMember: {
      invoke: {
        id: 'loadingMember',
        src: 'readMember',
        input: member,
        onDone: {
          target: 'routing',
          actions: assign(({ context, event }) => update.afterRead(context, event.output)),
        },
        onError: onFailure('loadingMember'),
      },
    },

    // Eventless: decides on the member just read (lifecycle.md, routing). Never persisted.
    routing: {
      always: [
        { guard: route('waitingOnJob'), target: 'waitingOnJob', actions: 'scheduleNextPoll' },
        { guard: route('credentials'), target: 'credentials', actions: 'leaveJob' },
        { guard: route('mfa'), target: 'mfa', actions: 'leaveJob' },
        { guard: route('aggregate'), target: 'aggregating', actions: 'startAggregation' },
        { guard: route('oauth'), target: 'fetchingOAuthUri' },
        { guard: route('connected'), target: 'connected' },
        { guard: route('needsCredentials'), target: 'needsCredentials' },
        { guard: route('needsMfa'), target: 'needsMfa' },
        { guard: route('needsUserAtInstitution'), target: 'needsUserAtInstitution' },
        { guard: route('retryLater'), target: 'retryLater' },
        { guard: route('unrecoverable'), target: 'unrecoverable' },
        { guard: route('unknownStatus'), target: 'unknownStatus' },
      ],
    },

    credentials: {
      initial: 'listing',
      states: {
        // §3.5: always list fresh; the fields can change over time.
        listing: {
          invoke: {
            id: 'listingCredentials',
            src: 'listCredentials',
            input: member,
            onDone: [
              {
                guard: { type: 'none', params: ({ event }) => ({ count: event.output.fields.length }) },
                target: '#memberLifecycle.needsCredentials',
                actions: assign(({ event }) => update.afterWait(event.output.at)),
              },
              {
                target: 'awaiting',
                actions: assign(({ context, event }) => update.promptCredentials(context, event.output)),
              },
            ],
            onError: onFailure('listingCredentials'),
          },
        },
        awaiting: {
          entry: ['armUserDeadline', 'emitCredentialsRequired'],
          exit: 'clearWakeAt',
          invoke: {
            id: 'credentialsDeadline',
            src: 'wait',
            input: ({ context }) => ({ until: context.userDeadline ?? 0 }),
            onDone: {
              target: '#memberLifecycle.needsCredentials',
              actions: assign(({ event }) => update.afterWait(event.output.at)),
            },
          },
          on: {
            'credentials.submit': [
              { guard: 'credentialsValid', target: 'updating', actions: 'acceptCredentials' },
              { actions: 'rejectCredentials' },
            ],
          },
        },
        // §3.4: rooted body, credentials only, never skip_aggregation; aggregation starts by itself.
        updating: {
          invoke: {
            id: 'updatingMember',
            src: 'updateMember',
            input: submission,
            onDone: {
              target: '#memberLifecycle.waitingOnJob',
              actions: assign(({ context, event }) => update.afterTrigger(context, event.output.at)),
            },
            onError: [
              // Restored mid-update: the values are gone; was the job started? (lifecycle.md, Restore)
              { guard: 'notSent', target: '#memberLifecycle.loadingMember', actions: 'observeFailureTime' },
              // 400 (stale credential guids, §3.3): re-decide on the last read, which lists them again.
              { guard: 'badRequest', target: '#memberLifecycle.routing', actions: 'refusedSubmission' },
              UNKNOWN_OUTCOME,
              ...onFailure('updating'),
            ],
          },
        },
      },
    },

    mfa: {
      initial: 'listing',
      states: {
        listing: {
          invoke: {
            id: 'listingChallenges',
            src: 'listChallenges',
            input: member,
            onDone: [
              {
                // §3.7: nothing to answer after all; read the member again (counts a round, see updates.ts).
                guard: { type: 'none', params: ({ event }) => ({ count: event.output.challenges.length }) },
                target: '#memberLifecycle.loadingMember',
                actions: assign(({ context, event }) =>
                  update.afterEmptyChallenges(context, event.output.at),
                ),
              },
              {
                target: 'awaiting',
                actions: assign(({ context, event }) => update.promptMfa(context, event.output)),
              },
            ],
            onError: onFailure('listingChallenges'),
          },
        },
        awaiting: {
          entry: ['armUserDeadline', 'emitMfaRequired'],
          exit: 'clearWakeAt',
          invoke: {
            id: 'mfaDeadline',
            src: 'wait',
            input: ({ context }) => ({ until: context.userDeadline ?? 0 }),
            onDone: {
              target: '#memberLifecycle.needsMfa',
              actions: assign(({ event }) => update.afterWait(event.output.at)),
            },
          },
          on: {
            'mfa.submit': [
              { guard: 'answersValid', target: 'resuming', actions: 'acceptAnswers' },
              { actions: 'rejectAnswers' },
            ],
            // Answers sent as credentials while CHALLENGED are MFA answers: they go to resume (§3.4).
            'credentials.submit': [
              { guard: 'answersValid', target: 'resuming', actions: 'acceptAnswers' },
              { actions: 'rejectAnswers' },
            ],
          },
        },
        resuming: {
          invoke: {
            id: 'resumingAggregation',
            src: 'resumeAggregation',
            input: submission,
            onDone: {
              target: '#memberLifecycle.waitingOnJob',
              actions: assign(({ context, event }) => update.afterTrigger(context, event.output.at)),
            },
            onError: [
              { guard: 'notSent', target: '#memberLifecycle.loadingMember', actions: 'observeFailureTime' },
              // §3.7: 405 = no longer CHALLENGED (re-read); 400 = answers unusable (ask again).
              {
                guard: 'notChallenged',
                target: '#memberLifecycle.loadingMember',
                actions: 'refusedSubmission',
              },
              { guard: 'badRequest', target: '#memberLifecycle.routing', actions: 'refusedSubmission' },
              UNKNOWN_OUTCOME,
              ...onFailure('resuming'),
            ],
          },
        },
      },
    },

    // §3.6 / §8.0: REJECTED or EXPIRED and MFA rounds remain: start a fresh aggregation.
    aggregating: {
      invoke: {
        id: 'aggregating',
        src: 'aggregateMember',
        input: member,
        onDone: {
          target: 'waitingOnJob',
          actions: assign(({ context, event }) => update.afterTrigger(context, event.output.at)),
        },
        onError: [
          // Restored mid-aggregate: re-read first, a second GET …/aggregate could start a second job.
          { guard: 'notSent', target: 'loadingMember', actions: 'observeFailureTime' },
          // 409: a job is already running (§9, §12; MX's widget polls it): wait on it.
          { guard: 'conflict', target: 'waitingOnJob', actions: 'joinRunningJob' },
          UNKNOWN_OUTCOME,
          ...onFailure('aggregating'),
        ],
      },
    },

    // §8.1: poll with a floor and backoff, or read at once on a webhook (§8.2: never rely on webhooks alone).
    waitingOnJob: {
      initial: 'sleeping',
      states: {
        sleeping: {
          exit: 'clearWakeAt',
          invoke: {
            id: 'pollTimer',
            src: 'wait',
            input: ({ context }) => ({ until: context.wakeAt ?? 0 }),
            onDone: { target: 'reading', actions: assign(({ event }) => update.afterWait(event.output.at)) },
          },
          on: { 'member.webhook': { guard: 'webhookForMember', target: 'reading' } },
        },
        reading: {
          invoke: {
            id: 'polling',
            src: 'readMember',
            input: ({ context }) => ({
              ...member({ context }),
              notBeforeIfRerun: (context.observedAt ?? 0) + context.policy.pollFloorMs,
            }),
            onDone: {
              target: '#memberLifecycle.routing',
              actions: assign(({ context, event }) => update.afterRead(context, event.output)),
            },
            onError: onFailure('polling'),
          },
        },
      },
    },

    backingOff: {
      exit: 'clearWakeAt',
      invoke: {
        id: 'retryTimer',
        src: 'wait',
        input: ({ context }) => ({ until: context.wakeAt ?? 0 }),
        onDone: [
          { guard: { type: 'retryStepIs', params: { step: 'loadingMember' } }, target: 'loadingMember' },
          {
            guard: { type: 'retryStepIs', params: { step: 'listingCredentials' } },
            target: 'credentials.listing',
          },
          { guard: { type: 'retryStepIs', params: { step: 'updating' } }, target: 'credentials.updating' },
          { guard: { type: 'retryStepIs', params: { step: 'listingChallenges' } }, target: 'mfa.listing' },
          { guard: { type: 'retryStepIs', params: { step: 'resuming' } }, target: 'mfa.resuming' },
          { guard: { type: 'retryStepIs', params: { step: 'aggregating' } }, target: 'aggregating' },
          { guard: { type: 'retryStepIs', params: { step: 'polling' } }, target: 'waitingOnJob.reading' },
        ],
      },
    },

    // §3.8: a fresh one-time OAuth window URI when one can be had; without one the outcome stands.
    fetchingOAuthUri: {
      invoke: {
        id: 'fetchingOAuthUri',
        src: 'oauthWindowUri',
        input: member,
        onDone: {
          target: 'needsOAuth',
          actions: assign(({ event }) => ({ observedAt: event.output.at, oauthWindowUri: event.output.uri })),
        },
        onError: { target: 'needsOAuth', actions: 'recordError' },
      },
    },

    connected: final('connected'),
    needsCredentials: final('needsCredentials'),
    needsMfa: final('needsMfa'),
    needsOAuth: final('needsOAuth'),
    needsUserAtInstitution: final('needsUserAtInstitution'),
    retryLater: final('retryLater'),
    unrecoverable: final('unrecoverable'),
    unknownStatus: final('unknownStatus'),
    cancelled: final('cancelled'),
    failed: final('failed'),
  },
})

/**
 * The machine's type.
 *
 * @example
 * ```ts
 * const machine: MemberLifecycleMachine = memberLifecycleMachine.provide({
 *   actors: createLifecycleActors({ client, clock: systemClock, vault: createSecretVault({ clock: systemClock }) }),
 * })
 * const actor = createActor(machine, { input: { userId: 'u-1', memberGuid: 'MBR-1' } }).start()
 * ```
 */
export type MemberLifecycleMachine = typeof memberLifecycleMachine
