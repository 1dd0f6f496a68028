/**
 * The 'structured' codec, the default: MessagePack through msgpackr, with its structured-clone
 * extensions.
 *
 * What round-trips: objects, arrays, strings, numbers (NaN, ±Infinity), booleans, null, undefined
 * (top-level too: `map.set(k, undefined)` stores it, and get returns it, as Map does), bigints of
 * any size, Date (invalid ones included), Map (any keys), Set, RegExp, ArrayBuffer, DataView,
 * every typed array, Error (its name, message and cause), and cycles and shared references inside
 * one value. Array holes come back as undefined, a Buffer as a Uint8Array, and subclasses of
 * Array, Set, Date and Error as the base class. Instances of other classes, Map subclasses among
 * them, are stored as plain objects of their own enumerable properties (or of their toJSON()).
 *
 * Rejected with ERR_INVALID_VALUE (cause attached): functions anywhere in the value (msgpackr would
 * silently store undefined), symbols, and anything whose getters or toJSON throw.
 *
 * Known differences from structuredClone, all msgpackr's:
 *  - -0 is stored as 0 (in typed arrays it is kept);
 *  - a string with an unpaired surrogate comes back with U+FFFD characters in its place;
 *  - an own property named "__proto__" comes back as "__proto_" (msgpackr's guard against
 *    prototype pollution);
 *  - only when msgpackr's native addon is unavailable (or MSGPACKR_NATIVE_ACCELERATION_DISABLED
 *    is set): a string of more than 64 UTF-8 bytes that starts with U+FEFF loses that character,
 *    because msgpackr's JavaScript path decodes it with a default TextDecoder, which strips a BOM.
 *
 * Options, and why:
 *  - structuredClone: cycles and shared references. moreTypes (Map, Set, Error, RegExp, typed
 *    arrays, bigints beyond 64 bits) would follow from it; it is spelled out because we rely on it.
 *  - records stay on (msgpackr's default) with neither `structures` nor `sequential`, so every
 *    encoding carries its own record definitions: any thread's Packr decodes any value, and equal
 *    values give equal bytes whatever the Packr encoded before. With `useRecords: false` objects
 *    and Maps both become MessagePack maps and one of them cannot come back.
 *  - copyBuffers: binary data is copied out of the source instead of viewed.
 *  - writeFunction: throw instead of storing undefined for a function.
 */
import { isNativeAccelerationEnabled, Packr } from 'msgpackr'
import { isConmapError } from '../errors/index.js'
import { cannotDecode, cannotEncode, reasonOf, type Codec } from './codec.js'

const packr = new Packr({
  structuredClone: true,
  moreTypes: true,
  copyBuffers: true,
  writeFunction: () => {
    throw new TypeError('functions cannot be stored')
  },
})

export const structuredCodec: Codec<unknown> = {
  name: 'structured',

  encode(value: unknown): Uint8Array {
    try {
      // pack returns a view of msgpackr's write buffer; msgpackr never writes that range again.
      return packr.pack(value)
    } catch (err) {
      throw isConmapError(err) ? err : cannotEncode('structured', value, reasonOf(err), err)
    }
  },

  decode(bytes: Uint8Array): unknown {
    try {
      return packr.unpack(decodable(bytes))
    } catch (err) {
      throw cannotDecode('structured', bytes, reasonOf(err), err)
    }
  },
}

/**
 * The source msgpackr should read. msgpackr's native string extractor refuses a SharedArrayBuffer
 * and msgpackr falls back after catching that error, on every call: about five times slower than
 * copying first, and the fallback has the BOM flaw described above. A Buffer source would make
 * binary values decode as Buffer, so other views are re-viewed as plain Uint8Array.
 */
function decodable(bytes: Uint8Array): Uint8Array {
  if (isNativeAccelerationEnabled && bytes.buffer instanceof SharedArrayBuffer) return new Uint8Array(bytes)
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
