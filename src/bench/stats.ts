/**
 * Small statistics for the benchmark: medians of repeated rounds, and latency
 * histograms with logarithmic buckets (16 per power of two, so a percentile is
 * within ~4.4% of the true value) that workers fill cheaply and the main thread
 * merges.
 */

const PER_OCTAVE = 16
const BUCKETS = 48 * PER_OCTAVE

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export function newHistogram(): Uint32Array {
  return new Uint32Array(BUCKETS)
}

/** Counts one latency, in nanoseconds. */
export function record(histogram: Uint32Array, ns: number): void {
  const bucket = ns < 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log2(ns) * PER_OCTAVE))
  histogram[bucket] = (histogram[bucket] ?? 0) + 1
}

export function merge(into: Uint32Array, from: ArrayLike<number>): void {
  for (let i = 0; i < BUCKETS; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0)
}

export function count(histogram: ArrayLike<number>): number {
  let total = 0
  for (let i = 0; i < histogram.length; i++) total += histogram[i] ?? 0
  return total
}

/** The q-quantile (0..1) in nanoseconds, or null for an empty histogram. */
export function percentile(histogram: ArrayLike<number>, q: number): number | null {
  const total = count(histogram)
  if (total === 0) return null
  const rank = Math.max(1, Math.ceil(q * total))
  let seen = 0
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i] ?? 0
    if (seen >= rank) return 2 ** ((i + 0.5) / PER_OCTAVE)
  }
  return null
}
