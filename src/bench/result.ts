/**
 * The shape of one `conmap bench --json` document. Every figure that could not be
 * measured is null with an `error` or `note` saying why: a failed correctness
 * check never leaves a number behind.
 */
import type { Concurrency } from '../map/index.js'
import type { CostContender, CostOp, Trace } from './cache-loops.js'
import type { ContentionSection } from './contention.js'
import type { GuardOp, GuardVariant } from './guard-loops.js'
import type { KeyOrder } from './keys.js'
import type { Mode } from './plan.js'
import type { RedisSection } from './redis-result.js'

/** Who is measured: a plain Map, a SharedMap strategy, the postMessage baseline or a peer. */
export type ContenderId = 'map' | Concurrency | 'postmessage' | 'sharedmap' | 'lmdb' | 'objectbuffer'
export type ValueKind = 'string' | 'object'
export type Op = 'get' | 'set' | 'update' | 'delete'
/**
 * The single-thread passes: 'get-first' reads every key once, in a shuffled order
 * (the thread's first read of each key); 'get' and 'has' then read uniform keys and
 * 'get-zipf' Zipf(0.99) keys, every key having been read before (the steady state of
 * a long-lived reader). 'get' discards what it read (only `undefined` is checked);
 * 'get-used' reads the same keys and uses each value as a caller would, reading one
 * field of it (passes.ts says why both are measured).
 */
export type PassOp = 'set' | 'get-first' | 'get' | 'get-used' | 'get-zipf' | 'has' | 'update' | 'delete'

export interface Machine {
  readonly cores: number
  readonly cpuModel: string
  readonly node: string
  readonly v8: string
  readonly platform: string
  readonly totalMemoryGiB: number
  /** Cost of one performance.now() pair: the floor under every latency figure. */
  readonly timerFloorNs: number
}

export interface PeerInfo {
  readonly name: string
  readonly version: string | null
  readonly available: boolean
  /** What the peer cannot do, and so what it is not measured on. */
  readonly note: string
}

export interface Latency {
  readonly p50Ns: number | null
  readonly p99Ns: number | null
}

export interface SingleThreadRow {
  readonly contender: ContenderId
  readonly label: string
  readonly values: ValueKind
  readonly keys: number
  readonly op: PassOp
  readonly nsPerOp: number | null
  /** nsPerOp over Map's at the same keys and values: lower is better, 1 is Map. */
  readonly ratioToMap: number | null
  readonly samples: readonly number[]
  /** Why an operation the contender lacks, or cannot do correctly, was not measured. */
  readonly note?: string
  readonly error?: string
}

export interface MemoryRow {
  readonly contender: ContenderId
  readonly label: string
  readonly values: ValueKind
  readonly keys: number
  /** Shared or mapped memory the structure itself reports, per entry. */
  readonly sharedBytesPerEntry: number | null
  /** JS heap growth of the building thread per entry (after GC). */
  readonly heapBytesPerEntry: number | null
  /** Process RSS growth per entry (after GC): touched pages of every kind. */
  readonly rssBytesPerEntry: number | null
  readonly error?: string
}

/** A workload run by worker threads: a get/set mix, or one operation alone. */
export type Workload = { readonly kind: 'mix'; readonly readShare: number } | { readonly kind: 'op'; readonly op: Op }

export interface ThroughputRow {
  /** The group this row belongs to (one key count, value kind and workload). */
  readonly case: string
  readonly contender: ContenderId
  readonly label: string
  readonly workload: Workload
  readonly values: ValueKind
  readonly keys: number
  readonly keyOrder: KeyOrder
  readonly workers: number
  /** Median over rounds of the operations per second of all workers together. */
  readonly opsPerSec: number | null
  readonly samples: readonly number[]
  /** opsPerSec over a plain Map's on one thread, same workload: higher is better. */
  readonly ratioToMap: number | null
  /** opsPerSec over this contender's own at 1 worker; compare with the calibration. */
  readonly scalingVs1: number | null
  readonly latency: { readonly all: Latency; readonly read: Latency; readonly write: Latency }
  readonly error?: string
}

/** Pure arithmetic in N workers at once: the most scaling the machine gives right now. */
export interface CalibrationRow {
  readonly workers: number
  readonly opsPerSec: number
  /** opsPerSec over the 1-worker figure of the same section. */
  readonly scaling: number
  readonly samples: readonly number[]
}

export interface Section {
  readonly calibration: readonly CalibrationRow[]
  readonly rows: readonly ThroughputRow[]
}

export interface SeedComparison {
  readonly workers: number
  readonly qps: Readonly<Partial<Record<'rwmutex' | 'sharded' | 'optimistic', number | null>>>
  readonly p99Ms: Readonly<Partial<Record<'rwmutex' | 'sharded' | 'optimistic', number | null>>>
  /** sharded QPS over rwmutex QPS (the seed: 136,500 / 28,400 = 4.81x). */
  readonly shardedOverGlobalQps: number | null
  /** rwmutex P99 over sharded P99 (the seed: 12.7 / 2.1 = 6.05x). */
  readonly globalOverShardedP99: number | null
  readonly optimisticOverShardedQps: number | null
}

export interface Target {
  readonly id: string
  readonly name: string
  readonly target: string
  readonly reached: string
  readonly value: number | null
  readonly met: boolean
}

/** A cache-aside run: hits over requests (deterministic on one thread, seeded traces). */
export interface HitRatioRow {
  /** The group this row belongs to: one trace at one capacity. */
  readonly case: string
  readonly trace: Trace
  readonly capacity: number
  readonly requests: number
  readonly contender: string
  readonly label: string
  readonly hitRatio: number | null
  /** Entries the SharedMap evicted (stats().evictions); null for lru-cache. */
  readonly evictions: number | null
  readonly error?: string
}

export interface CrossThreadRow {
  readonly contender: 'shared-fifo' | 'shared-sieve' | 'private-lru' | 'private-lru-split'
  readonly label: string
  readonly workers: number
  /** Entries of each cache: the shared one, or each worker's own. */
  readonly capacity: number
  readonly requestsPerWorker: number
  /** Hits of all workers over requests of all workers. */
  readonly hitRatio: number | null
  readonly error?: string
}

/** A getOrComputeAsync duplicate-work run: counts over the whole run, all workers. */
export interface ComputeRow {
  readonly contender: 'shared-fifo' | 'shared-sieve' | 'shared-sieve-total' | 'private-lru'
  readonly label: string
  readonly workers: number
  /** Entries of each cache: the shared one, or each worker's own. */
  readonly capacity: number
  readonly requestsPerWorker: number
  /** Concurrent async tasks per worker, each taking the worker's next request. */
  readonly tasksPerWorker: number
  /** The simulated fetch of a miss: an async timer of this many ms. */
  readonly delayMs: number
  /** Keys requested at least once by any worker (the same for every contender at a worker count). */
  readonly distinctKeys: number
  /** Factory (fetchMethod) runs over the run, all workers. */
  readonly computations: number | null
  /** computations - distinctKeys: refills after eviction and duplicates. */
  readonly beyondOnePerKey: number | null
  /** Runs that began while another run of the same key was in flight in any thread. */
  readonly overlapping: number | null
  /** stats().joins of the shared map (callers that joined another thread's computation); null for lru-cache. */
  readonly joins: number | null
  /** computations over those of the lru-cache per worker at the same worker count. */
  readonly ratioToPrivate: number | null
  /** The slowest worker's time from the gate's release to its last answer: a side note, not a result. */
  readonly wallMs: number | null
  readonly error?: string
}

export interface CostRow {
  readonly contender: CostContender
  readonly label: string
  readonly keys: number
  /** Medians over rounds of the median pass, ns per operation. */
  readonly ns: Readonly<Record<CostOp, number | null>>
  /** Who the ratios are taken against (the plain SharedMap, or lru-cache without ttl). */
  readonly reference: CostContender
  /** Medians over rounds of this round's ns over the reference's in the same round. */
  readonly ratio: Readonly<Record<CostOp, number | null>>
  readonly samples: readonly Readonly<Record<CostOp, number>>[]
  readonly error?: string
}

export interface CacheSection {
  readonly lruCache: string | null
  readonly hitRatio: readonly HitRatioRow[]
  readonly crossThread: readonly CrossThreadRow[]
  readonly compute: readonly ComputeRow[]
  readonly cost: readonly CostRow[]
  readonly notes: readonly string[]
}

export interface GuardRow {
  readonly variant: GuardVariant
  readonly label: string
  readonly keys: number
  /** Medians over rounds of the median pass, ns per operation. */
  readonly ns: Readonly<Record<GuardOp, number | null>>
  /** Medians over rounds of this round's ns over the bare map's in the same round. */
  readonly ratio: Readonly<Record<GuardOp, number | null>>
  readonly samples: readonly Readonly<Record<GuardOp, number>>[]
  readonly error?: string
}

export interface GuardSection {
  readonly rows: readonly GuardRow[]
  readonly notes: readonly string[]
}

export interface BenchResult {
  readonly tool: 'conmap bench'
  readonly version: string
  readonly command: string
  readonly mode: Mode
  readonly startedAt: string
  readonly seconds: number
  readonly machine: Machine
  readonly peers: readonly PeerInfo[]
  readonly singleThread: { readonly rows: readonly SingleThreadRow[]; readonly memory: readonly MemoryRow[] }
  readonly throughput: Section
  readonly operations: Section
  readonly seed000: Section & {
    readonly seed: { readonly keys: 1000; readonly readShare: 0.9; readonly qps: { readonly rwmutex: 28_400; readonly sharded: 136_500 }; readonly p99Ms: { readonly rwmutex: 12.7; readonly sharded: 2.1 } }
    readonly comparison: readonly SeedComparison[]
  }
  readonly cache: CacheSection
  readonly guard: GuardSection
  /** Lock-wait percentiles and hot keys, from a pass on maps with metrics: true. */
  readonly contention: ContentionSection
  /** RedisMap against raw node-redis and redis-benchmark on one server (skipped without redis-server). */
  readonly redis: RedisSection
  readonly notes: readonly string[]
  /** False when any measurement failed its correctness checks (the command exits 1). */
  readonly ok: boolean
}

/** `conmap bench --only cache --json`: the cache section alone. */
export type CacheBenchResult = Pick<BenchResult, 'version' | 'command' | 'mode' | 'startedAt' | 'seconds' | 'machine' | 'cache' | 'ok'> & { readonly tool: 'conmap bench cache' }

/** `conmap bench --only guard --json`: the guard section alone. */
export type GuardBenchResult = Pick<BenchResult, 'version' | 'command' | 'mode' | 'startedAt' | 'seconds' | 'machine' | 'guard' | 'ok'> & { readonly tool: 'conmap bench guard' }
