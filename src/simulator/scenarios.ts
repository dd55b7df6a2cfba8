import type { KnownStatus } from '../domain/index.js'
import { newGuid, type Rng } from './random.js'

/**
 * The outcome table (simulator.md "Outcomes are encoded in the credentials"; Nexus reference §11): with
 * username `mxuser`, the stored password decides the next aggregation, like MX's test bank.
 */

/**
 * The username the outcome table applies to; any other username is DENIED.
 *
 * @example
 * ```ts
 * sim.createMember({ userId, username: SCENARIO_USERNAME, password: 'challenge' })
 * ```
 */
export const SCENARIO_USERNAME = 'mxuser'

/**
 * The MFA answer that passes a round (for options: the option whose value or guid is this).
 *
 * @example
 * ```ts
 * { challenges: [{ guid: challenge.guid, value: CORRECT_ANSWER }] }
 * ```
 */
export const CORRECT_ANSWER = 'correct'

/** The challenge types a round can ask (§6). */
export type RoundType = 'TEXT' | 'OPTIONS' | 'IMAGE_DATA' | 'IMAGE_OPTIONS' | 'TOKEN'

/** Where an aggregation ends once every MFA round is passed. */
export type Outcome =
  | 'CONNECTED'
  | 'DENIED'
  | 'LOCKED'
  | 'IMPEDED'
  | 'DEGRADED'
  | 'DISCONNECTED'
  | 'FAILED'
  | 'DELAYED'
  | 'IMPAIRED'
  | 'IMPORTED'
  | 'PREVENTED'
  | 'PENDING'
  | 'DISCONTINUED'
  | 'CLOSED'
  | 'DISABLED'

/** What one aggregation will do: MFA rounds first, then the outcome. */
export interface Plan {
  readonly rounds: readonly RoundType[]
  readonly outcome: Outcome
}

const plan = (outcome: Outcome, ...rounds: RoundType[]): Plan => ({ rounds, outcome })

/**
 * Password → plan. Anything not listed connects.
 *
 * @example
 * ```ts
 * PASSWORD_SCENARIOS.multi // { rounds: ['OPTIONS', 'TOKEN'], outcome: 'CONNECTED' }
 * ```
 */
export const PASSWORD_SCENARIOS: Readonly<Record<string, Plan>> = {
  challenge: plan('CONNECTED', 'TEXT'),
  options: plan('CONNECTED', 'OPTIONS'),
  image: plan('CONNECTED', 'IMAGE_DATA'),
  image_options: plan('CONNECTED', 'IMAGE_OPTIONS'),
  token: plan('CONNECTED', 'TOKEN'),
  // "pick where to send the code", then "enter the code" (§3.7 step 4).
  multi: plan('CONNECTED', 'OPTIONS', 'TOKEN'),
  UNAUTHORIZED: plan('DENIED'),
  LOCKED: plan('LOCKED'),
  IMPEDED: plan('IMPEDED'),
  DEGRADED: plan('DEGRADED'),
  DISCONNECTED: plan('DISCONNECTED'),
  BAD_REQUEST: plan('FAILED'),
  DELAYED: plan('DELAYED'),
}

const CONNECTED_PLAN = plan('CONNECTED')

/** The plan a password selects (`mxuser` assumed). */
export function planForPassword(password: string): Plan {
  return Object.hasOwn(PASSWORD_SCENARIOS, password)
    ? (PASSWORD_SCENARIOS[password] ?? CONNECTED_PLAN)
    : CONNECTED_PLAN
}

/** The scenario name for a password: the password itself when listed, else `connected`. */
export function scenarioName(password: string | null): string {
  if (password === null) return 'none'
  return Object.hasOwn(PASSWORD_SCENARIOS, password) ? password : 'connected'
}

/** An option of an OPTIONS / IMAGE_OPTIONS challenge (newer MX APIs give each a guid, §6). */
export interface ChallengeOption {
  readonly guid: string
  readonly label: string
  readonly value: string
  readonly dataUri?: string
}

/** One MFA challenge as the model keeps it. */
export interface ChallengeRec {
  readonly guid: string
  readonly type: RoundType
  readonly label: string
  readonly fieldName: string
  readonly options?: readonly ChallengeOption[]
  readonly imageData?: string
}

// A 1x1 PNG: enough for a client to prove it carries image data through (§6 IMAGE_DATA / IMAGE_OPTIONS).
const PNG_1X1 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

/** The challenges of one round; guids are fresh each round (§6: "challenge GUIDs change between rounds"). */
export function buildRound(rng: Rng, type: RoundType): ChallengeRec[] {
  const guid = newGuid(rng, 'CRD')
  switch (type) {
    case 'TEXT':
      return [{ guid, type, label: 'What city were you born in?', fieldName: 'What city were you born in?' }]
    case 'TOKEN':
      return [{ guid, type, label: 'Enter the one-time code we sent you.', fieldName: 'TOKEN' }]
    case 'IMAGE_DATA':
      return [
        { guid, type, label: 'What word is shown in the image?', fieldName: 'IMAGE', imageData: PNG_1X1 },
      ]
    case 'OPTIONS':
      return [
        {
          guid,
          type,
          label: 'Where should we send your one-time code?',
          fieldName: 'DELIVERY',
          options: [
            { guid: newGuid(rng, 'OPT'), label: 'Text (***) ***-0123', value: CORRECT_ANSWER },
            { guid: newGuid(rng, 'OPT'), label: 'Email m***@example.com', value: 'email' },
          ],
        },
      ]
    case 'IMAGE_OPTIONS':
      return [
        {
          guid,
          type,
          label: 'Which image did you choose when you enrolled?',
          fieldName: 'SECURITY_IMAGE',
          options: [
            {
              guid: newGuid(rng, 'OPT'),
              label: 'Lighthouse',
              value: CORRECT_ANSWER,
              dataUri: `data:image/png;base64,${PNG_1X1}`,
            },
            {
              guid: newGuid(rng, 'OPT'),
              label: 'Sailboat',
              value: 'sailboat',
              dataUri: `data:image/png;base64,${PNG_1X1}`,
            },
          ],
        },
      ]
  }
}

/**
 * True when `answer` passes `challenge`. Options accept the option's `value` or its `guid` (§10.10,
 * §12: MX's widget sends the guid when options carry one).
 */
export function isCorrectAnswer(challenge: ChallengeRec, answer: string): boolean {
  if (challenge.options === undefined) return answer === CORRECT_ANSWER
  const correct = challenge.options.find((o) => o.value === CORRECT_ANSWER)
  return correct !== undefined && (answer === correct.value || answer === correct.guid)
}

/** `connection_status_message` texts (§3.1: end-user displayable). */
export function statusMessage(status: KnownStatus | null, institution: string): string | null {
  switch (status) {
    case null:
      return null
    case 'CREATED':
    case 'UPDATED':
    case 'RESUMED':
      return `Connecting to ${institution}...`
    case 'PREVENTED':
      return `To protect your ${institution} account, we stopped trying to connect after several failed attempts. Please update your credentials.`
    case 'DENIED':
      return `The credentials entered do not match your credentials at ${institution}.`
    case 'CHALLENGED':
      return `To authenticate your connection to ${institution}, please answer the following challenge(s).`
    case 'REJECTED':
      return `The answer or answers provided were incorrect.`
    case 'LOCKED':
      return `Your ${institution} account is locked. Please log in to ${institution} to unlock it.`
    case 'CONNECTED':
      return `Connected to ${institution}.`
    case 'IMPEDED':
      return `${institution} needs your attention. Please log in to ${institution} and follow its instructions.`
    case 'RECONNECTED':
      return `The connection to ${institution} was moved; it will be refreshed the next time you are here.`
    case 'DEGRADED':
      return `We are having trouble connecting to ${institution}. We will keep trying.`
    case 'DISCONNECTED':
      return `We have not been able to connect to ${institution} for a while.`
    case 'DISCONTINUED':
      return `Connections to ${institution} are no longer supported.`
    case 'CLOSED':
      return `This connection has been closed.`
    case 'DELAYED':
      return `Connecting to ${institution} is taking longer than usual.`
    case 'FAILED':
      return `There was a problem connecting to ${institution}.`
    case 'DISABLED':
      return `Updates for ${institution} are temporarily paused.`
    case 'IMPORTED':
      return `Please enter your ${institution} credentials to connect.`
    case 'EXPIRED':
      return `The answer or answers were not provided in time.`
    case 'IMPAIRED':
      return `Some required credentials for ${institution} are missing.`
    case 'PENDING':
      return `Please finish signing in to ${institution} in the window that opened.`
  }
}
