/**
 * SharedMap's async view: the AsyncConcurrentMap contract over a SharedMap of this
 * process, each call the SharedMap's own (same atomicity, same errors, as rejections),
 * so code written for a RedisMap runs unchanged over shared memory.
 */
import type { Key } from '../codec/index.js'
import type { AsyncFactory, ComputeAsyncOptions } from '../map/compute-async.js'
import type { SharedMap } from '../map/shared-map.js'
import type { EntryOptions, LoadOrStoreResult, LoadResult, SwapResult, Versioned } from '../map/types.js'
import type { AsyncConcurrentMap } from './types.js'

/**
 * What `sharedMap.async()` returns. Every method runs the SharedMap method of the same
 * name and resolves with its result (or rejects with its error); update() runs fn
 * exactly once, holding the key's shard. Iteration and snapshot() keep SharedMap's
 * contracts (snapshot() is atomic across shards), and so does size(): on a cache map it
 * counts expired entries not yet removed. The cache operations (a ttl option,
 * getOrComputeAsync) need a cache map, as on the SharedMap.
 */
export class SharedMapAsync<K extends Key, V> implements AsyncConcurrentMap<K, V> {
  readonly #map: SharedMap<K, V>

  constructor(map: SharedMap<K, V>) {
    this.#map = map
  }

  /** The SharedMap this view runs on. */
  get map(): SharedMap<K, V> {
    return this.#map
  }

  async get(key: K): Promise<V | undefined> {
    return this.#map.get(key)
  }

  async set(key: K, value: V, options?: EntryOptions): Promise<void> {
    this.#map.set(key, value, options)
  }

  async has(key: K): Promise<boolean> {
    return this.#map.has(key)
  }

  async delete(key: K): Promise<boolean> {
    return this.#map.delete(key)
  }

  async clear(): Promise<void> {
    this.#map.clear()
  }

  async size(): Promise<number> {
    return this.#map.size
  }

  async loadOrStore(key: K, value: V, options?: EntryOptions): Promise<LoadOrStoreResult<V>> {
    return this.#map.loadOrStore(key, value, options)
  }

  async loadAndDelete(key: K): Promise<LoadResult<V>> {
    return this.#map.loadAndDelete(key)
  }

  async swap(key: K, value: V): Promise<SwapResult<V>> {
    return this.#map.swap(key, value)
  }

  async compareAndSwap(key: K, old: V, next: V): Promise<boolean> {
    return this.#map.compareAndSwap(key, old, next)
  }

  async compareAndDelete(key: K, old: V): Promise<boolean> {
    return this.#map.compareAndDelete(key, old)
  }

  async getVersioned(key: K): Promise<Versioned<V> | undefined> {
    return this.#map.getVersioned(key)
  }

  async setIfVersion(key: K, value: V, version: number, options?: EntryOptions): Promise<boolean> {
    return this.#map.setIfVersion(key, value, version, options)
  }

  async deleteIfVersion(key: K, version: number): Promise<boolean> {
    return this.#map.deleteIfVersion(key, version)
  }

  async update(key: K, fn: (current: V | undefined) => V | undefined, options?: EntryOptions): Promise<V | undefined> {
    return this.#map.update(key, fn, options)
  }

  async getOrCompute(key: K, factory: (key: K) => V, options?: EntryOptions): Promise<V> {
    return this.#map.getOrCompute(key, factory, options)
  }

  getOrComputeAsync(key: K, factory: AsyncFactory<K, V>, options?: ComputeAsyncOptions): Promise<V> {
    return this.#map.getOrComputeAsync(key, factory, options)
  }

  async ttlOf(key: K): Promise<number | undefined> {
    return this.#map.ttlOf(key)
  }

  async getMany(keys: Iterable<K>): Promise<(V | undefined)[]> {
    return this.#map.getMany(keys)
  }

  async setMany(entries: Iterable<readonly [K, V]>, options?: EntryOptions): Promise<void> {
    this.#map.setMany(entries, options)
  }

  async deleteMany(keys: Iterable<K>): Promise<number> {
    return this.#map.deleteMany(keys)
  }

  async *entries(): AsyncIterableIterator<[K, V]> {
    yield* this.#map.entries()
  }

  async *keys(): AsyncIterableIterator<K> {
    yield* this.#map.keys()
  }

  async *values(): AsyncIterableIterator<V> {
    yield* this.#map.values()
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<[K, V]> {
    return this.entries()
  }

  async range(fn: (key: K, value: V) => boolean | void | Promise<boolean | void>): Promise<void> {
    for (const [key, value] of this.#map.entries()) {
      if ((await fn(key, value)) === false) return
    }
  }

  async snapshot(): Promise<Map<K, V>> {
    return this.#map.snapshot()
  }

  get [Symbol.toStringTag](): string {
    return 'SharedMapAsync'
  }
}
