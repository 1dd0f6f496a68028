/**
 * Canonical float64 bits, shared by number keys (key.ts) and the 'number' value codec.
 *
 * One 8-byte scratch seen three ways: a Float64Array, two uint32 words and eight bytes. Every NaN
 * is written as the single quiet NaN 0x7ff8000000000000: JavaScript cannot tell NaNs apart, but
 * their bytes can differ (a NaN read out of a typed array keeps its payload), and bytes that differ
 * would make equal keys unequal and compareAndSwap(k, NaN, …) miss. -0 is kept here; number keys
 * fold it into 0 themselves because Map does.
 *
 * Words and bytes are in the platform's byte order. That is safe because they never leave the
 * process: every thread that shares the memory runs on the same CPU.
 */
const float = new Float64Array(1)

/** The scratch as two uint32 words; valid until the next setFloat64. */
export const float64Words = new Uint32Array(float.buffer)

/** The scratch as eight bytes; valid until the next setFloat64. */
export const float64Bytes = new Uint8Array(float.buffer)

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const NAN_HIGH_WORD = 0x7ff80000
const nanHighIndex = littleEndian ? 1 : 0

/** Writes value into the scratch, with NaN canonicalised. */
export function setFloat64(value: number): void {
  if (value === value) {
    float[0] = value
  } else {
    float64Words[nanHighIndex] = NAN_HIGH_WORD
    float64Words[1 - nanHighIndex] = 0
  }
}

/** The number whose bits are in the scratch (after writing float64Words or float64Bytes). */
export function getFloat64(): number {
  return float[0]!
}
