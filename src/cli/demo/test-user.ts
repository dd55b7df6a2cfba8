import type {
  ChallengePrompt,
  CredentialsRequiredEvent,
  MfaRequiredEvent,
  OptionPrompt,
} from '../../../machines/member-lifecycle/index.js'
import type { SecretValue } from '../../client/types.js'
import type { Prompt } from '../../reconnector/index.js'
import { CORRECT_ANSWER, SCENARIO_USERNAME } from '../../simulator/index.js'
import { GOOD_PASSWORD, type DemoScenario } from './scenarios.js'

/**
 * The demo's test users: answer the reconnector's prompts the way each member's scenario says a person
 * would (design: reconnector.md "CLI" `demo`: "answers prompts like a test user would"). Plugged in as the
 * reconnector's `credentials` / `mfa` providers (reconnector.md, Library API).
 */

/** What the demo knows about one seeded member. */
export interface SeededMember {
  readonly userId: string
  readonly memberGuid: string
  readonly scenario: DemoScenario
  /** 1-based position in the demo, used to make this member's secrets unique. */
  readonly ordinal: number
}

/** The providers and a record of what was typed (for the store scan test; never printed). */
export interface TestUsers {
  readonly credentials: (
    prompt: Prompt & CredentialsRequiredEvent,
  ) => Promise<readonly SecretValue[] | undefined>
  readonly mfa: (prompt: Prompt & MfaRequiredEvent) => Promise<readonly SecretValue[] | undefined>
  /** Every value typed so far, distinct. Secrets: for tests that prove none of them rests anywhere. */
  readonly typed: () => readonly string[]
}

/** The right password of a member: unique, so a scan for it finds only a leak. */
const goodPassword = (member: SeededMember): string =>
  `demo-Pa55-${member.ordinal}-${member.memberGuid.slice(-6)}`

/** A wrong MFA answer, unique to the member and round. */
const wrongAnswer = (member: SeededMember, round: number): string => `wrong-${member.ordinal}-r${round}`

/** The option whose value (or guid) is the simulator's passing answer, else the first one (§6). */
function pick(options: readonly OptionPrompt[], correct: boolean): OptionPrompt | undefined {
  const right = options.find((o) => o.value === CORRECT_ANSWER || o.guid === CORRECT_ANSWER)
  return correct ? right : (options.find((o) => o !== right) ?? right)
}

/** One challenge's answer: an option's value (MX's guide sends `value`, §6), or typed text. */
function answer(challenge: ChallengePrompt, correct: boolean, wrong: string): string {
  const options = challenge.options ?? challenge.imageOptions
  if (options !== undefined && options.length > 0) {
    const chosen = pick(options, correct)
    return chosen?.value ?? chosen?.guid ?? wrong
  }
  return correct ? CORRECT_ANSWER : wrong
}

/**
 * Test users for `members`. A member whose scenario is `never` answers nothing (the provider returns
 * `undefined`, so its lifecycle waits on the user until the user deadline, lifecycle.md Policy).
 */
export function createTestUsers(members: readonly SeededMember[]): TestUsers {
  const byGuid = new Map(members.map((m) => [m.memberGuid, m]))
  const typed = new Set<string>()
  const type = (value: string): string => {
    typed.add(value)
    return value
  }
  return {
    credentials: (prompt) => {
      const member = byGuid.get(prompt.memberGuid)
      const password = member?.scenario.userPassword ?? null
      if (member === undefined || member.scenario.mfa === 'never' || password === null) {
        return Promise.resolve(undefined)
      }
      // The institution's password field is the one named PASSWORD, else the first PASSWORD-type field;
      // other secret fields (a PIN) get a value of their own (simulator.md: extra credential fields).
      const passwordField =
        prompt.fields.find((f) => f.fieldName === 'PASSWORD') ??
        prompt.fields.find((f) => f.type === 'PASSWORD')
      const values = prompt.fields.map((field): SecretValue => {
        if (field.type === 'LOGIN') return { guid: field.guid, value: type(SCENARIO_USERNAME) }
        if (field === passwordField) {
          return {
            guid: field.guid,
            value: type(password === GOOD_PASSWORD ? goodPassword(member) : password),
          }
        }
        return { guid: field.guid, value: type(`pin-${1000 + member.ordinal}`) }
      })
      return Promise.resolve(values)
    },
    mfa: (prompt) => {
      const member = byGuid.get(prompt.memberGuid)
      if (member === undefined || member.scenario.mfa === 'never') return Promise.resolve(undefined)
      const correct = member.scenario.mfa === 'correct'
      return Promise.resolve(
        prompt.challenges.map((challenge) => ({
          guid: challenge.guid,
          value: type(answer(challenge, correct, wrongAnswer(member, prompt.round))),
        })),
      )
    },
    typed: () => [...typed],
  }
}
