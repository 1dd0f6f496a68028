/**
 * SharedMap: one hash map in shared memory, read and written by many threads.
 *
 * Design overview (layout.ts has the words, tables.ts the tables, arena.ts the
 * allocator, protection.ts the strategies):
 *
 *  - A key's 32-bit hash (HalfSipHash, seeded per map) picks its shard (top bits)
 *    and its slot (bits 2 and up); each shard is an independent open-addressing
 *    table that grows, shrinks and drops tombstones incrementally.
 *  - Keys and values live in records allocated from the arena. A change never
 *    edits a published record: it writes a complete new one and publishes it with
 *    one aligned 32-bit store (the slot meta for a new key, the record offset for a
 *    new value, a tombstone for a removal). A thread killed mid-write therefore leaves
 *    either the old state or the new one visible, never half of one; what it may
 *    leave behind (a lock word naming it, an odd seq, a stale count, a resize cut
 *    short, a leaked block) is repaired by the next writer, who takes the lock over
 *    once the dead thread is known (watch(), threads.ts).
 *  - 'optimistic' (the default): writers lock their shard and keep its seq odd while
 *    they change it; readers take no lock and write nothing. A reader loads the seq
 *    (s1), syncs its views, looks the key up, copies the value's words, and accepts
 *    them only if the seq is still s1 and even (a seqlock). Freed blocks are reused
 *    only by their own shard, so anything a reader might see reused moved that
 *    shard's seq. Values are decoded from the private copy, after validation.
 *
 * Why the seqlock is correct under the ECMAScript memory model (not only on x86):
 * the model orders only SeqCst events, through synchronizes-with (an Atomics read
 * that reads an Atomics write) and, for SeqCst events on the same location, one
 * total order. A plain read that races with a write may return that write even if
 * it comes after the reader's closing seq load, and a plain store may be seen before
 * the seq increment before it (ARM64 does both). So:
 *   1. Every word a reader uses between s1 and s2 (table, cap, slots, record header,
 *      key and value words) is read with Atomics.load into a private copy
 *      (words.ts), and the reader decides on the copy.
 *   2. Every store into memory a reader may be reading (slots, shard fields,
 *      free-list links, every word of a reused block) is an Atomics.store made
 *      between the writer's two seq increments (Arena.store); only fresh memory,
 *      never yet reachable, is written plainly, before the Atomics store that
 *      publishes it.
 *   Then, if s1 = s2 = e (even): s1 reads the increment that ended the last change
 *   before it, so that change and everything before it happen-before the reader's
 *   loads, which therefore see at least that state (coherence). Suppose one load L
 *   saw a later write X. X is an Atomics store (2.), so X synchronizes-with L, and the
 *   increment that opened X's change happens-before X, hence before s2: s2 (SeqCst,
 *   same word) cannot read a value older than that increment, so s2 != e; a
 *   contradiction. So every load saw exactly the state at e: a state of the map,
 *   whose offsets all lie inside the views synced after s1 (blocks are allocated
 *   only below TOP, which growth passes first). Reading the seq after syncing would
 *   lose that: the state at s1 could name blocks past the views, read as absent.
 *   Plain reads of fresh memory are race-free: it is reached only through an offset
 *   whose Atomics store happens-after its contents were written.
 *   The cost: Atomics.load/store are calls in V8 (~10-15 ns on x86-64 against ~1 ns
 *   for a plain access), paid per 32-bit word read by optimistic readers and per word
 *   written into reused blocks; the lock strategies keep plain accesses under
 *   their locks, which order them.
 *   Wraparound: the seq is a 32-bit word, so a reader that stalls between s1 and s2
 *   while exactly a multiple of 2^31 changes hit its shard would accept a torn read.
 *   At the ~5.75M changes per second one shard takes here that is a stall of ~374 s
 *   inside a read of a few hundred nanoseconds; like Linux's seqcount, this is
 *   accepted and stated rather than defended against.
 *  - Read cache ('optimistic'): each SharedMap instance (so each thread) keeps the values
    its gets decoded, with the record's generation (read-cache.ts). A hit is one local
    Map.get and one Atomics.load of the generation word, which the writer that
    replaces or removes a record zeroes before unpublishing it (layout.ts): no hash,
    probe, copy or decode, and still linearizable. A miss is the seqlock read above,
    which also loads the generation between s1 and s2.
  - The other strategies take the locks of protection.ts around reads too.
 *  - Callbacks (update, getOrCompute) run holding the shard's write lock but with
 *    its seq even, so optimistic readers are not held up by user code; the change
 *    they decide is applied afterwards under an odd seq.
 *  - Iteration takes each shard's entries as one consistent copy (optimistic
 *    validation, falling back to the shard lock after repeated conflicts), so it
 *    never yields a key twice and yields every key present throughout; snapshot()
 *    copies all shards at one point in time.
 */
import {
  codecId,
  encodedKeyBytes,
  hashKey,
  hashStoredKey,
  keyKind,
  readKey,
  resolveCodec,
  writeKey,
  type Codec,
  type Key,
  type KeyKind,
} from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { Kind, openHandle } from '../shared/handle.js'
import { ThreadRegistry } from '../sync/threads.js'
import { Arena } from './arena.js'
import {
  DEAD,
  ERA_MASK,
  FULL,
  H,
  LAYOUT_VERSION,
  R_KEY,
  R_GEN,
  R_KEY_BYTES,
  R_KIND,
  R_VALUE_BYTES,
  S,
  Strategy,
  align4,
  lockWordsOf,
  maxShardCap,
  metaOf,
  recordBytes,
  shardWords,
  type Concurrency,
  type StrategyId,
} from './layout.js'
import { builtInCodec, create, shardsBase, stringHash } from './create.js'
import { checkMapInvariants } from './invariants.js'
import type { AttachOptions, LoadResult, SharedMapHandle, SharedMapOptions, SharedMapStats, ShardStats, SwapResult } from './types.js'
import { Protection } from './protection.js'
import { ShardTables } from './tables.js'
import { Values, type Encoded, type Raw } from './values.js'
import { failpoint } from './failpoints.js'
import { freezeDeep } from './frozen.js'
import { readCacheFor, type Found, type ReadCache } from './read-cache.js'
import { loadWords, scratchFor, storeWords } from './words.js'

const OPTIMISTIC_SHARD_ATTEMPTS = 8
const OPTIMISTIC_SNAPSHOT_ATTEMPTS = 3
const ABSENT: unique symbol = Symbol('absent')
const TORN: unique symbol = Symbol('torn')

/** Maps whose callbacks are running on this thread, by map id. */
const inCallback = new Set<string>()

interface Entry {
  readonly key: Key
  readonly value: Raw | undefined
}

export class SharedMap<K extends Key = Key, V = unknown> implements Iterable<[K, V]> {
  /** Structured-cloneable; `SharedMap.attach(handle)` in another thread gives the same map. */
  readonly handle: SharedMapHandle
  readonly #arena: Arena
  readonly #strategy: StrategyId
  readonly #concurrency: Concurrency
  readonly #values: Values
  readonly #shardBits: number
  readonly #shards: number
  readonly #shardsBase: number
  readonly #shardWords: number
  readonly #lockWords: number
  readonly #seed0: number
  readonly #seed1: number
  readonly #id: string
  readonly #tables: ShardTables
  readonly #protection: Protection
  readonly #cache: ReadCache | undefined
  #retries = 0
  /** What the last validated optimistic read, or the last write, found (read-cache.ts). */
  readonly #found: Found = { seqAt: 0, seq: 0, era: 0, genAt: 0, gen: DEAD }

  constructor(options: SharedMapOptions = {}) {
    const opened = attaching
    attaching = undefined
    if (opened !== undefined) {
      this.handle = opened.handle
      this.#arena = new Arena(opened.handle.buffer, opened.registry, opened.handle.concurrency === 'optimistic')
      this.#values = new Values(opened.codec, this.handle.codec, this.#arena)
    } else {
      const made = create(options)
      this.handle = made.handle
      this.#arena = made.arena
      this.#values = new Values(made.codec, this.handle.codec, this.#arena)
    }
    this.#cache = readCacheFor(opened === undefined ? options.readCache : opened.readCache, this.handle.concurrency === 'optimistic')
    const arena = this.#arena
    const i32 = arena.i32
    this.#strategy = i32[H.STRATEGY] as StrategyId
    this.#concurrency = this.handle.concurrency
    this.#shardBits = i32[H.SHARD_BITS] ?? 0
    this.#shards = 2 ** this.#shardBits
    this.#seed0 = i32[H.SEED0] ?? 0
    this.#seed1 = i32[H.SEED1] ?? 0
    this.#id = `${i32[H.MAP_ID0]}:${i32[H.MAP_ID1]}`
    const locks = lockWordsOf(this.#strategy, i32[H.READER_SLOTS] ?? 0)
    this.#lockWords = locks.shard
    this.#shardWords = i32[H.SHARD_WORDS] ?? 0
    this.#shardsBase = shardsBase(locks.global)
    this.#tables = new ShardTables(arena, maxShardCap(this.#shardBits))
    const shardLocks = Array.from({ length: this.#shards }, (_, s) => this.#shardsBase + s * this.#shardWords)
    this.#protection = new Protection(this.#strategy, i32, shardLocks, ThreadRegistry.of(this.handle.registry), (shard) => {
      this.#arena.sync()
      if (shard >= 0) this.#repairLocked(this.#fieldsOf(shard))
      else for (let s = 0; s < this.#shards; s++) this.#repairLocked(this.#fieldsOf(s))
    })
  }

  /**
   * The map behind a handle from another thread. The codec must match the one the
   * map was created with (a user codec must be passed again, by the same name).
   */
  static attach<K extends Key = Key, V = unknown>(handle: SharedMapHandle, options: AttachOptions = {}): SharedMap<K, V> {
    const { i32, registry } = openHandle(Kind.SharedMap, handle, H.GLOBAL_LOCK)
    const invalid = (why: string) => conmapError(ErrorCode.INVALID_HANDLE, `not a usable SharedMap handle: ${why}`)
    if (i32.byteOffset !== 0 || !handle.buffer.growable) throw invalid('the buffer is not a map arena')
    if (i32[H.LAYOUT] !== LAYOUT_VERSION) throw invalid(`layout version ${String(i32[H.LAYOUT])} is not ${LAYOUT_VERSION}`)
    const strategy = Strategy[handle.concurrency]
    if (strategy === undefined || i32[H.STRATEGY] !== strategy) throw invalid('its concurrency does not match the map')
    const bits = i32[H.SHARD_BITS] ?? -1
    const slots = i32[H.READER_SLOTS] ?? -1
    if (bits < 0 || bits > 10 || slots < 1 || slots > 65536) throw invalid('its shard layout is corrupt')
    const locks = lockWordsOf(strategy, slots)
    if (i32[H.SHARD_WORDS] !== shardWords(locks.shard)) throw invalid('its shard layout is corrupt')
    if ((shardsBase(locks.global) + 2 ** bits * shardWords(locks.shard)) * 4 > handle.buffer.byteLength) throw invalid('the buffer is truncated')
    const option = options.codec ?? builtInCodec(handle.codec)
    if (option === undefined) throw conmapError(ErrorCode.INVALID_ARGUMENT, `the map uses the user codec '${handle.codec}': pass it again as attach(handle, { codec })`)
    if (typeof handle.codec !== 'string' || i32[H.CODEC] !== stringHash(handle.codec)) throw invalid('its codec does not match the map')
    const id = codecId(option)
    if (id !== handle.codec) {
      throw conmapError(ErrorCode.INVALID_ARGUMENT, `codec mismatch: the map stores values with '${handle.codec}', not '${id}'`)
    }
    attaching = { handle, codec: resolveCodec(option), registry: ThreadRegistry.of(registry), readCache: options.readCache }
    try {
      return new SharedMap<K, V>()
    } finally {
      attaching = undefined
    }
  }

  /** The strategy chosen at creation. */
  get concurrency(): Concurrency {
    return this.#concurrency
  }

  /**
   * Entries in the map: exact when no writer is active, otherwise a value it had
   * during the call (shards are counted one after another).
   */
  get size(): number {
    this.#enter()
    let size = 0
    for (let shard = 0; shard < this.#shards; shard++) size += Atomics.load(this.#arena.u32, this.#fieldsOf(shard) + S.COUNT)
    return size
  }

  /**
   * The value of key, or undefined. Atomic; never locks under 'optimistic', where an
   * object value comes deeply frozen from this thread's read cache (shared by its
   * callers) unless the cache is off (readCache: 0) or the value cannot be frozen.
   */
  get(key: K): V | undefined {
    const cache = this.#cache
    if (cache !== undefined && inCallback.size === 0) {
      const hit = cache.valid(key, this.#arena.i32)
      if (hit !== undefined) return (hit.decodeEach ? this.#values.finish(hit.value as Raw) : hit.value) as V
    }
    return cache === undefined ? this.#getUncached(key) : this.#getAndRemember(key, cache)
  }

  #getUncached(key: K): V | undefined {
    const raw = this.#load(key)
    return raw === ABSENT ? undefined : (this.#values.finish(raw) as V)
  }

  /** A read-cache miss: the seqlock read, then the entry that later reads will hit. */
  #getAndRemember(key: K, cache: ReadCache): V | undefined {
    const raw = this.#load(key)
    cache.misses++
    if (raw === ABSENT) {
      cache.forget(key)
      return undefined
    }
    const value = this.#values.finish(raw)
    const shared = typeof value !== 'object' || value === null || (this.#values.freezable && freezeDeep(value))
    // A record marked DEAD by a writer that died before unpublishing it is read, not kept.
    if (this.#found.gen === DEAD) cache.forget(key)
    else cache.remember(key, this.#found, shared ? value : raw, !shared)
    // Not shareable: kept encoded and decoded afresh for each caller, this one included,
    // since freezeDeep may have frozen part of the first copy.
    return (shared ? value : this.#values.finish(raw)) as V
  }

  /** Whether key is present. Atomic; never locks under 'optimistic'. */
  has(key: K): boolean {
    if (this.#cache !== undefined && inCallback.size === 0 && this.#cache.valid(key, this.#arena.i32) !== undefined) return true
    return this.#load(key, false) !== ABSENT
  }

  /** Stores value under key. Atomic. */
  set(key: K, value: V): this {
    // #change() specialised by hand: its closure would cost about a tenth of a set.
    const bytes = this.#encode(value)
    const kind = keyKind(key)
    const hash = this.#hash(key, kind)
    const shard = this.#shardOf(hash)
    const fields = this.#lockShard(shard)
    try {
      this.#beginChange(fields)
      try {
        this.#putLocked(fields, this.#tables.locateLocked(fields, key, kind, metaOf(hash)), key, kind, hash, bytes)
      } finally {
        this.#endChange(fields)
      }
    } finally {
      this.#unlockShard(shard)
    }
    // A string or number stored natively reads back as itself: this thread's cached
    // entry can take the new record's generation instead of being read again.
    if (this.#cache !== undefined && typeof bytes !== 'object') this.#cache.refresh(key, this.#found, bytes)
    return this
  }

  /** Removes key; true if it was present. Atomic. */
  delete(key: K): boolean {
    return this.#take(key, false) !== ABSENT
  }

  /** Go's LoadOrStore: the present value, or stores and returns value. Atomic. */
  loadOrStore(key: K, value: V): LoadResult<V> {
    const bytes = this.#encode(value)
    let found: Raw | typeof ABSENT = ABSENT
    this.#change(key, (fields, slot, kind, hash) => {
      if (slot >= 0) found = this.#values.ofRecord(this.#arena.u32[slot + 1] ?? 0)
      else this.#putLocked(fields, slot, key, kind, hash, bytes)
    })
    return found === ABSENT ? { value, loaded: false } : { value: this.#values.finish(found) as V, loaded: true }
  }

  /** Go's LoadAndDelete: removes key and returns the value it had. Atomic. */
  loadAndDelete(key: K): LoadResult<V> {
    const raw = this.#take(key, true)
    return raw === ABSENT ? { value: undefined, loaded: false } : { value: this.#values.finish(raw) as V, loaded: true }
  }

  /** Go's Swap: stores value and returns the previous one. Atomic. */
  swap(key: K, value: V): SwapResult<V> {
    const bytes = this.#encode(value)
    let previous: Raw | typeof ABSENT = ABSENT
    this.#change(key, (fields, slot, kind, hash) => {
      if (slot >= 0) previous = this.#values.ofRecord(this.#arena.u32[slot + 1] ?? 0)
      this.#putLocked(fields, slot, key, kind, hash, bytes)
    })
    return previous === ABSENT ? { previous: undefined, loaded: false } : { previous: this.#values.finish(previous) as V, loaded: true }
  }

  /**
   * Go's CompareAndSwap: stores next if key holds a value whose encoding equals
   * old's. False when absent or different. Atomic.
   */
  compareAndSwap(key: K, old: V, next: V): boolean {
    const expected = this.#encode(old)
    const bytes = this.#encode(next)
    let swapped = false
    this.#change(key, (fields, slot, kind, hash) => {
      if (slot < 0 || !this.#values.recordHolds(this.#arena.u32[slot + 1] ?? 0, expected)) return
      this.#putLocked(fields, slot, key, kind, hash, bytes)
      swapped = true
    })
    return swapped
  }

  /** Go's CompareAndDelete: removes key if its value's encoding equals old's. Atomic. */
  compareAndDelete(key: K, old: V): boolean {
    const expected = this.#encode(old)
    let deleted = false
    this.#change(key, (fields, slot) => {
      if (slot < 0 || !this.#values.recordHolds(this.#arena.u32[slot + 1] ?? 0, expected)) return
      this.#removeLocked(fields, slot)
      deleted = true
    })
    return deleted
  }

  /**
   * Atomic read-modify-write: fn gets the current value (undefined when absent) and
   * returns the new one, or undefined to delete. Returns what fn returned. fn runs
   * holding the key's shard: it must not use this map (ERR_RECURSIVE_UPDATE); if it
   * throws, nothing changes and the shard is released.
   */
  update(key: K, fn: (current: V | undefined) => V | undefined): V | undefined {
    return this.#compute(key, (current) => fn(current === ABSENT ? undefined : (this.#values.finish(current) as V)), false)
  }

  /**
   * The value of key, computing and storing it if absent. The factory runs at most
   * once per absent key across all threads (the others wait for it and get its
   * value); same callback rules as update(). A factory returning undefined stores
   * nothing (as update() deletes on undefined), so the next call runs it again.
   */
  getOrCompute(key: K, factory: (key: K) => V): V {
    const present = this.#load(key)
    if (present !== ABSENT) return this.#values.finish(present) as V
    return this.#compute(key, (current) => (current === ABSENT ? factory(key) : (this.#values.finish(current) as V)), true) as V
  }

  /** Removes every entry, shard by shard (each shard atomically, not the map as a whole). */
  clear(): void {
    for (let shard = 0; shard < this.#shards; shard++) {
      const fields = this.#lockShard(shard)
      try {
        this.#beginChange(fields)
        try {
          this.#tables.clearLocked(fields)
        } finally {
          this.#endChange(fields)
        }
      } finally {
        this.#unlockShard(shard)
      }
    }
  }

  /**
   * Calls fn for entries until it returns false. Go's contract: concurrent writers
   * never make it throw, no key is visited twice, and every key present for the
   * whole call is visited; a key changed meanwhile shows one of its values. fn may
   * use the map.
   */
  range(fn: (key: K, value: V) => boolean | void): void {
    for (const [key, value] of this.entries()) if (fn(key, value) === false) return
  }

  /** Map's forEach, under range()'s contract (each entry read atomically, the whole not). */
  forEach(fn: (value: V, key: K, map: SharedMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) fn.call(thisArg, value, key, this)
  }

  /**
   * Entries, shard by shard, under range()'s contract: each shard is read as one
   * consistent copy when the iterator reaches it; the map as a whole is not frozen
   * (use snapshot() for that). Order is not insertion order.
   */
  *entries(): IterableIterator<[K, V]> {
    for (let shard = 0; shard < this.#shards; shard++) {
      for (const entry of this.#shardEntries(shard, true)) {
        yield [entry.key as K, this.#values.finish(entry.value as Raw) as V]
      }
    }
  }

  /** Keys, under the contract of entries(). */
  *keys(): IterableIterator<K> {
    for (let shard = 0; shard < this.#shards; shard++) {
      for (const entry of this.#shardEntries(shard, false)) yield entry.key as K
    }
  }

  /** Values, under the contract of entries(). */
  *values(): IterableIterator<V> {
    for (const [, value] of this.entries()) yield value
  }

  /** Same as entries(). */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries()
  }

  /**
   * A consistent copy of the whole map at one point in time (atomic across all
   * shards: optimistic validation, or every shard's lock when writers keep moving).
   */
  snapshot(): Map<K, V> {
    this.#enter()
    const copy = this.#snapshotEntries()
    const map = new Map<K, V>()
    for (const entry of copy) map.set(entry.key as K, this.#values.finish(entry.value as Raw) as V)
    return map
  }

  /**
   * Figures about the map: sizes, load, resizes, memory, recoveries, and this
   * thread's optimistic read retries. Read without locks: approximate while writers run.
   */
  stats(): SharedMapStats {
    this.#enter()
    this.#arena.sync()
    const u32 = this.#arena.u32
    const perShard: ShardStats[] = []
    let free = 0
    for (let shard = 0; shard < this.#shards; shard++) {
      const fields = this.#fieldsOf(shard)
      perShard.push({
        size: Atomics.load(u32, fields + S.COUNT),
        capacity: Atomics.load(u32, fields + S.CAP),
        tombstones: Atomics.load(u32, fields + S.TOMBS),
        resizing: Atomics.load(u32, fields + S.OLD) !== 0,
        resizes: Atomics.load(u32, fields + S.RESIZES),
        longestProbe: this.#tables.longestProbe(fields),
      })
      free += this.#arena.freeBytes(fields, 1 << 20)
    }
    const sum = (pick: (s: ShardStats) => number) => perShard.reduce((total, s) => total + pick(s), 0)
    const size = sum((s) => s.size)
    const capacity = sum((s) => s.capacity)
    return {
      concurrency: this.#concurrency,
      shards: this.#shards,
      size,
      capacity,
      load: capacity === 0 ? 0 : size / capacity,
      tombstones: sum((s) => s.tombstones),
      resizes: sum((s) => s.resizes),
      resizing: perShard.filter((s) => s.resizing).length,
      longestProbe: Math.max(0, ...perShard.map((s) => s.longestProbe)),
      bytes: { used: this.#arena.top, reserved: this.#arena.buffer.byteLength, max: this.#arena.buffer.maxByteLength, free },
      recoveries: Atomics.load(this.#arena.i32, H.RECOVERIES),
      optimisticRetries: this.#retries,
      readCache: { entries: this.#cache?.size ?? 0, capacity: this.#cache?.capacity ?? 0, hits: this.#cache?.hits ?? 0, misses: this.#cache?.misses ?? 0 },
      perShard,
    }
  }

  /**
   * Debug check of every internal invariant (tables, counts, records, hashes, free
   * lists), holding every shard's lock; throws ERR_INVARIANT_VIOLATION naming the first
   * broken one.
   */
  checkInvariants(): void {
    this.#enter()
    const shards = Array.from({ length: this.#shards }, (_, shard) => shard)
    this.#withAllShards(() =>
      checkMapInvariants({
        arena: this.#arena,
        shards,
        fieldsOf: (shard) => this.#fieldsOf(shard),
        shardOf: (hash) => this.#shardOf(hash),
        hashStored: (offset, bytes, kind) => hashStoredKey(this.#arena.views, offset, bytes, kind, this.#seed0, this.#seed1),
        find: (fields, key, kind, hash) => this.#tables.find(fields, key, kind, metaOf(hash)),
        heapStart: this.#shardsBase * 4 + this.#shards * this.#shardWords * 4,
        maxCap: maxShardCap(this.#shardBits),
      }),
    )
  }

  get [Symbol.toStringTag](): string {
    return 'SharedMap'
  }

  // ---- reading ----

  /** A private copy of key's value (raw), or ABSENT. withValue=false skips the copy. */
  #load(key: K, withValue = true): Raw | typeof ABSENT {
    this.#enter()
    const kind = keyKind(key)
    const hash = this.#hash(key, kind)
    const meta = metaOf(hash)
    const shard = this.#shardOf(hash)
    const fields = this.#fieldsOf(shard)
    if (this.#strategy === Strategy.optimistic) {
      const arena = this.#arena
      const seqAt = fields + S.SEQ
      for (let attempt = 0; ; attempt++) {
        const before = Atomics.load(arena.i32, seqAt)
        if ((before & 1) === 0) {
          // After the seq: every block of the state it names is then inside the views.
          arena.sync()
          failpoint('read:begun')
          const record = this.#tables.findRacy(fields, key, kind, meta)
          const value = record === 0 ? ABSENT : withValue ? (this.#values.ofRecordRacy(record) ?? TORN) : 0
          // What a read cache would remember, loaded inside the window so that it belongs
          // to the state validated; not loaded when no cache will keep the value.
          const remembered = withValue && value !== ABSENT && this.#cache !== undefined
          const genAt = (record >>> 2) + (R_GEN >>> 2)
          const gen = !remembered || genAt >= arena.i32.length ? DEAD : Atomics.load(arena.i32, genAt)
          const era = remembered ? Atomics.load(arena.i32, fields + S.ERA) : 0
          if (Atomics.load(arena.i32, seqAt) === before && value !== TORN) {
            const found = this.#found
            found.seqAt = seqAt
            found.seq = before
            found.era = era
            found.genAt = genAt
            found.gen = gen
            return value
          }
        }
        this.#retries++
        this.#backOff(shard, seqAt, attempt)
      }
    }
    const token = this.#protection.lockRead(shard)
    try {
      this.#arena.sync()
      failpoint('read:begun')
      const record = this.#tables.find(fields, key, kind, meta)
      return record === 0 ? ABSENT : withValue ? this.#values.ofRecord(record) : 0
    } finally {
      this.#protection.unlockRead(shard, token)
    }
  }

  /**
   * An optimistic reader found its shard changing. Spin first (writers hold a shard
   * for well under a microsecond), then sleep a little, and when the shard stays odd
   * check whether its writer died: then take the shard over and repair it, the one
   * case where a reader writes shared memory.
   */
  #backOff(shard: number, seqAt: number, attempt: number): void {
    if (attempt < 64) return
    const seq = Atomics.load(this.#arena.i32, seqAt)
    if ((seq & 1) === 0) return
    try {
      Atomics.wait(this.#arena.i32, seqAt, seq, 1)
    } catch {
      // A thread that may not block keeps spinning.
    }
    if (attempt % 16 === 0) this.#protection.recoverDeadWriter(shard)
  }

  /** One shard's entries, as one consistent copy. */
  #shardEntries(shard: number, withValues: boolean): Entry[] {
    this.#enter()
    const fields = this.#fieldsOf(shard)
    if (this.#strategy === Strategy.optimistic) {
      const seqAt = fields + S.SEQ
      for (let attempt = 0; attempt < OPTIMISTIC_SHARD_ATTEMPTS; attempt++) {
        const before = Atomics.load(this.#arena.i32, seqAt)
        if ((before & 1) === 0) {
          this.#arena.sync()
          const entries = this.#collect(fields, withValues, true)
          if (entries !== TORN && Atomics.load(this.#arena.i32, seqAt) === before) return entries
        }
        this.#retries++
      }
      return this.#withShard(shard, () => this.#collect(fields, withValues, false) as Entry[])
    }
    const token = this.#protection.lockRead(shard, true)
    try {
      this.#arena.sync()
      return this.#collect(fields, withValues, false) as Entry[]
    } finally {
      this.#protection.unlockRead(shard, token, true)
    }
  }

  #snapshotEntries(): Entry[] {
    const shards = this.#shards
    if (this.#strategy === Strategy.optimistic) {
      for (let attempt = 0; attempt < OPTIMISTIC_SNAPSHOT_ATTEMPTS; attempt++) {
        const seqs = Array.from({ length: shards }, (_, shard) => Atomics.load(this.#arena.i32, this.#fieldsOf(shard) + S.SEQ))
        if (seqs.some((seq) => (seq & 1) === 1)) continue
        this.#arena.sync()
        const all: Entry[] = []
        let torn = false
        for (let shard = 0; shard < shards && !torn; shard++) {
          const entries = this.#collect(this.#fieldsOf(shard), true, true)
          if (entries === TORN) torn = true
          else all.push(...entries)
        }
        if (!torn && seqs.every((seq, shard) => Atomics.load(this.#arena.i32, this.#fieldsOf(shard) + S.SEQ) === seq)) return all
        this.#retries++
      }
      return this.#withAllShards(() => this.#collectAll())
    }
    if (this.#protection.global || this.#strategy === Strategy.none) {
      const token = this.#protection.lockRead(0, true)
      try {
        return this.#collectAll()
      } finally {
        this.#protection.unlockRead(0, token, true)
      }
    }
    const tokens: number[] = []
    try {
      for (let shard = 0; shard < shards; shard++) tokens.push(this.#protection.lockRead(shard))
      return this.#collectAll()
    } finally {
      tokens.forEach((token, shard) => this.#protection.unlockRead(shard, token))
    }
  }

  #collectAll(): Entry[] {
    this.#arena.sync()
    const all: Entry[] = []
    for (let shard = 0; shard < this.#shards; shard++) all.push(...(this.#collect(this.#fieldsOf(shard), true, false) as Entry[]))
    return all
  }

  /**
   * Copies a shard's keys (decoded) and value bytes. racy: with no lock, every word
   * read with Atomics.load, every offset and length bounded, and an impossible one
   * gives TORN (only in a read that validation rejects).
   */
  #collect(fields: number, withValues: boolean, racy: boolean): Entry[] | typeof TORN {
    const u32 = this.#arena.u32
    const load = racy ? (index: number) => Atomics.load(u32, index) : (index: number) => u32[index] ?? 0
    const entries: Entry[] = []
    const seen = new Set<number>()
    const words = u32.length
    for (const [tableAt, capAt] of TABLE_FIELDS) {
      const table = load(fields + tableAt)
      const cap = load(fields + capAt)
      if (table === 0) continue
      if (cap > maxShardCap(this.#shardBits) || (table >>> 2) + 2 * cap > words) return TORN
      for (let i = 0; i < cap; i++) {
        const slot = (table >>> 2) + 2 * i
        if ((load(slot) & 3) !== FULL) continue
        const record = load(slot + 1)
        if (seen.has(record)) continue
        seen.add(record)
        const word = record >>> 2
        if (word + (R_KEY >>> 2) > words) return TORN
        const keyBytes = load(word + (R_KEY_BYTES >>> 2))
        const keyWords = align4(keyBytes) >>> 2
        if (word + (R_KEY >>> 2) + keyWords > words) return TORN
        const kind = load(word + (R_KIND >>> 2)) & 0xff
        const key = racy ? readKey(loadWords(u32, word + (R_KEY >>> 2), keyWords), 0, keyBytes, kind) : readKey(this.#arena.views, record + R_KEY, keyBytes, kind)
        const value = !withValues ? undefined : racy ? (this.#values.ofRecordRacy(record) ?? TORN) : this.#values.ofRecord(record)
        if (value === TORN) return TORN
        entries.push({ key, value })
      }
    }
    return entries
  }

  // ---- writing ----

  /** Locks key's shard and runs body with the key's slot (-1: absent), under an odd seq. */
  #change(key: K, body: (fields: number, slot: number, kind: KeyKind, hash: number) => void): void {
    const kind = keyKind(key)
    const hash = this.#hash(key, kind)
    const shard = this.#shardOf(hash)
    const fields = this.#lockShard(shard)
    try {
      this.#beginChange(fields)
      try {
        body(fields, this.#tables.locateLocked(fields, key, kind, metaOf(hash)), kind, hash)
      } finally {
        this.#endChange(fields)
      }
    } finally {
      this.#unlockShard(shard)
    }
  }

  /** delete / loadAndDelete: removes key, returning its value bytes (copied if wanted). */
  #take(key: K, withValue: boolean): Raw | typeof ABSENT {
    let taken: Raw | typeof ABSENT = ABSENT
    this.#change(key, (fields, slot) => {
      if (slot < 0) return
      taken = withValue ? this.#values.ofRecord(this.#arena.u32[slot + 1] ?? 0) : 0
      this.#removeLocked(fields, slot)
    })
    return taken
  }

  /**
   * update / getOrCompute: fn decides the new value from the current bytes while
   * the shard is locked but its seq is even; the decision is then applied.
   */
  #compute(key: K, fn: (current: Raw | typeof ABSENT) => V | undefined, keepPresent: boolean): V | undefined {
    const kind = keyKind(key)
    const hash = this.#hash(key, kind)
    const meta = metaOf(hash)
    const shard = this.#shardOf(hash)
    const fields = this.#lockShard(shard)
    try {
      const record = this.#tables.find(fields, key, kind, meta)
      const current = record === 0 ? ABSENT : this.#values.ofRecord(record)
      if (keepPresent && current !== ABSENT) return this.#values.finish(current) as V
      inCallback.add(this.#id)
      let next: V | undefined
      try {
        next = fn(current)
      } finally {
        inCallback.delete(this.#id)
      }
      if (next === undefined && (record === 0 || keepPresent)) return next
      const bytes = next === undefined ? undefined : this.#encode(next)
      this.#beginChange(fields)
      try {
        const slot = this.#tables.locateLocked(fields, key, kind, meta)
        if (bytes !== undefined) this.#putLocked(fields, slot, key, kind, hash, bytes)
        else if (slot >= 0) this.#removeLocked(fields, slot)
      } finally {
        this.#endChange(fields)
      }
      return next
    } finally {
      this.#unlockShard(shard)
    }
  }

  /**
   * Writes a record for key and value and publishes it in slot (-1: as a new key).
   * Into fresh memory with plain stores; into a reused block that optimistic readers
   * may be reading, through a private scratch stored with Atomics (words.ts).
   */
  #putLocked(fields: number, slot: number, key: Key, kind: KeyKind, hash: number, value: Encoded): void {
    if (slot < 0) this.#tables.reserveLocked(fields)
    const arena = this.#arena
    const values = this.#values
    const keyBytes = encodedKeyBytes(key, kind)
    const tag = values.tagOf(value)
    const valueBytes = values.byteLength(value, tag)
    const bytes = recordBytes(keyBytes, valueBytes)
    const record = arena.allocLocked(fields, bytes)
    const atomic = arena.racy && arena.reused
    const views = atomic ? scratchFor(align4(bytes)) : arena.views
    const at = atomic ? 0 : record
    const word = at >>> 2
    views.u32[word + (R_KEY_BYTES >>> 2)] = keyBytes
    views.u32[word + (R_KIND >>> 2)] = kind | (tag << 8)
    views.u32[word + (R_VALUE_BYTES >>> 2)] = valueBytes
    // The seq is odd during the change, so never DEAD; the change ends at gen + 1.
    const gen = (arena.i32[fields + S.SEQ] ?? 0) | 1
    views.u32[word + (R_GEN >>> 2)] = gen
    const found = this.#found
    found.seqAt = fields + S.SEQ
    found.seq = (gen + 1) | 0
    found.era = arena.i32[fields + S.ERA] ?? 0
    found.genAt = (record >>> 2) + (R_GEN >>> 2)
    found.gen = gen
    writeKey(key, kind, views, at + R_KEY)
    values.write(value, tag, views, at + R_KEY + align4(keyBytes))
    if (atomic) storeWords(arena.u32, record >>> 2, views.u32, align4(bytes) >>> 2)
    failpoint('put:record-written')
    if (slot < 0) this.#tables.insertLocked(fields, metaOf(hash), record)
    else this.#tables.replaceLocked(fields, slot, record)
  }

  #removeLocked(fields: number, slot: number): void {
    this.#tables.removeLocked(fields, slot)
    this.#tables.maybeShrinkLocked(fields)
  }

  // ---- locks and checks ----

  /** Write-locks shard (the map, for map-wide locks); Protection repairs after a dead holder. */
  #lockShard(shard: number): number {
    this.#enter()
    this.#protection.lockWrite(shard)
    this.#arena.sync()
    return this.#fieldsOf(shard)
  }

  #unlockShard(shard: number): void {
    this.#protection.unlockWrite(shard)
  }

  #withShard<T>(shard: number, fn: () => T): T {
    this.#lockShard(shard)
    try {
      return fn()
    } finally {
      this.#unlockShard(shard)
    }
  }

  /** Runs fn holding every shard (in index order, so two such callers cannot deadlock). */
  #withAllShards<T>(fn: () => T): T {
    if (this.#protection.global) return this.#withShard(0, fn)
    let held = 0
    try {
      for (; held < this.#shards; held++) this.#lockShard(held)
      return fn()
    } finally {
      for (let shard = 0; shard < held; shard++) this.#unlockShard(shard)
    }
  }

  #repairLocked(fields: number): void {
    Atomics.add(this.#arena.i32, H.RECOVERIES, 1)
    const seq = Atomics.load(this.#arena.i32, fields + S.SEQ)
    if (seq & 1) Atomics.store(this.#arena.i32, fields + S.SEQ, seq + 1)
    this.#beginChange(fields)
    try {
      this.#tables.repairLocked(fields)
    } finally {
      this.#endChange(fields)
    }
  }

  #beginChange(fields: number): void {
    const i32 = this.#arena.i32
    // The era moves inside the change whose opening increment passes 1 mod 2^30, so
    // before any even seq after it (read caches only remember even ones: layout.ts).
    if (((Atomics.add(i32, fields + S.SEQ, 1) + 1) & ERA_MASK) === 1) Atomics.add(i32, fields + S.ERA, 1)
  }

  #endChange(fields: number): void {
    Atomics.add(this.#arena.i32, fields + S.SEQ, 1)
  }

  /** Every public call starts here: refuses re-entry from a callback and a poisoned map. */
  #enter(): void {
    if (inCallback.size !== 0 && inCallback.has(this.#id)) {
      throw conmapError(ErrorCode.RECURSIVE_UPDATE, 'an update/getOrCompute callback used the map it is updating (it runs holding the shard)')
    }
    if (this.#strategy === Strategy.none) this.#protection.checkPoison()
  }

  #encode(value: V): Encoded {
    return this.#values.encode(value)
  }

  #hash(key: Key, kind: KeyKind): number {
    return hashKey(key, kind, this.#seed0, this.#seed1)
  }

  #shardOf(hash: number): number {
    return this.#shardBits === 0 ? 0 : hash >>> (32 - this.#shardBits)
  }

  /** Int32 index of shard's fields (just past its lock). */
  #fieldsOf(shard: number): number {
    return this.#shardsBase + shard * this.#shardWords + this.#lockWords
  }
}

const TABLE_FIELDS = [
  [S.TABLE, S.CAP],
  [S.OLD, S.OLD_CAP],
] as const

let attaching: { handle: SharedMapHandle; codec: Codec<unknown>; registry: ThreadRegistry; readCache: number | undefined } | undefined
