import type { IncomingMessage, ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SimulatorCore } from './core.js'
import { malformedBody, truncatedBody, type FaultRule } from './faults.js'
import type { SimRequest, SimResponse, StepMeta } from './protocol.js'
import { redactBody, redactHeaders, redactPath, redactQuery } from './redact.js'
import type { RequestLogEntry } from './request-log.js'
import { NEXUS_TYPE } from './respond.js'
import { apiOf } from './routes.js'

/**
 * The thin `node:http` adapter (simulator.md "Shape"): read the request, consult the fault rules, run the
 * model, write the reply, log it redacted. Faults are applied before the model, so unless a rule says
 * `applied: true` a faulted request never changes the model's state.
 */

const MAX_BODY = 1 << 20

/** Handles `/_sim/…` requests (null when control is off). */
export type ControlHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: string,
) => Promise<void>

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY) chunks.push(chunk)
    })
    req.on('end', () =>
      resolve(
        size > MAX_BODY
          ? 'too-large'
          : chunks.length === 1
            ? (chunks[0] ?? Buffer.alloc(0))
            : Buffer.concat(chunks),
      ),
    )
    req.on('error', reject)
  })
}

const hasBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined ||
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')

/** Serialises a model reply. */
export function serialise(response: SimResponse): string {
  if (response.raw !== undefined) return response.raw
  return response.body === undefined ? '' : JSON.stringify(response.body)
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  text: string,
  headers?: Readonly<Record<string, string>>,
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

function faultStatus(rule: FaultRule): { text: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {}
  if (rule.retryAfterSeconds !== undefined) headers['retry-after'] = String(rule.retryAfterSeconds)
  const text = JSON.stringify({ error: { code: rule.status * 10, message: `Simulated ${rule.status}` } })
  return { text, headers }
}

/** Creates the request listener for `core`. */
export function createListener(
  getCore: () => SimulatorCore | undefined,
  control: ControlHandler | null,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(getCore(), control, req, res).catch(() => {
      if (!res.headersSent)
        send(res, 500, 'application/json', '{"error":{"code":5000,"message":"Simulator error"}}')
      else res.destroy()
    })
  }
}

async function handle(
  core: SimulatorCore | undefined,
  control: ControlHandler | null,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  const query = q < 0 ? '' : url.slice(q + 1)
  if (core === undefined)
    return send(res, 503, 'application/json', '{"error":{"code":5030,"message":"Starting"}}')
  if (path === '/_sim' || path.startsWith('/_sim/')) {
    if (control !== null) return control(req, res, path, query)
    return send(res, 404, NEXUS_TYPE, '{"error":{"code":4040,"message":"No such route"}}')
  }
  const method = (req.method ?? 'GET').toUpperCase()
  let body: unknown
  let bodyInvalid = false
  let rawLength = 0
  if (hasBody(req)) {
    const raw = await readBody(req)
    if (raw === 'too-large')
      return send(res, 413, NEXUS_TYPE, '{"error":{"code":4130,"message":"Body too large"}}')
    rawLength = raw.length
    if (rawLength > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'))
      } catch {
        bodyInvalid = true
      }
    }
  }
  const api = apiOf(path)
  const rule = core.faults.take(method, path, api)
  if (rule !== undefined) {
    core.countFault()
    if (rule.latencyMs > 0) await sleep(rule.latencyMs)
  }
  const entry = (
    status: number,
    meta: StepMeta | undefined,
    at: number,
    stepMs?: number,
  ): RequestLogEntry => {
    const headers = redactHeaders(req.headers)
    return {
      seq: core.nextSeq(),
      at,
      api: meta?.api ?? api,
      method,
      path: redactPath(path),
      ...(query === '' ? {} : { query: redactQuery(query) }),
      status,
      ...(meta?.userGuid === undefined ? {} : { userGuid: meta.userGuid }),
      ...(meta?.memberGuid === undefined ? {} : { memberGuid: meta.memberGuid }),
      ...(meta?.jobGuid === undefined ? {} : { jobGuid: meta.jobGuid }),
      ...(rawLength === 0 ? {} : { body: bodyInvalid ? '[unparseable]' : redactBody(body) }),
      ...(headers === undefined ? {} : { headers }),
      ...(rule === undefined ? {} : { fault: rule.kind }),
      ...(stepMs === undefined ? {} : { stepMs }),
    }
  }
  const breaks = rule !== undefined && rule.kind !== 'latency'
  if (breaks && !rule.applied) {
    // The request never reaches the model: state is untouched.
    core.countFaulted()
    const at = core.now()
    const status = rule.kind === 'reset' ? 0 : rule.kind === 'status' ? rule.status : 200
    core.countStatus(status)
    core.record(entry(status, undefined, at))
    if (rule.kind === 'reset') return void req.socket.destroy()
    if (rule.kind === 'status') {
      const { text, headers } = faultStatus(rule)
      return send(res, rule.status, NEXUS_TYPE, text, headers)
    }
    const text = rule.kind === 'malformed' ? malformedBody(path) : truncatedBody(path)
    return send(res, 200, NEXUS_TYPE, text)
  }
  const request: SimRequest = {
    method,
    path,
    query,
    headers: req.headers,
    body,
    ...(bodyInvalid ? { bodyInvalid } : {}),
  }
  const { response, meta, now, stepMs } = core.handle(request)
  if (breaks) {
    // `applied: true`: the model ran; only the reply is lost or broken.
    const status = rule.kind === 'reset' ? 0 : rule.kind === 'status' ? rule.status : 200
    core.countStatus(status)
    core.record(entry(status, meta, now, stepMs))
    if (rule.kind === 'reset') return void req.socket.destroy()
    if (rule.kind === 'status') {
      const { text, headers } = faultStatus(rule)
      return send(res, rule.status, NEXUS_TYPE, text, headers)
    }
    const real = serialise(response)
    const text = rule.kind === 'malformed' ? malformedBody(path, real) : truncatedBody(path, real)
    return send(res, 200, response.contentType, text)
  }
  core.countStatus(response.status)
  core.record(entry(response.status, meta, now, stepMs))
  send(res, response.status, response.contentType, serialise(response), response.headers)
}
