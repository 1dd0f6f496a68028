/**
 * The 'json' codec: JSON.stringify, stored as UTF-8; decode is JSON.parse.
 *
 * It keeps JSON's semantics inside a value (an undefined or function property is left out, one in
 * an array becomes null, NaN becomes null, a Date becomes its ISO string) and rejects, with
 * ERR_INVALID_VALUE, what JSON cannot hold at all: a top-level undefined, function or symbol
 * (JSON.stringify returns undefined for them; so `map.set(k, undefined)` throws under this codec),
 * bigints anywhere, cycles, and values whose toJSON throws.
 *
 * JSON text escapes lone surrogates, so every string round-trips. The decoder keeps a leading
 * U+FEFF (ignoreBOM), which is text here, not a byte order mark.
 */
import { isConmapError } from '../errors/index.js'
import { cannotDecode, cannotEncode, reasonOf, type Codec } from './codec.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { ignoreBOM: true })

export const jsonCodec: Codec<unknown> = {
  name: 'json',

  encode(value: unknown): Uint8Array {
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    } catch (err) {
      throw isConmapError(err) ? err : cannotEncode('json', value, reasonOf(err), err)
    }
    if (text === undefined) throw cannotEncode('json', value, 'JSON has no representation for it')
    return encoder.encode(text)
  },

  decode(bytes: Uint8Array): unknown {
    try {
      return JSON.parse(decoder.decode(bytes)) as unknown
    } catch (err) {
      throw cannotDecode('json', bytes, reasonOf(err), err)
    }
  },
}
