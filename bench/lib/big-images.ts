import type { NexusClientApi } from '../../src/client/types.js'

// Real banks' IMAGE_DATA and IMAGE_OPTIONS challenges carry kilobytes of base64 (issue 15); the
// simulator's are 1×1 PNGs. This wraps a client so every challenge image it lists is `bytes` of base64
// instead, as if the bank had sent it: what the reconnector then persists is what it would persist for a
// real bank. Every other call goes through untouched.

/** `length` characters of deterministic base64 (a multiple of 4, so it decodes). */
export function base64Image(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  let seed = 0x2f6b1d3
  let out = ''
  for (let i = 0; i < length - (length % 4); i++) {
    seed = (seed * 1_103_515_245 + 12_345) >>> 0
    out += alphabet[(seed >>> 16) & 63]
  }
  return out
}

/** A client whose listed challenges carry `bytes`-character base64 images. */
export function withBigImages(client: NexusClientApi, bytes: number): NexusClientApi {
  const image = base64Image(bytes)
  const dataUri = `data:image/png;base64,${image}`
  const listMemberChallenges: NexusClientApi['listMemberChallenges'] = async (args) =>
    (await client.listMemberChallenges(args)).map((c) => ({
      ...c,
      image_data: c.image_data == null ? c.image_data : image,
      image_options: c.image_options?.map((o) => ({
        ...o,
        data_uri: o.data_uri == null ? o.data_uri : dataUri,
      })),
    }))
  return new Proxy(client, {
    get(target, key) {
      if (key === 'listMemberChallenges') return listMemberChallenges
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
}
