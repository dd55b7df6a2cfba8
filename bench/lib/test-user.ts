import type { CredentialsRequiredEvent, MfaRequiredEvent } from '../../machines/member-lifecycle/index.js'
import type { SecretValue } from '../../src/client/types.js'
import { CORRECT_ANSWER, SCENARIO_USERNAME } from '../../src/simulator/index.js'

// A test user who answers every prompt the way the simulator's outcome table expects (docs/simulator.md):
// username `mxuser`, the member's scenario password, and the `correct` MFA answer. The benchmarks use it as
// the credentials / MFA provider, so every reconnection runs to its outcome without a person.

/** Values for a credentials prompt: LOGIN → mxuser, PASSWORD → the scenario password, anything else → 1234. */
export function credentialsFor(
  prompt: Pick<CredentialsRequiredEvent, 'fields'>,
  password: string,
): SecretValue[] {
  return prompt.fields.map((f) => ({
    guid: f.guid,
    value: f.type === 'PASSWORD' ? password : f.type === 'LOGIN' ? SCENARIO_USERNAME : '1234',
  }))
}

/** Answers for an MFA prompt: the option whose value (or guid) is `correct`, else the text `correct`. */
export function answersFor(prompt: Pick<MfaRequiredEvent, 'challenges'>): SecretValue[] {
  return prompt.challenges.map((c) => {
    const options = c.options ?? c.imageOptions ?? []
    const pick = options.find((o) => o.value === CORRECT_ANSWER || o.guid === CORRECT_ANSWER)
    return { guid: c.guid, value: pick?.value ?? CORRECT_ANSWER }
  })
}

/** Providers for `createReconnector` that answer as the test user, looking the password up by member. */
export function testUserProviders(passwordOf: (memberGuid: string) => string) {
  return {
    credentials: (prompt: CredentialsRequiredEvent) =>
      Promise.resolve(credentialsFor(prompt, passwordOf(prompt.memberGuid))),
    mfa: (prompt: MfaRequiredEvent) => Promise.resolve(answersFor(prompt)),
  }
}
