/**
 * Byte equality of two encodings: how compareAndSwap and compareAndDelete compare values.
 * Either side may be a view of shared memory. Short inputs compare in a JavaScript loop; from
 * LONG_INPUT bytes on, Buffer.compare's native memcmp wins over its call overhead (measured with
 * bench/codec.bench.ts: the two cross between 32 and 64 bytes on Node 20).
 */
const LONG_INPUT = 48

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  const length = a.length
  if (length !== b.length) return false
  if (length >= LONG_INPUT) return Buffer.compare(a, b) === 0
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return false
  }
  return true
}
