/**
 * Latency histograms with a fixed layout, so that workers can keep them in shared
 * memory (they survive a kill) and the parent can merge them by adding buckets.
 *
 * Log-linear buckets over nanoseconds, like HdrHistogram with five significant
 * bits: values below 64 ns get a bucket each, then every power of two is split in
 * 32 buckets, so a reported percentile is within about 3% of the true one. Values
 * from 2^31 ns (2.1 s) up share the last bucket; the exact maximum is kept apart.
 */

const LINEAR = 64
const SUB_BITS = 5
const SUB = 1 << SUB_BITS
const MAX_NS = 0x7fffffff

export const BUCKETS = LINEAR + (31 - (SUB_BITS + 1)) * SUB

export function bucketOf(ns: number): number {
  const v = ns >= MAX_NS ? MAX_NS : ns <= 0 ? 0 : Math.floor(ns)
  if (v < LINEAR) return v
  const exponent = 31 - Math.clz32(v)
  const mantissa = v >>> (exponent - SUB_BITS)
  return LINEAR + (exponent - SUB_BITS - 1) * SUB + (mantissa - SUB)
}

/** The middle of a bucket's range, in ns. */
export function bucketMiddle(bucket: number): number {
  if (bucket < LINEAR) return bucket
  const exponent = Math.floor((bucket - LINEAR) / SUB) + SUB_BITS + 1
  const mantissa = ((bucket - LINEAR) % SUB) + SUB
  const width = 2 ** (exponent - SUB_BITS)
  return mantissa * width + width / 2
}

/** Percentiles (fractions in [0, 1]) of the histogram at hist[offset, offset + BUCKETS), in ns. */
export function percentiles(hist: ArrayLike<number>, offset: number, fractions: readonly number[]): number[] {
  let total = 0
  for (let b = 0; b < BUCKETS; b++) total += hist[offset + b] ?? 0
  if (total === 0) return fractions.map(() => 0)
  return fractions.map((fraction) => {
    const rank = Math.max(1, Math.ceil(fraction * total))
    let seen = 0
    for (let b = 0; b < BUCKETS; b++) {
      seen += hist[offset + b] ?? 0
      if (seen >= rank) return bucketMiddle(b)
    }
    return bucketMiddle(BUCKETS - 1)
  })
}
