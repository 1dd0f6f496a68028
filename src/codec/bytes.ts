/**
 * The 'bytes' codec: Uint8Array values (Buffer included), stored as they are.
 *
 * encode returns a plain Uint8Array view of the caller's bytes, not a copy: the map copies them
 * into shared memory before user code runs again, so a second copy here would only cost time.
 * A plain view rather than the Buffer itself, because Buffer#slice does not copy.
 * decode returns a fresh Uint8Array over its own ArrayBuffer: never a view of shared memory, and
 * never a Buffer, whatever was stored.
 */
import { cannotEncode, type Codec } from './codec.js'

export const bytesCodec: Codec<Uint8Array> = {
  name: 'bytes',

  encode(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) throw cannotEncode('bytes', value, 'it stores Uint8Array and Buffer values only')
    return value.constructor === Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  },

  decode(bytes: Uint8Array): Uint8Array {
    return new Uint8Array(bytes)
  },
}
