/** The public shapes of SharedMap: its options, handle, statistics and results. */
import type { Handle, Kind } from '../shared/handle.js'
import type { Codec, CodecOption, Key } from '../codec/index.js'
import type { Concurrency, EvictionPolicy } from './layout.js'
import type { MetricsOptions } from '../metrics/types.js'

/** The built-in codecs that store one type of value, and that type. */
export interface TypedCodecs {
  readonly string: string
  readonly number: number
  readonly bytes: Uint8Array
}

/**
 * The codec options that can store values of type V: 'structured', 'json' and a
 * user codec of V always; 'string' and 'number' when V is a string or number type;
 * 'bytes' when V is Uint8Array (its decode gives a plain Uint8Array, never a Buffer).
 * An untyped map (V unknown or any) takes every codec.
 */
export type CodecFor<V> = unknown extends V
  ? CodecOption
  : 'structured' | 'json' | Codec<V> | ([V] extends [string] ? 'string' : never) | ([V] extends [number] ? 'number' : never) | ([V] extends [Uint8Array] ? ([Uint8Array] extends [V] ? 'bytes' : never) : never)

/**
 * Options of `new SharedMap(options)`. V is the map's value type: the codec must be
 * able to store it (CodecFor). Every option is fixed for the map's life except
 * readCache and sweeper, which are this thread's own (AttachOptions).
 */
export interface SharedMapOptions<V = unknown> {
  /**
   * How threads are kept apart; fixed for the map's life. 'optimistic': readers take
   * no lock and write nothing, writers lock a shard; 'sharded': a read-write lock per
   * shard; 'rwmutex' / 'mutex': one lock for the map; 'none': no locks, misuse across
   * threads detected (ERR_CONCURRENT_MAP_WRITES and kin) and the map poisoned.
   * @default 'optimistic'
   */
  readonly concurrency?: Concurrency | undefined
  /**
   * Independent tables the keys are spread over: a power of two from 1 to 1024. The
   * default is the same on every machine; a small maxBytes halves it while the shards
   * and their smallest tables would take more than an eighth of maxBytes (1 shard at
   * 4 KiB, 16 at 64 KiB, 64 from 256 KiB, for 'optimistic').
   * @default 64
   */
  readonly shards?: number | undefined
  /**
   * Entries to make room for up front: a non-negative integer. Left out, fewer in a
   * small map, so that the first tables take at most a quarter of maxBytes.
   * @default 1024
   */
  readonly initialCapacity?: number | undefined
  /**
   * Ceiling of the map's shared memory in bytes, an integer from 4096 to 4 GiB - 64 KiB.
   * A write that needs more throws ERR_MAP_FULL (a bounded cache evicts instead).
   * @default 1 GiB
   */
  readonly maxBytes?: number | undefined
  /**
   * How values are stored: 'structured' (msgpackr: objects, arrays, Date, Map, Set,
   * bigint, typed arrays), 'json', 'string', 'number', 'bytes' (Uint8Array), or a
   * user codec `{ name, encode, decode }`. It must store V (CodecFor); it also
   * decides the value type `new SharedMap({ codec })` infers.
   * @default 'structured'
   */
  readonly codec?: CodecFor<V> | undefined
  /**
   * Threads that may hold one read lock at once ('sharded', 'rwmutex'), 1 to 65536.
   * @default 64
   */
  readonly readerSlots?: number | undefined
  /**
   * This thread's read cache, in entries (see AttachOptions.readCache).
   * @default 131072
   */
  readonly readCache?: number | undefined
  /**
   * Whether this thread may be the cache map's sweeper (see AttachOptions.sweeper).
   * @default true
   */
  readonly sweeper?: boolean | undefined
  /**
   * This thread's bound on each lock wait (see AttachOptions.lockTimeout).
   * @default 10000
   */
  readonly lockTimeout?: number | undefined
  /**
   * Default time to live of an entry in ms (Infinity: entries never expire unless
   * given a ttl of their own). A map made with ttl or maxEntries is a cache map: its
   * entries can have a ttl (EntryOptions), and it is swept in the background.
   * @default none: the map is no cache map unless maxEntries is given
   */
  readonly ttl?: number | undefined
  /**
   * Bound on live entries, an integer from 1 to 2^31: inserting past it evicts an
   * entry (expired ones first), never throws.
   * @default none (unbounded)
   */
  readonly maxEntries?: number | undefined
  /**
   * Which entry a bound evicts (needs maxEntries). 'fifo': the least recently
   * written; readers write nothing. 'sieve': SIEVE, which spares entries read since
   * the policy last passed them; a read sets the entry's reference bit (one
   * compareExchange in shared memory, the first time after each pass).
   * @default 'fifo'
   */
  readonly eviction?: EvictionPolicy | undefined
  /**
   * Counters of every thread's calls, lock waits and hot keys in the map's shared
   * memory (`map.metrics()`, `map.hotKeys(n)`); true for the defaults of MetricsOptions.
   * Off, the map records nothing and pays nothing for it. On, its calls and lock waits
   * are also published on node:diagnostics_channel while subscribed (OP_CHANNEL,
   * LOCK_WAIT_CHANNEL).
   * @default false
   */
  readonly metrics?: boolean | MetricsOptions | undefined
}

/** Options of one write to a cache map. */
export interface EntryOptions {
  /**
   * Time to live of this entry in ms, from now (Infinity: never expires). Only on a
   * cache map (ERR_INVALID_ARGUMENT otherwise).
   * @default the map's ttl
   */
  readonly ttl?: number | undefined
}

/** Options of `SharedMap.attach(handle, options)`: this thread's view of the map. */
export interface AttachOptions<V = unknown> {
  /**
   * The map's codec again: required for a user codec (by the same name), optional
   * for built-in ones; a different codec is ERR_INVALID_ARGUMENT.
   * @default the built-in codec the map was created with
   */
  readonly codec?: CodecFor<V> | undefined
  /**
   * Entries of this thread's read cache ('optimistic' only; 0: none): values get()
   * decoded, each hit validated by one or two Atomics.loads (read-cache.ts). Object
   * values read through it are deeply frozen and shared by this thread's callers.
   * Memory: about 120 bytes of heap per entry besides the value.
   * @default 131072
   */
  readonly readCache?: number | undefined
  /**
   * Whether this thread may be elected the cache map's sweeper: false keeps the
   * bounded sweeping work off a latency-sensitive thread. Some thread with the map
   * should leave it on, or expired entries wait for writers and sweep().
   * @default true
   */
  readonly sweeper?: boolean | undefined
  /**
   * How long, in ms, a call on this thread waits for one shard lock (Infinity: no
   * bound) before it throws ERR_LOCK_TIMEOUT, which names the holder's threadId and
   * whether it is alive, dead or unknown (not answering). A timed-out call changes
   * nothing (clear() keeps the shards it cleared before the one it timed out on).
   * Threads that die holding a lock are found without it (exit hooks, beacons,
   * watch()): the bound is for a live holder stuck in a long update/getOrCompute
   * callback.
   * @default 10000
   */
  readonly lockTimeout?: number | undefined
}

declare const entryTypes: unique symbol

/**
 * What `map.handle` is: a plain, structured-cloneable record of the map's memory,
 * to send to other threads (workerData, postMessage) and `SharedMap.attach` there.
 * K and V are the map's key and value types, carried so that attach() gives a
 * `SharedMap<K, V>` and refuses to attach it as a map of unrelated types. They
 * exist only for the compiler: a handle received untyped (`SharedMapHandle`, or
 * from `any` workerData) attaches as whatever types the caller names.
 */
export interface SharedMapHandle<K extends Key = Key, V = unknown> extends Handle<typeof Kind.SharedMap> {
  readonly concurrency: Concurrency
  /** The codec's id: 'builtin:<name>' or 'custom:<name>'. */
  readonly codec: string
  /**
   * Never present. A method, so that its parameters compare both ways: a handle of
   * string keys passes for one of Key (a supertype) and back, not for one of number.
   */
  [entryTypes]?(key: K, value: V): void
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

/**
 * What `loadAndDelete()` returns: `loaded` tells whether the key was present, and
 * narrows `value` to V (it was) or undefined (it was not).
 */
export type LoadResult<V> = { readonly loaded: true; readonly value: V } | { readonly loaded: false; readonly value: undefined }

/**
 * What `loadOrStore()` returns: `value` always holds a value, the one present
 * (`loaded`: true) or the one just stored (`loaded`: false).
 */
export interface LoadOrStoreResult<V> {
  readonly value: V
  readonly loaded: boolean
}

/** What `swap()` returns: `loaded` tells whether a previous value existed, and narrows `previous`. */
export type SwapResult<V> = { readonly loaded: true; readonly previous: V } | { readonly loaded: false; readonly previous: undefined }

/** Options of `sweep()`. */
export interface SweepOptions {
  /**
   * Most expired entries to remove in this call: a non-negative integer, or Infinity.
   * @default Infinity (all of them)
   */
  readonly budget?: number | undefined
}

/**
 * What `getVersioned()` returns: the value and the version of the record that holds
 * it. A key's version is a positive safe integer that rises with every write of the
 * key and never comes back, not even after a delete (versions.ts).
 */
export interface Versioned<V> {
  readonly value: V
  readonly version: number
}
