/**
 * MapCore: one thread's handle on a SharedMap's memory, shared by the files that
 * hold the map's protocols: read.ts (lookups, the seqlock read), write.ts (changes
 * and the atomic operations), iterate.ts (iteration and snapshots), inspect.ts
 * (stats and invariant checks). shared-map.ts is the public face over it.
 *
 * The core holds what every protocol needs: the arena and its views, the shard
 * geometry, the tables, the protection strategy, this thread's read cache, and
 * the shard's lock, change (seq) and repair steps. The memory layout is in
 * layout.ts; why the seqlock is correct is in read.ts.
 */
import { hashKey, type Codec, type Key, type KeyKind } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import type { SharedMapHandle } from './types.js'
import { ThreadRegistry } from '../sync/threads.js'
import { Arena } from './arena.js'
import { CACHE_RECORDS, DEAD, ERA_MASK, Eviction, H, S, Strategy, X_BYTES, lockWordsOf, maxShardCap, type Concurrency, type StrategyId } from './layout.js'
import { ShardQueues } from './queue.js'
import { shardsBase } from './create.js'
import { Protection } from './protection.js'
import { ShardTables } from './tables.js'
import { Values, type Encoded } from './values.js'
import { readCacheFor, type Found, type ReadCache } from './read-cache.js'
import { Recorder, regionOf, type Region } from '../metrics/recorder.js'

/** Maps whose callbacks are running on this thread, by map id. */
export const inCallback = new Set<string>()

/** What a core is made from: a new map's memory, or an attached handle's. */
export interface Opened {
  readonly handle: SharedMapHandle
  readonly arena: Arena
  readonly codec: Codec<unknown>
  readonly readCache: number | undefined
  readonly sweeper: boolean | undefined
  /** This thread's bound on each lock wait, in ms (validated: create.ts lockTimeoutOption). */
  readonly lockTimeout: number
}

export class MapCore {
  readonly handle: SharedMapHandle
  readonly arena: Arena
  readonly strategy: StrategyId
  readonly concurrency: Concurrency
  readonly values: Values
  readonly shardBits: number
  readonly shards: number
  readonly shardsBase: number
  readonly shardWords: number
  readonly lockWords: number
  readonly seed0: number
  readonly seed1: number
  /** Tells maps apart in per-thread state (callbacks in progress). */
  readonly id: string
  readonly tables: ShardTables
  readonly protection: Protection
  readonly cache: ReadCache | undefined
  /** Whether records carry the cache words (deadline, queue links) below them. */
  readonly cacheRecords: boolean
  /** Bytes of a record's block below the record: X_BYTES for cache records, else 0. */
  readonly below: number
  /** The bound on live entries, or 0. */
  readonly maxEntries: number
  readonly sieve: boolean
  /** The map's default ttl in ms (0: none). */
  readonly ttl: number
  readonly queues: ShardQueues
  /** The map's metrics region and this thread's recorder, when made with metrics (header word 39). */
  readonly metricsRegion: Region | undefined
  readonly metrics: Recorder | undefined
  /** Validation retries of this thread's optimistic reads. */
  retries = 0
  /** What the last validated optimistic read, or the last write, found (read-cache.ts). */
  readonly found: Found = { seqAt: 0, seq: 0, era: 0, genAt: 0, gen: DEAD, deadline: 0 }

  constructor(opened: Opened) {
    this.handle = opened.handle
    this.arena = opened.arena
    this.values = new Values(opened.codec, opened.handle.codec, opened.arena)
    this.concurrency = opened.handle.concurrency
    this.cache = readCacheFor(opened.readCache, this.concurrency === 'optimistic')
    const i32 = opened.arena.i32
    this.strategy = i32[H.STRATEGY] as StrategyId
    this.shardBits = i32[H.SHARD_BITS] ?? 0
    this.shards = 2 ** this.shardBits
    this.seed0 = i32[H.SEED0] ?? 0
    this.seed1 = i32[H.SEED1] ?? 0
    this.id = `${i32[H.MAP_ID0]}:${i32[H.MAP_ID1]}`
    const locks = lockWordsOf(this.strategy, i32[H.READER_SLOTS] ?? 0)
    this.lockWords = locks.shard
    this.shardWords = i32[H.SHARD_WORDS] ?? 0
    this.shardsBase = shardsBase(locks.global)
    const cache = i32[H.CACHE] ?? 0
    this.cacheRecords = (cache & CACHE_RECORDS) !== 0
    this.below = this.cacheRecords ? X_BYTES : 0
    this.maxEntries = opened.arena.u32[H.MAX_ENTRIES] ?? 0
    this.sieve = cache >>> 1 === Eviction.sieve
    this.ttl = (opened.arena.u32[H.TTL_HI] ?? 0) * 2 ** 32 + (opened.arena.u32[H.TTL_LO] ?? 0)
    this.queues = new ShardQueues(opened.arena, this.sieve)
    this.tables = new ShardTables(opened.arena, maxShardCap(this.shardBits), this.below)
    const shardLocks = Array.from({ length: this.shards }, (_, s) => this.shardsBase + s * this.shardWords)
    const registry = ThreadRegistry.of(this.handle.registry)
    this.protection = new Protection(this.strategy, i32, shardLocks, registry, (shard) => {
      this.arena.sync()
      if (shard >= 0) this.repairLocked(this.fieldsOf(shard))
      else for (let s = 0; s < this.shards; s++) this.repairLocked(this.fieldsOf(s))
    }, opened.lockTimeout)
    const region = i32[H.METRICS] ?? 0
    this.metricsRegion = region === 0 ? undefined : regionOf(opened.arena.buffer, region, registry)
    this.metrics = this.metricsRegion === undefined ? undefined : new Recorder(this.metricsRegion)
    this.protection.waits = this.metrics
  }

  get optimistic(): boolean {
    return this.strategy === Strategy.optimistic
  }

  /** Every public call starts here: refuses re-entry from a callback and a poisoned map. */
  enter(): void {
    if (inCallback.size !== 0 && inCallback.has(this.id)) {
      throw conmapError(ErrorCode.RECURSIVE_UPDATE, 'an update/getOrCompute callback used the map it is updating (it runs holding the shard)')
    }
    if (this.strategy === Strategy.none) this.protection.checkPoison()
  }

  encode(value: unknown): Encoded {
    return this.values.encode(value)
  }

  hash(key: Key, kind: KeyKind): number {
    return hashKey(key, kind, this.seed0, this.seed1)
  }

  shardOf(hash: number): number {
    return this.shardBits === 0 ? 0 : hash >>> (32 - this.shardBits)
  }

  /** Int32 index of shard's fields (just past its lock). */
  fieldsOf(shard: number): number {
    return this.shardsBase + shard * this.shardWords + this.lockWords
  }

  /**
   * Write-locks shard (the map, for map-wide locks); Protection repairs after a dead
   * holder. ERR_LOCK_TIMEOUT after the map's lockTimeout, before anything changed.
   */
  lockShard(shard: number): number {
    this.enter()
    this.protection.lockWrite(shard)
    this.arena.sync()
    return this.fieldsOf(shard)
  }

  /** lockShard() without waiting: the shard's fields, or -1 when another thread holds it. */
  tryLockShard(shard: number): number {
    this.enter()
    if (!this.protection.tryLockWrite(shard)) return -1
    this.arena.sync()
    return this.fieldsOf(shard)
  }

  unlockShard(shard: number): void {
    this.protection.unlockWrite(shard)
  }

  withShard<T>(shard: number, fn: () => T): T {
    this.lockShard(shard)
    try {
      return fn()
    } finally {
      this.unlockShard(shard)
    }
  }

  /** Runs fn holding every shard (in index order, so two such callers cannot deadlock). */
  withAllShards<T>(fn: () => T): T {
    if (this.protection.global) return this.withShard(0, fn)
    let held = 0
    try {
      for (; held < this.shards; held++) this.lockShard(held)
      return fn()
    } finally {
      for (let shard = 0; shard < held; shard++) this.unlockShard(shard)
    }
  }

  /** Opens a change of the shard: its seq goes odd (call holding the shard's lock). */
  beginChangeLocked(fields: number): void {
    const i32 = this.arena.i32
    // The era moves inside the change whose opening increment passes 1 mod 2^30, so
    // before any even seq after it (read caches only remember even ones: layout.ts).
    if (((Atomics.add(i32, fields + S.SEQ, 1) + 1) & ERA_MASK) === 1) Atomics.add(i32, fields + S.ERA, 1)
  }

  endChangeLocked(fields: number): void {
    Atomics.add(this.arena.i32, fields + S.SEQ, 1)
  }

  /** Runs body as one change of the shard (its seq odd throughout). */
  changeLocked<T>(fields: number, body: () => T): T {
    this.beginChangeLocked(fields)
    try {
      return body()
    } finally {
      this.endChangeLocked(fields)
    }
  }

  /** Finishes what a thread that died holding the shard left: an odd seq, a cut-short resize or clear. */
  repairLocked(fields: number): void {
    Atomics.add(this.arena.i32, H.RECOVERIES, 1)
    const seq = Atomics.load(this.arena.i32, fields + S.SEQ)
    if (seq & 1) Atomics.store(this.arena.i32, fields + S.SEQ, seq + 1)
    this.changeLocked(fields, () => {
      this.tables.repairLocked(fields)
      if (!this.cacheRecords) return
      const records: number[] = []
      this.tables.forEachLocked(fields, (_, record) => records.push(record))
      this.queues.rebuildLocked(fields, records)
      // The dead writer may have counted an entry in `live` that it never added.
      if (this.maxEntries !== 0) Atomics.store(this.arena.i32, H.RECOUNT, 1)
    })
  }
}
