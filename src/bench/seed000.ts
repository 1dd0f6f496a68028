/**
 * Seed 000, chapter 4.1: one global sync.RWMutex against 16 sharded RW locks, 1,000
 * keys, 90% reads. The seed reports 28,400 vs 136,500 QPS and P99 12.7 ms vs 2.1 ms.
 * conmap reruns it with 'rwmutex', 'sharded' (16 shards) and 'optimistic'; absolute
 * QPS of Go on the seed's machine and of JS here do not compare, the ratios do.
 */
import type { SeedComparison, ThroughputRow } from './result.js'

export const SEED_000 = {
  keys: 1000,
  readShare: 0.9,
  qps: { rwmutex: 28_400, sharded: 136_500 },
  p99Ms: { rwmutex: 12.7, sharded: 2.1 },
} as const

type Strategy = 'rwmutex' | 'sharded' | 'optimistic'
const COMPARED: readonly Strategy[] = ['rwmutex', 'sharded', 'optimistic']

export function compareWithSeed(rows: readonly ThroughputRow[], workerCounts: readonly number[]): SeedComparison[] {
  return workerCounts.map((workers) => {
    const row = (strategy: Strategy) => rows.find((r) => r.contender === strategy && r.workers === workers)
    const qps = Object.fromEntries(COMPARED.map((s) => [s, row(s)?.opsPerSec ?? null])) as Record<Strategy, number | null>
    const p99Ms = Object.fromEntries(COMPARED.map((s) => [s, nsToMs(row(s)?.latency.all.p99Ns ?? null)])) as Record<Strategy, number | null>
    return {
      workers,
      qps,
      p99Ms,
      shardedOverGlobalQps: ratio(qps.sharded, qps.rwmutex),
      globalOverShardedP99: ratio(p99Ms.rwmutex, p99Ms.sharded),
      optimisticOverShardedQps: ratio(qps.optimistic, qps.sharded),
    }
  })
}

function nsToMs(ns: number | null): number | null {
  return ns === null ? null : ns / 1e6
}

function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b
}
