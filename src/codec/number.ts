/**
 * The 'number' codec: number values only, stored as their 8 float64 bytes in the platform's
 * order (float64.ts). Lossless: -0 stays -0; NaNs are stored as one canonical NaN so that
 * compareAndSwap(k, NaN, …) matches any stored NaN.
 */
import { cannotDecode, cannotEncode, type Codec } from './codec.js'
import { float64Bytes, getFloat64, setFloat64 } from './float64.js'

export const numberCodec: Codec<number> = {
  name: 'number',

  encode(value: number): Uint8Array {
    if (typeof value !== 'number') throw cannotEncode('number', value, 'it stores numbers only')
    setFloat64(value)
    return float64Bytes.slice()
  },

  decode(bytes: Uint8Array): number {
    if (bytes.length !== 8) throw cannotDecode('number', bytes, 'a number is 8 bytes')
    float64Bytes.set(bytes)
    return getFloat64()
  },
}
