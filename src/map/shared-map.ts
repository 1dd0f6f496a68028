/**
 * SharedMap: one hash map in shared memory, read and written by many threads.
 *
 * Design overview. The files of src/map, by concern:
 *   layout.ts    the words: header, shard descriptors, tables, records
 *   create.ts    a new map's memory; attach.ts checks a handle from another thread
 *   core.ts      one thread's view of a map: geometry, locks, changes, repair
 *   tables.ts    the shards' open-addressing tables; arena.ts the allocator
 *   read.ts      lookups: the seqlock read and why it is correct
 *   write.ts     changes, the atomic operations, callbacks
 *   iterate.ts   iteration and snapshots; inspect.ts stats and invariant checks
 *   read-cache.ts the per-thread cache of validated values; protection.ts the strategies
 *   cache-ops.ts  touch, sweep and getOrComputeAsync of cache maps (expiry.ts, evict.ts, compute-async.ts)
 *
 *  - A key's 32-bit hash (HalfSipHash, seeded per map) picks its shard (top bits)
 *    and its slot (bits 2 and up); each shard is an independent open-addressing
 *    table that grows, shrinks and drops tombstones incrementally.
 *  - Keys and values live in records allocated from the arena. A change never
 *    edits a published record: it writes a complete new one and publishes it with
 *    one aligned 32-bit store (write.ts).
 *  - 'optimistic' (the default): writers lock their shard and keep its seq odd while
 *    they change it; readers take no lock and write nothing (read.ts).
 *  - Read cache ('optimistic'): each SharedMap instance (so each thread) keeps the values
 *    its gets decoded, with the record's generation (read-cache.ts). A hit is one local
 *    Map.get and one or two Atomics.loads: no hash, probe, copy or decode, and still
 *    linearizable.
 *  - The other strategies take the locks of protection.ts around reads too.
 */
import type { Key } from '../codec/index.js'
import { isThenable } from '../codec/thenable.js'
import type { AttachOptions, EntryOptions, LoadOrStoreResult, LoadResult, SharedMapHandle, SharedMapOptions, SharedMapStats, SwapResult, SweepOptions, Versioned } from './types.js'
import type { Attachable } from '../shared/handle.js'
import type { Concurrency } from './layout.js'
import { DEAD, H } from './layout.js'
import { MapCore, inCallback, type Opened } from './core.js'
import { create } from './create.js'
import { openAttached } from './attach.js'
import { ABSENT, load, reference } from './read.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { deadlineAfter, entryTtl, remaining } from './expiry.js'
import { startSweeper } from './sweep.js'
import { entriesOf } from './inspect.js'
import type { AsyncFactory, ComputeAsyncOptions } from './compute-async.js'
import { computeAsyncChecked, sweepNow, touch } from './cache-ops.js'
import { change, clear, compute, holdsLocked, put, putLocked, removeLocked, take, valueInLocked } from './write.js'
import { shardEntries, snapshotEntries } from './iterate.js'
import { checkInvariants, statsOf } from './inspect.js'
import type { Encoded, Raw } from './values.js'
import { freezeDeep } from './frozen.js'
import type { ReadCache } from './read-cache.js'
import { deleteIfVersion, getVersioned, setIfVersion } from './versions.js'
import { deleteMany, getMany, setMany } from './batch.js'
import { SharedMapAsync } from '../async-map/shared-async.js'
import { instrument } from '../metrics/instrument.js'
import { metricsOf } from '../metrics/sum.js'
import { hotKeysOf } from '../metrics/hot-keys.js'
import type { HotKey, MapMetrics } from '../metrics/types.js'

/**
 * One hash map in shared memory that every thread of the process can read and write
 * at once, with Map's interface (it is a `ReadonlyMap<K, V>`) and Go's sync.Map's.
 * Create it in one thread, send `map.handle` to the others and `SharedMap.attach`
 * it there. Keys are strings, numbers or bigints (SameValueZero, as Map); values are
 * whatever the codec stores. A failed call changes nothing.
 *
 * @example
 * ```ts
 * const sessions = new SharedMap<string, Session>()
 * new Worker(file, { workerData: { sessions: sessions.handle } })
 * // in the worker:
 * const sessions = SharedMap.attach<string, Session>(workerData.sessions)
 * ```
 */
export class SharedMap<K extends Key = Key, V = unknown> implements ReadonlyMap<K, V> {
  /**
   * Structured-cloneable: send it to another thread (workerData, postMessage) and
   * `SharedMap.attach(handle)` there to get the same map.
   */
  readonly handle: SharedMapHandle<K, V>
  readonly #core: MapCore

  /**
   * A new, empty map. The codec-typed overloads users see are SharedMapConstructor's
   * (constructor.ts).
   * @throws ConmapError ERR_INVALID_ARGUMENT for an option out of its range (nothing is allocated)
   */
  constructor(options: SharedMapOptions<V> = {}) {
    const opened = attaching
    attaching = undefined
    // create() refuses options that are no object; attach() passed its own.
    const sweeper = opened !== undefined ? opened.sweeper : typeof options === 'object' && options !== null ? options.sweeper : undefined
    if (sweeper !== undefined && typeof sweeper !== 'boolean') throw conmapError(ErrorCode.INVALID_ARGUMENT, `sweeper must be a boolean, got ${String(sweeper)}`)
    const made = opened ?? { ...create(options as SharedMapOptions), readCache: options.readCache, sweeper }
    this.#core = new MapCore(made)
    this.handle = this.#core.handle
    // Under 'none' threads promise not to overlap: a sweeper in another thread would.
    if (this.#core.cacheRecords && made.sweeper !== false && this.#core.concurrency !== 'none') startSweeper(this.#core)
    if (this.#core.metrics !== undefined) instrument(this, this.#core, this.#core.metrics)
  }

  /**
   * The map behind a handle from another thread: `map.handle`, or the map itself, or
   * its structured clone (`workerData: map` sends `{ handle }`, which is enough). K and
   * V come from a typed handle; name them for one received untyped. The codec must be
   * the one the map was created with (a user codec must be passed again, by name).
   * @throws ConmapError ERR_INVALID_HANDLE when source is no SharedMap handle (another
   *   kind's, forged, or a foreign buffer)
   * @throws ConmapError ERR_INVALID_ARGUMENT when the codec differs, or a user codec is not passed
   * @example
   * ```ts
   * import { workerData } from 'node:worker_threads'
   * const sessions = SharedMap.attach<string, Session>(workerData.sessions)
   * const users = SharedMap.attach(workerData.users, { codec: userCodec })
   * ```
   */
  static attach<K extends Key = Key, V = unknown>(source: Attachable<SharedMapHandle<K, V>>, options: AttachOptions<V> = {}): SharedMap<K, V> {
    attaching = openAttached(source, options as AttachOptions)
    try {
      return new SharedMap<K, V>()
    } finally {
      attaching = undefined
    }
  }

  /** The strategy chosen at creation (SharedMapOptions.concurrency). */
  get concurrency(): Concurrency {
    return this.#core.concurrency
  }

  /**
   * Entries in the map: exact when no writer is active, otherwise a value it had
   * during the call (shards are counted one after another). In a cache map it counts
   * expired entries not yet removed (exact after sweep()); with maxEntries it never
   * exceeds the bound.
   * @example
   * ```ts
   * if (sessions.size > 10_000) sessions.sweep()
   * ```
   */
  get size(): number {
    const core = this.#core
    core.enter()
    let size = 0
    for (let shard = 0; shard < core.shards; shard++) size += entriesOf(core.arena.u32, core.fieldsOf(shard))
    // Shards counted at different instants may add up past the bound; live never does.
    return core.maxEntries === 0 ? size : Math.min(size, Atomics.load(core.arena.i32, H.LIVE))
  }

  /**
   * The value of key, or undefined. Atomic; never locks under 'optimistic', where an
   * object value comes deeply frozen from this thread's read cache (shared by its
   * callers) unless the cache is off (readCache: 0) or the value cannot be frozen.
   * @throws ConmapError ERR_INVALID_KEY for a key that is no string, number or bigint
   * @example
   * ```ts
   * const session = sessions.get('s1') // Session | undefined
   * ```
   */
  get(key: K): V | undefined {
    const core = this.#core
    const cache = core.cache
    if (cache !== undefined && inCallback.size === 0) {
      const hit = cache.valid(key, core.arena.i32)
      if (hit !== undefined) {
        if (core.sieve && hit.refSeq !== hit.seq) {
          reference(core.arena.i32, hit.genAt, hit.gen)
          hit.refSeq = hit.seq
        }
        return (hit.decodeEach ? core.values.finish(hit.value as Raw) : hit.value) as V
      }
    }
    const value = this.#readMiss(key)
    return value === ABSENT ? undefined : value
  }

  /** get() telling an absent key from a stored undefined (which it reads again to tell). */
  #read(key: K): V | typeof ABSENT {
    // The class's get, not an instrumented one (metrics/instrument.ts): an inner read is no call.
    const value = SharedMap.prototype.get.call(this, key) as V | undefined
    return value === undefined ? this.#readMiss(key) : value
  }

  /** A read that no cached entry answers. */
  #readMiss(key: K): V | typeof ABSENT {
    const cache = this.#core.cache
    return cache === undefined ? this.#readUncached(key) : this.#readAndRemember(key, cache)
  }

  #readUncached(key: K): V | typeof ABSENT {
    const raw = load(this.#core, key)
    return raw === ABSENT ? ABSENT : (this.#core.values.finish(raw) as V)
  }

  /** A read-cache miss: the seqlock read, then the entry that later reads will hit. */
  #readAndRemember(key: K, cache: ReadCache): V | typeof ABSENT {
    const core = this.#core
    const raw = load(core, key)
    cache.misses++
    if (raw === ABSENT) {
      cache.forget(key)
      return ABSENT
    }
    const values = core.values
    const value = values.finish(raw)
    const shared = typeof value !== 'object' || value === null || (values.freezable && freezeDeep(value))
    // A record marked DEAD by a writer that died before unpublishing it is read, not kept.
    if (core.found.gen === DEAD) cache.forget(key)
    else cache.remember(key, core.found, shared ? value : raw, !shared)
    // Not shareable: kept encoded and decoded afresh for each caller, this one included,
    // since freezeDeep may have frozen part of the first copy.
    return (shared ? value : values.finish(raw)) as V
  }

  /**
   * Whether key is present. Atomic; never locks under 'optimistic'.
   * @throws ConmapError ERR_INVALID_KEY for a key that is no string, number or bigint
   */
  has(key: K): boolean {
    const core = this.#core
    if (core.cache !== undefined && inCallback.size === 0 && core.cache.valid(key, core.arena.i32) !== undefined) return true
    return load(core, key, false) !== ABSENT
  }

  /**
   * Stores value under key (in a cache map, to live options.ttl or the map's ttl). Atomic.
   * @throws ConmapError ERR_INVALID_KEY for a bad key; ERR_INVALID_VALUE for a value
   *   the codec cannot store; ERR_MAP_FULL when maxBytes leaves no room (a bounded
   *   cache evicts instead); ERR_INVALID_ARGUMENT for a ttl on a map that is no cache
   * @example
   * ```ts
   * sessions.set('s1', { user: 'ada' })
   * cache.set('page', html, { ttl: 60_000 })
   * ```
   */
  set(key: K, value: V, options?: EntryOptions): this {
    const core = this.#core
    const ttl = entryTtl(options, core.ttl, core.cacheRecords)
    const bytes = core.encode(value)
    put(core, key, bytes, deadlineAfter(ttl))
    // A string or number stored natively reads back as itself: this thread's cached
    // entry can take the new record's generation instead of being read again.
    if (core.cache !== undefined && typeof bytes !== 'object') core.cache.refresh(key, core.found, bytes)
    return this
  }

  /**
   * Removes key; true if it was present. Atomic.
   * @throws ConmapError ERR_INVALID_KEY for a bad key
   */
  delete(key: K): boolean {
    return take(this.#core, key, false) !== ABSENT
  }

  /**
   * Go's LoadOrStore: the present value (loaded: true), or stores value and returns
   * it (loaded: false); `value` always holds one. Options as set(). Atomic.
   * @throws ConmapError as set()
   * @example
   * ```ts
   * const { value, loaded } = counters.loadOrStore('hits', 0)
   * ```
   */
  loadOrStore(key: K, value: V, options?: EntryOptions): LoadOrStoreResult<V> {
    const core = this.#core
    const ttl = entryTtl(options, core.ttl, core.cacheRecords)
    const bytes = core.encode(value)
    let found: Raw | typeof ABSENT = ABSENT
    change(core, key, (fields, slot, kind, hash) => {
      found = ABSENT
      if (slot >= 0) found = valueInLocked(core, slot)
      else putLocked(core, fields, slot, key, kind, hash, bytes, deadlineAfter(ttl))
    })
    return found === ABSENT ? { value, loaded: false } : { value: core.values.finish(found) as V, loaded: true }
  }

  /**
   * Go's LoadAndDelete: removes key and returns the value it had. Atomic.
   * @throws ConmapError ERR_INVALID_KEY for a bad key
   * @example
   * ```ts
   * const taken = jobs.loadAndDelete('j1')
   * if (taken.loaded) run(taken.value) // narrowed to V
   * ```
   */
  loadAndDelete(key: K): LoadResult<V> {
    const raw = take(this.#core, key, true)
    return raw === ABSENT ? { value: undefined, loaded: false } : { value: this.#core.values.finish(raw) as V, loaded: true }
  }

  /**
   * Go's Swap: stores value and returns the previous one. Atomic.
   * @throws ConmapError as set()
   * @example
   * ```ts
   * const old = config.swap('mode', 'safe')
   * if (old.loaded) log(old.previous) // narrowed to V
   * ```
   */
  swap(key: K, value: V): SwapResult<V> {
    const core = this.#core
    const bytes = core.encode(value)
    let previous: Raw | typeof ABSENT = ABSENT
    change(core, key, (fields, slot, kind, hash) => {
      previous = slot >= 0 ? valueInLocked(core, slot) : ABSENT
      putLocked(core, fields, slot, key, kind, hash, bytes, deadlineAfter(core.ttl))
    })
    return previous === ABSENT ? { previous: undefined, loaded: false } : { previous: core.values.finish(previous) as V, loaded: true }
  }

  /**
   * Go's CompareAndSwap: stores next if key holds a value whose encoding equals
   * old's. False when absent or different. Atomic.
   * @throws ConmapError as set()
   * @example
   * ```ts
   * while (!counters.compareAndSwap('n', n, n + 1)) n = counters.get('n') ?? 0
   * ```
   */
  compareAndSwap(key: K, old: V, next: V): boolean {
    const core = this.#core
    const expected: Encoded = core.encode(old)
    const bytes = core.encode(next)
    let swapped = false
    change(
      core,
      key,
      (fields, slot, kind, hash) => {
        if (slot < 0 || !holdsLocked(core, slot, expected)) return
        putLocked(core, fields, slot, key, kind, hash, bytes, deadlineAfter(core.ttl))
        swapped = true
      },
      true,
    )
    return swapped
  }

  /**
   * Go's CompareAndDelete: removes key if its value's encoding equals old's. Atomic.
   * @throws ConmapError ERR_INVALID_KEY for a bad key; ERR_INVALID_VALUE when old cannot be encoded
   */
  compareAndDelete(key: K, old: V): boolean {
    const core = this.#core
    const expected = core.encode(old)
    let deleted = false
    change(
      core,
      key,
      (fields, slot) => {
        if (slot < 0 || !holdsLocked(core, slot, expected)) return
        removeLocked(core, fields, slot)
        deleted = true
      },
      true,
    )
    return deleted
  }

  /**
   * The value of key and its version, or undefined when absent. A key's version
   * rises with every write of it and never repeats, even across a delete, so
   * setIfVersion() catches the A → B → A that compareAndSwap() lets through. Takes
   * the key's shard briefly (get() never does).
   * @throws ConmapError ERR_INVALID_KEY for a bad key
   * @example
   * ```ts
   * const seen = accounts.getVersioned('ada')
   * if (seen && !accounts.setIfVersion('ada', pay(seen.value), seen.version)) retry()
   * ```
   */
  getVersioned(key: K): Versioned<V> | undefined {
    return getVersioned(this.#core, key) as Versioned<V> | undefined
  }

  /**
   * Stores value if key's version is still `version` (ABSENT_VERSION, 0: only if key
   * is absent); options as set(). True if it stored. Atomic.
   * @throws ConmapError ERR_INVALID_ARGUMENT for a version that is no non-negative
   *   safe integer; otherwise as set()
   * @example
   * ```ts
   * jobs.setIfVersion('j1', { state: 'queued' }, ABSENT_VERSION) // insert if absent
   * ```
   */
  setIfVersion(key: K, value: V, version: number, options?: EntryOptions): boolean {
    return setIfVersion(this.#core, key, value, version, options)
  }

  /**
   * Removes key if its version is still `version`; true if it removed it. Atomic.
   * @throws ConmapError ERR_INVALID_ARGUMENT as setIfVersion(); ERR_INVALID_KEY for a bad key
   * @example
   * ```ts
   * const seen = jobs.getVersioned('j1')
   * if (seen?.value.state === 'done') jobs.deleteIfVersion('j1', seen.version) // not a later requeue
   * ```
   */
  deleteIfVersion(key: K, version: number): boolean {
    return deleteIfVersion(this.#core, key, version)
  }

  /**
   * Atomic read-modify-write: fn gets the current value (undefined when absent) and
   * returns the new one, or undefined to delete. Returns what fn returned. fn runs
   * holding the key's shard: it must not use this map (ERR_RECURSIVE_UPDATE); if it
   * throws, nothing changes and the shard is released.
   * @throws ConmapError ERR_RECURSIVE_UPDATE when fn uses the map; as set() for what fn
   *   returns; whatever fn throws, unchanged
   * @example
   * ```ts
   * hits.update('home', (n) => (n ?? 0) + 1)
   * ```
   */
  update(key: K, fn: (current: V | undefined) => V | undefined, options?: EntryOptions): V | undefined {
    const core = this.#core
    const ttl = entryTtl(options, core.ttl, core.cacheRecords)
    return compute(core, key, (current) => fn(current === ABSENT ? undefined : (core.values.finish(current) as V)), false, ttl)
  }

  /**
   * The value of key, computing and storing it if absent. The factory runs at most
   * once per absent key across all threads (the others wait for it and get its
   * value); same callback rules as update(). A factory returning undefined stores
   * nothing (as update() deletes on undefined), so the next call runs it again.
   * @throws ConmapError as update()
   * @example
   * ```ts
   * const config = settings.getOrCompute('config', () => loadConfig())
   * ```
   */
  getOrCompute(key: K, factory: (key: K) => V, options?: EntryOptions): V {
    const core = this.#core
    const ttl = entryTtl(options, core.ttl, core.cacheRecords)
    const present = load(core, key)
    if (present !== ABSENT) return core.values.finish(present) as V
    return compute(core, key, (current) => (current === ABSENT ? factory(key) : (core.values.finish(current) as V)), true, ttl) as V
  }

  /**
   * The value of key, computing it with factory if absent: one computation per
   * absent key across all threads and async tasks of the map, which everyone else
   * awaits (on Atomics.waitAsync: no thread blocks). A rejection reaches every
   * current caller, and the next call computes again; a factory resolving undefined
   * stores nothing. If the computing thread dies (watch()) or its timeout passes,
   * one waiter takes over and a late result of the earlier attempt is dropped; the
   * earlier attempt's own callers then get ERR_COMPUTE_TIMEOUT. options.signal ends
   * only this caller's wait; the factory's signal aborts when no caller is left.
   * A computation in flight is absent to reads, never expires and is never
   * evicted; a write of the key replaces it (its result is then dropped). The value
   * is stored with options.ttl (default the map's). Cache maps only.
   * @throws ConmapError (rejects with) ERR_INVALID_ARGUMENT on a map that is no cache
   *   or for bad options; ERR_COMPUTE_TIMEOUT when this caller's attempt was taken
   *   over; the factory's rejection; `options.signal.reason` on abort
   * @example
   * ```ts
   * const page = await cache.getOrComputeAsync(url, async (key, { signal }) => (await fetch(key, { signal })).text(), { timeout: 5000 })
   * ```
   */
  async getOrComputeAsync(key: K, factory: AsyncFactory<K, V>, options: ComputeAsyncOptions = {}): Promise<V> {
    return (await computeAsyncChecked(this.#core, key, (k) => this.#read(k as K), factory as AsyncFactory<Key, unknown>, options)) as V
  }


  /**
   * Remaining ms before key expires (Infinity if it never does), or undefined when
   * absent or expired.
   * @throws ConmapError ERR_INVALID_KEY for a bad key
   */
  ttlOf(key: K): number | undefined {
    const core = this.#core
    if (load(core, key, false) === ABSENT) return undefined
    return remaining(core.found.deadline, Date.now())
  }

  /**
   * Restarts key's lifetime: it now expires ttl ms from now (default: the map's ttl;
   * Infinity: never). True if key was present. Atomic; writes the entry anew, so it
   * also becomes the most recently written one for eviction.
   * @throws ConmapError ERR_INVALID_ARGUMENT on a map that is no cache or for a bad ttl
   * @example
   * ```ts
   * sessions.touch(id) // the session lives another `ttl` ms
   * ```
   */
  touch(key: K, ttl?: number): boolean {
    return touch(this.#core, key, ttl)
  }


  /**
   * Removes expired entries now, at most options.budget of them (default: all);
   * returns how many. The sweeper does this in the background with bounded work.
   * @throws ConmapError ERR_INVALID_ARGUMENT on a map that is no cache or for a bad budget
   */
  sweep(options: SweepOptions = {}): number {
    return sweepNow(this.#core, options)
  }


  /**
   * Removes every entry, shard by shard (each shard atomically, not the map as a
   * whole: a writer meanwhile may leave its entry in a shard already cleared).
   */
  clear(): void {
    clear(this.#core)
  }

  /**
   * Calls fn for entries until it returns false. Go's contract: concurrent writers
   * never make it throw, no key is visited twice, and every key present for the
   * whole call is visited; a key changed meanwhile shows one of its values. fn may
   * use the map.
   * @example
   * ```ts
   * sessions.range((id, session) => {
   *   if (session.expires < Date.now()) sessions.delete(id)
   *   return true // false stops
   * })
   * ```
   */
  range(fn: (key: K, value: V) => boolean | void): void {
    for (const [key, value] of this.entries()) {
      const more = fn(key, value)
      if (more === false) return
      // An async callback's `return false` would never stop the walk.
      if (isThenable(more)) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'range() callbacks are synchronous: this one returned a Promise; use for (const [k, v] of map.entries()) with await in the loop')
    }
  }

  /**
   * Map's forEach, under range()'s contract (each entry read atomically, the whole
   * not); fn gets (value, key, map) as with Map.
   */
  forEach(fn: (value: V, key: K, map: SharedMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) fn.call(thisArg, value, key, this)
  }

  /**
   * Entries, shard by shard, under range()'s contract: each shard is read as one
   * consistent copy when the iterator reaches it; the map as a whole is not frozen
   * (use snapshot() for that). Order is not insertion order.
   * @example
   * ```ts
   * for (const [id, session] of sessions.entries()) report(id, session)
   * ```
   */
  *entries(): MapIterator<[K, V]> {
    const core = this.#core
    const now = Date.now()
    for (let shard = 0; shard < core.shards; shard++) {
      for (const entry of shardEntries(core, shard, true, now)) {
        yield [entry.key as K, core.values.finish(entry.value as Raw) as V]
      }
    }
  }

  /** Keys, under the contract of entries(). */
  *keys(): MapIterator<K> {
    const core = this.#core
    const now = Date.now()
    for (let shard = 0; shard < core.shards; shard++) {
      for (const entry of shardEntries(core, shard, false, now)) yield entry.key as K
    }
  }

  /** Values, under the contract of entries(). */
  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value
  }

  /** Same as entries(). */
  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries()
  }

  /**
   * A consistent copy of the whole map at one point in time (atomic across all
   * shards: optimistic validation, or every shard's lock when writers keep moving).
   * @example
   * ```ts
   * const copy = sessions.snapshot() // Map<string, Session>
   * ```
   */
  snapshot(): Map<K, V> {
    const core = this.#core
    const map = new Map<K, V>()
    for (const entry of snapshotEntries(core)) map.set(entry.key as K, core.values.finish(entry.value as Raw) as V)
    return map
  }

  /**
   * Figures about the map: sizes, load, resizes, memory, recoveries, and this
   * thread's optimistic read retries. Read without locks: approximate while writers run.
   * @example
   * ```ts
   * const { size, bytes, load } = sessions.stats()
   * console.log(`${size} entries, ${bytes.used} of ${bytes.max} bytes, load ${load.toFixed(2)}`)
   * ```
   */
  stats(): SharedMapStats {
    return statsOf(this.#core)
  }

  /**
   * Counters summed over every thread that ever used the map, exited threads
   * included: calls per method by outcome, lock acquisitions and waits (histograms
   * in seconds), lock timeouts, optimistic retries, recoveries, resizes, entries and
   * bytes. Read without locks from shared memory: each thread records into its own
   * row, so recording never contends. Needs a map made with `metrics: true`.
   * @throws ConmapError ERR_INVALID_ARGUMENT on a map made without metrics
   * @example
   * ```ts
   * const map = new SharedMap({ metrics: true })
   * const { ops, lockWaits } = map.metrics()
   * console.log(ops.get.hits, ops.get.misses, lockWaits.write.count)
   * ```
   */
  metrics(): MapMetrics {
    return metricsOf(this.#core)
  }

  /**
   * The n keys most used, estimated over every thread, most used first: each
   * thread samples one keyed call in `metrics.sample` into a HeavyKeeper summary
   * in shared memory; the summaries are merged and their hashes resolved to keys
   * through the map (keys no longer present are left out). `count` estimates the
   * calls on the key since the map was made (sampled count times the sample period).
   * It takes each candidate's shard lock for one probe; under 'none' it is a read of
   * the map like get(). Needs a map made with `metrics: true`.
   * @throws ConmapError ERR_INVALID_ARGUMENT on a map made without metrics, or for an n
   *   that is no non-negative integer
   * @example
   * ```ts
   * for (const { key, count } of map.hotKeys(10)) console.log(key, count)
   * ```
   */
  hotKeys(n: number): HotKey<K>[] {
    return hotKeysOf(this.#core, n) as HotKey<K>[]
  }

  /**
   * Debug check of every internal invariant (tables, counts, records, hashes, free
   * lists), holding every shard's lock; throws ERR_INVARIANT_VIOLATION naming the first
   * broken one.
   * @throws ConmapError ERR_INVARIANT_VIOLATION naming the first broken invariant
   */
  checkInvariants(): void {
    checkInvariants(this.#core)
  }

  /**
   * The values of keys, in their order (undefined where absent); each read atomic, the
   * batch not. @throws ConmapError ERR_INVALID_KEY for any key, before any read
   */
  getMany(keys: Iterable<K>): (V | undefined)[] {
    // The class's get, not an instrumented one (metrics/instrument.ts): a batch counts once.
    return getMany((key: K) => SharedMap.prototype.get.call(this, key) as V | undefined, keys)
  }

  /**
   * Stores every entry, each atomically (as set()), not all at once: other threads may see
   * some before the rest. Keys and values are checked first: bad input writes nothing.
   * @throws ConmapError as set(); ERR_MAP_FULL part-way leaves the entries before it written
   */
  setMany(entries: Iterable<readonly [K, V]>, options?: EntryOptions): void {
    setMany(this.#core, entries, options)
  }

  /** Removes keys, each atomically; returns how many were present. @throws ConmapError ERR_INVALID_KEY, before any removal */
  deleteMany(keys: Iterable<K>): number {
    return deleteMany(this.#core, keys)
  }

  /**
   * This map as an AsyncConcurrentMap: RedisMap's interface over this SharedMap, so the
   * same async code runs on both.
   * @example
   * ```ts
   * await countHits(sessions.async()) // countHits(map: AsyncConcurrentMap<string, number>)
   * ```
   */
  async(): SharedMapAsync<K, V> {
    return new SharedMapAsync(this)
  }

  get [Symbol.toStringTag](): string {
    return 'SharedMap'
  }
}

let attaching: Opened | undefined
