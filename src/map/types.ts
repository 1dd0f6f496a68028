/** The public shapes of SharedMap: its options, handle, statistics and results. */
import type { Handle, Kind } from '../shared/handle.js'
import type { CodecOption } from '../codec/index.js'
import type { Concurrency, EvictionPolicy } from './layout.js'

export interface SharedMapOptions {
  /** How threads are kept apart (default 'optimistic'); fixed for the map's life. */
  readonly concurrency?: Concurrency
  /**
   * A power of two from 1 to 1024. Default 64 on every machine, fewer when maxBytes is
   * small: halved while the shards and their smallest tables would take more than an
   * eighth of maxBytes (1 shard at 4 KiB, 16 at 64 KiB, 64 from 256 KiB).
   */
  readonly shards?: number
  /**
   * Entries to make room for up front. Default 1024, or fewer when maxBytes is small,
   * so that the first tables take at most a quarter of it.
   */
  readonly initialCapacity?: number
  /** Ceiling of the map's shared memory in bytes (default 1 GiB, at most 4 GiB - 64 KiB). */
  readonly maxBytes?: number
  /** How values are stored (default 'structured', msgpackr). */
  readonly codec?: CodecOption
  /** Threads that may hold one RWLock's read side at once ('sharded', 'rwmutex'; default 64). */
  readonly readerSlots?: number
  /** This thread's read cache, in entries (see AttachOptions.readCache). */
  readonly readCache?: number
  /** Whether this thread may be the cache map's sweeper (see AttachOptions.sweeper). */
  readonly sweeper?: boolean
  /**
   * Default time to live of an entry in ms (Infinity: entries never expire unless
   * given a ttl of their own). A map made with ttl or maxEntries is a cache map: its
   * entries can have a ttl (EntryOptions), and it is swept in the background.
   */
  readonly ttl?: number
  /** Bound on live entries: inserting past it evicts an entry (expired ones first), never throws. */
  readonly maxEntries?: number
  /**
   * Which entry a bound evicts (needs maxEntries). 'fifo' (default): the least
   * recently written; readers write nothing. 'sieve': SIEVE, which spares entries
   * read since the policy last passed them; a read sets the entry's reference bit
   * (one compareExchange in shared memory, the first time after each pass).
   */
  readonly eviction?: EvictionPolicy
}

/** Options of one write to a cache map. */
export interface EntryOptions {
  /** Time to live of this entry in ms, from now (Infinity: never expires); default: the map's ttl. */
  readonly ttl?: number
}

export interface AttachOptions {
  /** The map's codec again: required for a user codec, optional for built-in ones. */
  readonly codec?: CodecOption
  /**
   * Entries of this thread's read cache ('optimistic' only; default 131072, 0: none):
   * values get() decoded, each hit validated by one or two Atomics.loads
   * (read-cache.ts). Object values read through it are deeply frozen and shared by
   * this thread's callers. Memory: about 120 bytes of heap per entry besides the value.
   */
  readonly readCache?: number
  /**
   * Whether this thread may be elected the cache map's sweeper (default true): false
   * keeps the bounded sweeping work off a latency-sensitive thread. Some thread with
   * the map should leave it on, or expired entries wait for writers and sweep().
   */
  readonly sweeper?: boolean
}

export interface SharedMapHandle extends Handle<typeof Kind.SharedMap> {
  readonly concurrency: Concurrency
  readonly codec: string
}

export interface ShardStats {
  readonly size: number
  readonly capacity: number
  readonly tombstones: number
  readonly resizing: boolean
  readonly resizes: number
  /** Longest probe sequence in the shard's table (1 = every key in its home slot). */
  readonly longestProbe: number
}

export interface SharedMapStats {
  readonly concurrency: Concurrency
  readonly shards: number
  readonly size: number
  readonly capacity: number
  /** size / capacity over all shards. */
  readonly load: number
  readonly tombstones: number
  readonly resizes: number
  readonly resizing: number
  /** Longest probe sequence of any shard: stays small under hash flooding (seeded hashing). */
  readonly longestProbe: number
  readonly bytes: { readonly used: number; readonly reserved: number; readonly max: number; readonly free: number }
  /** Shard repairs after a thread died holding a shard (or the map-wide lock). */
  readonly recoveries: number
  /** Validation retries of this thread's optimistic reads (a measure of read/write contention). */
  readonly optimisticRetries: number
  /** This thread's read cache (zeros when it has none). */
  readonly readCache: { readonly entries: number; readonly capacity: number; readonly hits: number; readonly misses: number }
  /** Expired entries removed (by writers that met them, the sweeper, sweep()), by all threads. */
  readonly expirations: number
  /** Entries removed to keep maxEntries or maxBytes, by all threads. */
  readonly evictions: number
  /** Sweeps run: sweeper ticks and sweep() calls, by all threads. */
  readonly sweeps: number
  /** getOrComputeAsync() attempts started (including take-overs), by all threads. */
  readonly computations: number
  /** getOrComputeAsync() calls of other threads that waited for an attempt instead of computing. */
  readonly joins: number
  /** The thread elected to sweep (its threadId), or undefined when none is. */
  readonly sweeper: number | undefined
  readonly perShard: readonly ShardStats[]
}

export interface LoadResult<V> {
  readonly value: V | undefined
  readonly loaded: boolean
}

export interface SwapResult<V> {
  readonly previous: V | undefined
  readonly loaded: boolean
}
