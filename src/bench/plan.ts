/**
 * What one `conmap bench` run measures and for how long, by mode:
 *  - full (default): about 10 minutes on 2 cores; 100k and 1M keys, 1/2/4/8 workers.
 *  - quick: about a minute and a half; one round, 1/2 workers, 10k keys on one thread.
 *  - smoke: about half a minute; tiny sizes, every section present (for the CLI test).
 * Each section repeats its measurements in rounds and reports medians.
 */
export type Mode = 'full' | 'quick' | 'smoke'

export interface Plan {
  readonly mode: Mode
  /** Keys of the main comparisons (the 100k). */
  readonly keys: number
  /** The large key count, or 0 to skip it. */
  readonly largeKeys: number
  /** Keys of the seed-000 experiment (the seed's own figure) and of the objectbuffer rows. */
  readonly smallKeys: number
  /**
   * Keys are `keys` except in quick mode, which times single-thread passes over fewer;
   * `small` adds the passes at smallKeys (where objectbuffer can take part).
   */
  readonly singleThread: {
    readonly keys: number
    readonly rounds: number
    readonly largeRounds: number
    readonly opsPerPass: number
    /** Operations of warm-up passes before the measured ones (at most 1.5 s of them). */
    readonly warmupOps: number
    readonly small: boolean
  }
  /** Value kinds whose memory per entry is measured. */
  readonly memoryValues: readonly ('string' | 'object')[]
  readonly throughput: Timing
  readonly operations: Timing
  readonly seed: Timing
  readonly cache: CachePlan
  readonly guard: GuardPlan
  readonly contention: ContentionPlan
  readonly redis: RedisPlan
}

/** The Redis section (redis-section.ts): one window per contender and cell, per round. */
export interface RedisPlan {
  /** Keys of each contender's hash; every entry of callers divides it (no two tasks share a key). */
  readonly keys: number
  readonly callers: readonly number[]
  readonly rounds: number
  readonly windowMs: number
  readonly warmupMs: number
  /** redis-benchmark -n of each of its cells. */
  readonly benchmarkRequests: number
}

/** The contention pass (contention.ts): one window per strategy on a map with metrics: true. */
export interface ContentionPlan {
  readonly keys: number
  readonly workers: number
  readonly windowMs: number
  readonly warmupMs: number
  readonly maxWarmupMs: number
}

/** The guard section (guard-section.ts): one thread, costs as ratios within rounds. */
export interface GuardPlan {
  readonly keys: number
  readonly rounds: number
  readonly opsPerPass: number
  /** Timed passes of each operation, per variant and round. */
  readonly passes: number
}

/** The cache section (cache.ts): hit ratios need requests, not time; costs need rounds. */
export interface CachePlan {
  /** Key space of every trace; caches hold 1% and 10% of it. */
  readonly keys: number
  /** Requests of each one-thread trace. */
  readonly requests: number
  readonly workers: readonly number[]
  /** Requests of each worker's own stream in the cross-thread runs. */
  readonly requestsPerWorker: number
  readonly costKeys: number
  readonly costRounds: number
  /** Timed get and set passes over every key, per contender and round. */
  readonly costPasses: number
  /** The getOrComputeAsync duplicate-work runs, at each of `workers`. */
  readonly compute: ComputePlan
}

/** The duplicate-work runs (cache-compute.ts): counts of a fixed amount of work, not time. */
export interface ComputePlan {
  /** Key space of every worker's Zipf(alpha) stream. */
  readonly keys: number
  readonly alpha: number
  /** Entries of each cache, as a share of the key space. */
  readonly capacity: number
  readonly requestsPerWorker: number
  /** Concurrent async tasks per worker. */
  readonly tasks: number
  /** The simulated fetch of a miss, ms. */
  readonly delayMs: number
}

/**
 * A worker warms up for at least warmupMs, then until its rate settles within
 * maxWarmupMs (loops.ts warmUp: V8 needs ~200 ms to optimise the loops, longer when
 * every core is busy).
 */
export interface Timing {
  readonly rounds: number
  readonly workers: readonly number[]
  readonly windowMs: number
  readonly warmupMs: number
  readonly maxWarmupMs: number
}

/** Counts, not time: quick mode runs the full mode's. */
const COMPUTE: ComputePlan = { keys: 10_000, alpha: 0.8, capacity: 0.1, requestsPerWorker: 10_000, tasks: 64, delayMs: 2 }

export const PLANS: Readonly<Record<Mode, Plan>> = {
  full: {
    mode: 'full',
    keys: 100_000,
    largeKeys: 1_000_000,
    smallKeys: 1_000,
    singleThread: { keys: 100_000, rounds: 3, largeRounds: 3, opsPerPass: 100_000, warmupOps: 80_000, small: true },
    memoryValues: ['string', 'object'],
    throughput: { rounds: 3, workers: [1, 2, 4, 8], windowMs: 400, warmupMs: 100, maxWarmupMs: 2000 },
    operations: { rounds: 3, workers: [1, 2, 8], windowMs: 200, warmupMs: 80, maxWarmupMs: 2000 },
    seed: { rounds: 3, workers: [2, 4, 8], windowMs: 300, warmupMs: 80, maxWarmupMs: 2000 },
    cache: { keys: 100_000, requests: 1_000_000, workers: [1, 2, 4], requestsPerWorker: 500_000, costKeys: 100_000, costRounds: 5, costPasses: 5, compute: COMPUTE },
    guard: { keys: 1_000, rounds: 5, opsPerPass: 200_000, passes: 9 },
    contention: { keys: 100_000, workers: 4, windowMs: 1000, warmupMs: 100, maxWarmupMs: 1000 },
    redis: { keys: 4096, callers: [1, 16, 256], rounds: 4, windowMs: 250, warmupMs: 150, benchmarkRequests: 30_000 },
  },
  quick: {
    mode: 'quick',
    keys: 100_000,
    largeKeys: 0,
    smallKeys: 1_000,
    singleThread: { keys: 10_000, rounds: 3, largeRounds: 0, opsPerPass: 10_000, warmupOps: 20_000, small: false },
    memoryValues: ['string'],
    throughput: { rounds: 1, workers: [1, 2], windowMs: 150, warmupMs: 50, maxWarmupMs: 1000 },
    operations: { rounds: 1, workers: [2], windowMs: 80, warmupMs: 30, maxWarmupMs: 1000 },
    seed: { rounds: 1, workers: [4], windowMs: 150, warmupMs: 50, maxWarmupMs: 1000 },
    cache: { keys: 100_000, requests: 200_000, workers: [1, 2, 4], requestsPerWorker: 100_000, costKeys: 100_000, costRounds: 3, costPasses: 3, compute: COMPUTE },
    guard: { keys: 1_000, rounds: 3, opsPerPass: 100_000, passes: 7 },
    contention: { keys: 100_000, workers: 4, windowMs: 300, warmupMs: 50, maxWarmupMs: 500 },
    redis: { keys: 4096, callers: [1, 16, 256], rounds: 3, windowMs: 150, warmupMs: 100, benchmarkRequests: 20_000 },
  },
  smoke: {
    mode: 'smoke',
    keys: 2_000,
    largeKeys: 0,
    smallKeys: 200,
    singleThread: { keys: 2_000, rounds: 1, largeRounds: 0, opsPerPass: 2_000, warmupOps: 2_000, small: true },
    memoryValues: ['string'],
    throughput: { rounds: 1, workers: [1, 2], windowMs: 30, warmupMs: 10, maxWarmupMs: 40 },
    operations: { rounds: 1, workers: [2], windowMs: 20, warmupMs: 10, maxWarmupMs: 40 },
    seed: { rounds: 1, workers: [2], windowMs: 30, warmupMs: 10, maxWarmupMs: 40 },
    cache: { keys: 10_000, requests: 30_000, workers: [1, 2], requestsPerWorker: 20_000, costKeys: 10_000, costRounds: 1, costPasses: 2, compute: { ...COMPUTE, keys: 2_000, requestsPerWorker: 3_000, tasks: 32 } },
    guard: { keys: 200, rounds: 1, opsPerPass: 5_000, passes: 1 },
    contention: { keys: 2_000, workers: 2, windowMs: 60, warmupMs: 10, maxWarmupMs: 40 },
    redis: { keys: 1024, callers: [1, 16, 256], rounds: 1, windowMs: 40, warmupMs: 20, benchmarkRequests: 2_000 },
  },
}
