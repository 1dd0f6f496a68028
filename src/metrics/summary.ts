/**
 * Lock-wait percentiles from a map's histogram (map.metrics().lockWaits), for the
 * reports of `conmap storm` and `conmap bench`. A percentile is the upper bound of
 * the log bucket it falls in (1 µs, 2 µs, 4 µs, …), so it over-states by at most ×2:
 * enough to tell 2 µs from 2 ms, which is what a contention report is for.
 */
import type { LockWaitHistogram, MapMetrics } from './types.js'

/** Lock acquisitions of one mode and their wait percentiles, in µs. */
export interface LockWaitSummary {
  /** Acquisitions. */
  readonly count: number
  /** Of those, the ones that had to wait (past the first bucket, 1 µs). */
  readonly waited: number
  /** Mean wait over all acquisitions, µs. */
  readonly mean: number
  /** Upper bound of the bucket of each percentile, µs; Infinity past the last bound (~1 s). */
  readonly p50: number
  readonly p99: number
  readonly p999: number
}

export function lockWaitSummary(h: LockWaitHistogram): LockWaitSummary {
  const waited = h.count - (h.counts[0] ?? 0)
  return { count: h.count, waited, mean: h.count === 0 ? 0 : (h.sum / h.count) * 1e6, p50: quantile(h, 0.5), p99: quantile(h, 0.99), p999: quantile(h, 0.999) }
}

/** Both modes of a map's reading. */
export function lockWaitSummaries(m: MapMetrics): { readonly read: LockWaitSummary; readonly write: LockWaitSummary } {
  return { read: lockWaitSummary(m.lockWaits.read), write: lockWaitSummary(m.lockWaits.write) }
}

function quantile(h: LockWaitHistogram, q: number): number {
  if (h.count === 0) return 0
  const rank = Math.ceil(q * h.count)
  let seen = 0
  for (let bucket = 0; bucket < h.counts.length; bucket++) {
    seen += h.counts[bucket] ?? 0
    if (seen >= rank) return bucket < h.bounds.length ? (h.bounds[bucket] as number) * 1e6 : Infinity
  }
  return Infinity
}
