/** The public shapes of a map's metrics: options, the figures, hot keys. */
import type { Key } from '../codec/index.js'

/** SharedMapOptions.metrics as an object; `metrics: true` takes every default. */
export interface MetricsOptions {
  /**
   * Threads that get a row of counters of their own, 1 to 4096. A dead thread's row
   * passes to the next thread with its counts kept; threads past this many at once
   * share one overflow row, where concurrent increments can be lost (counted in
   * `MapMetrics.overflowThreads`).
   * @default 64
   */
  readonly threads?: number | undefined
  /**
   * Buckets of each of the two arrays of a thread's hot-key summary, 0 to 4096 (0: no
   * hot keys, and no sampling); 16 bytes of shared memory each per thread row.
   * @default 64
   */
  readonly hotKeys?: number | undefined
  /**
   * One keyed call in this many, on average, is sampled for hot keys, 1 to 65536: a
   * sample hashes its key, the most a recorded call costs, so lower costs more.
   * @default 32
   */
  readonly sample?: number | undefined
}

/** One method's calls, summed over every thread. */
export interface OpMetrics {
  /** Calls that returned (or resolved). */
  readonly ok: number
  /** Of those, the ones that found the key (get, has, delete, loadOrStore, swap, ttlOf, touch, …). */
  readonly hits: number
  /** Of those, the ones that found no key, or whose compare-and-swap condition failed. */
  readonly misses: number
  /** Calls that threw (or rejected), by error code; 'error' for errors that are no ConmapError. */
  readonly errors: Readonly<Record<string, number>>
}

/** Lock waits of one mode: a histogram in seconds. */
export interface LockWaitHistogram {
  /** Upper bounds of the buckets in seconds: 1 µs, 2 µs, 4 µs, … ~1.05 s (then +Inf). */
  readonly bounds: readonly number[]
  /** Acquisitions per bucket, not cumulative; one more entry than bounds (the +Inf bucket). */
  readonly counts: readonly number[]
  /** Acquisitions (an acquisition that did not wait is in the first bucket). */
  readonly count: number
  /** Seconds waited in all. */
  readonly sum: number
}

/**
 * What `map.metrics()` returns: counters summed over every thread that ever used the
 * map (threads that exited included), and figures of the map itself.
 */
export interface MapMetrics {
  /** Per method name ('get', 'set', …): methods never called have zeros. */
  readonly ops: Readonly<Record<string, OpMetrics>>
  /** Lock acquisitions by mode: 'read' (shared) and 'write' (exclusive; 'mutex' reads too). */
  readonly lockWaits: { readonly read: LockWaitHistogram; readonly write: LockWaitHistogram }
  /** Calls that gave up waiting for a lock (ERR_LOCK_TIMEOUT), all methods. */
  readonly lockTimeouts: number
  /** Optimistic reads (and iterations) that had to read again because a writer moved their shard. */
  readonly optimisticRetries: number
  /** Shards repaired after a thread died holding them (map.stats().recoveries). */
  readonly recoveries: number
  /** Table resizes started, all shards (map.stats().resizes). */
  readonly resizes: number
  readonly entries: number
  /** Shared memory: bytes allocated (used), in the buffer (reserved), and its ceiling (max). */
  readonly bytes: { readonly used: number; readonly reserved: number; readonly max: number }
  /** Keyed calls sampled for hot keys. */
  readonly sampledCalls: number
  /** Threads that found no row of their own and shared the overflow row. */
  readonly overflowThreads: number
  /** Errors past the error table of a thread's row, not attributed to a method. */
  readonly untrackedErrors: number
}

/** One entry of `map.hotKeys(n)`. */
export interface HotKey<K extends Key = Key> {
  readonly key: K
  /** Estimated calls on the key, all threads: sampled count scaled by the sample period. */
  readonly count: number
}
