/**
 * AsyncConcurrentMap: the map contract with every call async, so that one piece of code
 * (a user's, and conmap's own contract tests) runs unchanged over a SharedMap in this
 * process (`map.async()`) and over a RedisMap shared by many machines.
 */
import type { Key } from '../codec/index.js'
import type { EntryOptions, LoadOrStoreResult, LoadResult, SwapResult, Versioned } from '../map/types.js'
import type { AsyncFactory, ComputeAsyncOptions } from '../map/compute-async.js'

/**
 * The async map contract. Every single-key call is atomic. Batches (getMany, setMany,
 * deleteMany) are atomic per key, not as a whole: another caller may see some of a
 * batch's keys written and not yet others, and a batch that fails part-way leaves the
 * keys it wrote written.
 *
 * Where implementations differ (each says so in its docs): update()'s fn runs exactly once
 * on a SharedMap (holding the key's shard) but may run more than once on a RedisMap (an
 * optimistic compare-and-swap loop), so it must be a pure function of its argument;
 * iteration is per shard or per bucket, snapshot() atomic on a SharedMap and on a RedisMap
 * of one bucket.
 * @example
 * ```ts
 * async function hit(counters: AsyncConcurrentMap<string, number>, page: string) {
 *   return counters.update(page, (n) => (n ?? 0) + 1)
 * }
 * await hit(sharedMap.async(), '/')
 * await hit(new RedisMap({ client, name: 'hits' }), '/')
 * ```
 */
export interface AsyncConcurrentMap<K extends Key, V> extends AsyncIterable<[K, V]> {
  /** The value of key, or undefined. */
  get(key: K): Promise<V | undefined>
  /** Stores value under key, to live options.ttl (default the map's). */
  set(key: K, value: V, options?: EntryOptions): Promise<void>
  has(key: K): Promise<boolean>
  /** Removes key; true if it was present. */
  delete(key: K): Promise<boolean>
  /** Removes every entry (see each implementation for how atomic). */
  clear(): Promise<void>
  /** Entries (a SharedMap cache map also counts expired ones not yet removed; a RedisMap never does). */
  size(): Promise<number>
  loadOrStore(key: K, value: V, options?: EntryOptions): Promise<LoadOrStoreResult<V>>
  loadAndDelete(key: K): Promise<LoadResult<V>>
  swap(key: K, value: V): Promise<SwapResult<V>>
  /** Stores next if key holds a value whose encoding equals old's. */
  compareAndSwap(key: K, old: V, next: V): Promise<boolean>
  /** Removes key if its value's encoding equals old's. */
  compareAndDelete(key: K, old: V): Promise<boolean>
  /** The value of key and its version (rising with every write of key, never repeating), or undefined when absent. */
  getVersioned(key: K): Promise<Versioned<V> | undefined>
  /** Stores value if key's version is still version (ABSENT_VERSION, 0: only if absent); resolves with whether it stored. */
  setIfVersion(key: K, value: V, version: number, options?: EntryOptions): Promise<boolean>
  /** Removes key if its version is still version; resolves with whether it removed. */
  deleteIfVersion(key: K, version: number): Promise<boolean>
  /** Atomic read-modify-write; fn returns the new value or undefined to delete. Resolves with what fn returned. */
  update(key: K, fn: (current: V | undefined) => V | undefined, options?: EntryOptions): Promise<V | undefined>
  /** The value of key, computing and storing factory's if absent. */
  getOrCompute(key: K, factory: (key: K) => V, options?: EntryOptions): Promise<V>
  /** The value of key, computing it with an async factory if absent: one computation per absent key at a time. */
  getOrComputeAsync(key: K, factory: AsyncFactory<K, V>, options?: ComputeAsyncOptions): Promise<V>
  /** Remaining ms before key expires (Infinity if never), or undefined when absent. */
  ttlOf(key: K): Promise<number | undefined>
  /** The values of keys, in their order (undefined where absent). */
  getMany(keys: Iterable<K>): Promise<(V | undefined)[]>
  /** Stores every entry, each atomically. */
  setMany(entries: Iterable<readonly [K, V]>, options?: EntryOptions): Promise<void>
  /** Removes keys, each atomically; resolves with how many were present. */
  deleteMany(keys: Iterable<K>): Promise<number>
  entries(): AsyncIterableIterator<[K, V]>
  keys(): AsyncIterableIterator<K>
  values(): AsyncIterableIterator<V>
  /** Calls fn for entries until it returns (or resolves) false. */
  range(fn: (key: K, value: V) => boolean | void | Promise<boolean | void>): Promise<void>
  /** A copy of the map (see each implementation for how atomic). */
  snapshot(): Promise<Map<K, V>>
}
