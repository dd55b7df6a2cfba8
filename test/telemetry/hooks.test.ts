import { createRequire } from 'node:module'
import * as api from '@opentelemetry/api'
import { Effect } from 'effect'
import { fc, test as property } from '@fast-check/vitest'
import { afterEach, describe, expect, it } from 'vitest'
import { createActor, createMachine } from 'xstate'
import { hostOf, memberGuidOf, routeTemplate, stateKey } from '../../src/telemetry/attributes.js'
import { telemetry } from '../../src/telemetry/hooks.js'
import { loadTelemetry } from '../../src/telemetry/load.js'
import { installOtel, type OtelHarness } from './otel-harness.js'

// The hooks without a provider (what every other test runs with: the API is a devDependency), with only a
// meter provider, and the helpers that keep attribute values safe.

const request = {
  api: 'nexus',
  method: 'GET',
  path: '/members/MBR-1',
  endpoint: { origin: 'http://127.0.0.1:1' },
}

describe('loading the optional peer', () => {
  it('is undefined when @opentelemetry/api cannot be resolved, and never throws', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' })
    }
    expect(loadTelemetry(missing)).toBeUndefined()
  })

  it('is undefined for something that is not a 1.x API with metrics', () => {
    expect(loadTelemetry(() => ({}))).toBeUndefined()
    expect(loadTelemetry(() => ({ trace: api.trace }))).toBeUndefined()
    expect(loadTelemetry(() => undefined)).toBeUndefined()
  })

  it('loads the installed API (a devDependency here) into the hooks the library calls', () => {
    const hooks = loadTelemetry(createRequire(import.meta.url))
    expect([hooks?.call, hooks?.fork, hooks?.lifecycle, hooks?.inStep].map((f) => typeof f)).toEqual([
      'function',
      'function',
      'function',
      'function',
    ])
    expect(telemetry).toBeDefined()
  })
})

describe('with the API installed but no provider registered', () => {
  const hooks = telemetry!

  it('returns the call and the fiber untouched: no span, no count, no context', () => {
    const attempt = Effect.succeed({ status: 200 })
    const retried = Effect.succeed({ status: 201 })
    expect(hooks.call(request, attempt, () => retried)).toBe(retried)
    const effect = Effect.succeed(1)
    expect(hooks.fork(effect)).toBe(effect)
  })

  it('does not watch a lifecycle, and runs a step as it is', () => {
    const actor = createActor(createMachine({ initial: 'a', states: { a: {} } }))
    const watched = Object.assign(actor, {
      subscribe: () => {
        throw new Error('subscribed without a provider')
      },
    })
    expect(() => hooks.lifecycle(watched, 'start')).not.toThrow()
    expect(hooks.inStep(actor, () => 'ran')).toBe('ran')
  })
})

describe('with only a meter provider', () => {
  let otel: OtelHarness | undefined
  afterEach(async () => {
    await otel?.close()
    otel = undefined
  })

  it('counts calls and sessions but makes no span and leaves the fiber untouched', async () => {
    otel = installOtel({ traces: false })
    const hooks = telemetry!
    const effect = Effect.succeed(1)
    expect(hooks.fork(effect)).toBe(effect)
    const reply = Effect.succeed({ status: 200 })
    await Effect.runPromise(hooks.call(request, reply, (once) => once))
    const session = { ...request, method: 'POST', path: '/sessions' }
    await Effect.runPromise(hooks.call(session, reply, (once) => once))
    const failing = Effect.fail({ _tag: 'HttpError', status: 503 })
    await Effect.runPromise(
      Effect.either(hooks.call(request, failing, (once) => Effect.orElse(once, () => once))),
    )
    expect(await otel.counter('mx_reconnect.http.calls')).toEqual({
      'http.request.method=GET,http.response.status_code=200,mx.api=nexus,mx.outcome=ok,url.template=/members/{member_guid}': 1,
      'http.request.method=POST,http.response.status_code=200,mx.api=nexus,mx.outcome=ok,url.template=/sessions': 1,
      'http.request.method=GET,http.response.status_code=503,mx.api=nexus,mx.outcome=HttpError,url.template=/members/{member_guid}': 1,
    })
    expect(await otel.counter('mx_reconnect.sessions.opened')).toEqual({ '': 1 })
    expect(otel.exporter.getFinishedSpans()).toEqual([])
  })
})

describe('attribute values', () => {
  it.each([
    ['nexus', '/members/MBR-1', '/members/{member_guid}'],
    ['nexus', '/members', '/members'],
    ['nexus', '/members?page=2', '/members'],
    ['nexus', '/members/MBR%2F1/credentials', '/members/{member_guid}/credentials'],
    ['nexus', '/members/MBR-1/challenges', '/members/{member_guid}/challenges'],
    ['nexus', '/members/MBR-1/resume', '/members/{member_guid}/resume'],
    ['nexus', '/members/MBR-1/aggregate', '/members/{member_guid}/aggregate'],
    ['nexus', '/members/MBR-1/oauth_window_uri', '/members/{member_guid}/oauth_window_uri'],
    ['nexus', '/members/credentials', '/members/{member_guid}'],
    ['nexus', '/jobs/JOB-1', '/jobs/{job_guid}'],
    ['nexus', '/sessions', '/sessions'],
    ['sso', '/client-1/users/u-1/api_token.json', '/{client_id}/users/{user_id}/api_token.json'],
    ['mdx', '/client-1/users.json', '/{client_id}/users.json'],
    ['nexus', '/oauth/authorize/OAW-secret', '/{id}/{id}/{id}'],
    ['nexus', '', '/'],
  ])('%s %s is templated as %s', (api, path, template) => {
    expect(routeTemplate(api, path)).toBe(template)
  })

  property.prop([fc.constantFrom('nexus', 'sso', 'mdx'), fc.array(fc.string(), { maxLength: 6 })])(
    'a template only ever holds fixed words and placeholders, whatever the path',
    (apiName, segments) => {
      const template = routeTemplate(apiName, `/${segments.join('/')}`)
      for (const part of template.slice(1).split('/')) {
        expect(part).toMatch(
          /^(|\{[a-z_]+\}|members|jobs|sessions|users|credentials|challenges|resume|aggregate|oauth_window_uri|api_token\.json|users\.json)$/,
        )
      }
    },
  )

  it('reads the member guid of a Nexus member path only', () => {
    expect(memberGuidOf('nexus', '/members/MBR-1/challenges')).toBe('MBR-1')
    expect(memberGuidOf('nexus', '/members/MBR%2F1?x=1')).toBe('MBR/1')
    expect(memberGuidOf('nexus', '/members/%E0%A4%A')).toBeUndefined()
    expect(memberGuidOf('nexus', '/members')).toBeUndefined()
    expect(memberGuidOf('nexus', '/jobs/JOB-1')).toBeUndefined()
    expect(memberGuidOf('sso', '/members/MBR-1')).toBeUndefined()
  })

  it('names nested states with dots', () => {
    expect(stateKey('routing')).toBe('routing')
    expect(stateKey({ credentials: 'awaiting' })).toBe('credentials.awaiting')
    expect(stateKey({ a: { b: 'c' } })).toBe('a.b.c')
    expect(stateKey({ a: {} })).toBe('a')
    expect(stateKey({ a: 'x', b: 'y' })).toBe('a.x,b.y')
    expect(stateKey(undefined)).toBe('undefined')
  })

  it('keeps only the host of an origin', () => {
    expect(hostOf('http://127.0.0.1:4010')).toBe('127.0.0.1')
    expect(hostOf('https://int-data.moneydesktop.com')).toBe('int-data.moneydesktop.com')
    expect(hostOf('not a url')).toBe('')
  })
})
