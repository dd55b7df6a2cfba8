import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Reconnector } from '../../src/reconnector/types.js'

// A tiny MX webhook receiver (§8.2: answer 204 fast) that hands every body to the current reconnector's
// `handleWebhook`. The benchmark swaps `target` between runs; the simulator keeps one webhook URL.

/** A running receiver. */
export interface WebhookReceiver {
  readonly url: string
  target: Reconnector | undefined
  /** Bodies received / routed to a live lifecycle. */
  readonly counts: { received: number; routed: number }
  close(): Promise<void>
}

/** Starts the receiver on 127.0.0.1, port 0. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const counts = { received: 0, routed: 0 }
  const receiver: WebhookReceiver = {
    url: '',
    target: undefined,
    counts,
    close: () => Promise.resolve(),
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      res.writeHead(204).end()
      counts.received += 1
      let body: unknown
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        return
      }
      receiver.target?.handleWebhook(body).then(
        (r) => {
          if (r.routed) counts.routed += 1
        },
        () => undefined,
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/webhooks/mx`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  })
}
