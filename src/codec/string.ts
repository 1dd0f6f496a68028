/**
 * The 'string' codec: string values only, stored as UTF-8.
 *
 * UTF-8 cannot hold an unpaired surrogate (an encoder would put U+FFFD in its place), so such a
 * string is rejected with ERR_INVALID_VALUE rather than stored altered; 'structured' or 'json'
 * keep it. The decoder keeps a leading U+FEFF (ignoreBOM), which is part of the value.
 * A SharedMap with this codec stores strings natively as UTF-16 (map/values.ts) and does not
 * call it: there every string round-trips, lone surrogates included.
 */
import { cannotEncode, type Codec } from './codec.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { ignoreBOM: true })

export const stringCodec: Codec<string> = {
  name: 'string',

  encode(value: string): Uint8Array {
    if (typeof value !== 'string') throw cannotEncode('string', value, 'it stores strings only')
    if (!value.isWellFormed()) {
      throw cannotEncode('string', value, 'it has an unpaired surrogate, which UTF-8 cannot represent')
    }
    return encoder.encode(value)
  },

  decode(bytes: Uint8Array): string {
    return decoder.decode(bytes)
  },
}
