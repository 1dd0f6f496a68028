/**
 * The memory layout of a SharedMap: one growable SharedArrayBuffer (the arena)
 * holding a header, one descriptor per shard, and blocks allocated from the arena
 * for hash tables and entry records. Offsets are byte offsets (u32) into the arena;
 * every block is 8-byte aligned. Word indexes below are Int32 indexes.
 *
 * Header (word index):
 *   0 magic (Kind.SharedMap)      1 layout version          2 strategy id
 *   3 shard bits (shards = 2^b)   4-5 hash seed (HalfSipHash key, per map, random)
 *   6 codec id hash               7 poison: 0, or the code of a misuse detected under 'none'
 *   8 top: first never-allocated byte (bump pointer, u32)
 *   9 reader slots R of each RWLock
 *   10-11 grow lock (lock word): serialises SharedArrayBuffer.grow
 *   12 none-writer: owner id of the thread inside a write ('none' only)
 *   13 none-seq: odd while a write is in progress ('none' only)
 *   14 none-repairer: owner id of the thread finishing a dead writer's write, else 0
 *      ('none' only: other threads wait for it instead of reporting a misuse)
 *   15-16 map id (random; tells two maps apart in per-thread state)
 *   17 words per shard descriptor
 *   18 recoveries: shards repaired after a thread died holding them (a statistic)
 *   19 cache: 0 for a plain map; else CACHE_RECORDS, and the eviction policy
 *      (Eviction) in bits 1-2 when the map is bounded
 *   20 maxEntries (0: unbounded)     21-22 default ttl in ms (hi, lo; 0: none)
 *   23 live: entries of a bounded map, counted before the insert that adds one
 *      (evict.ts), so the bound holds under every interleaving
 *   24 recount: 1 when a dead writer may have left `live` off by its reservation
 *   25 sweeper: owner id of the thread elected to sweep (sweeper.ts), else 0
 *   26 sweeper's heartbeat: Date.now() of its last tick, low 32 bits
 *   27 sweep cursor: the shard the sweeper goes on from
 *   28 eviction cursor: the shard a writer whose own shard is empty evicts from next
 *   29 expirations   30 evictions   31 sweeps (statistics)
 *   32 flight tokens: the last token handed to a computation (flight.ts)
 *   33 computations   34 joins (statistics of getOrComputeAsync)
 *   35-36 unused (room for more words)
 *   37 metrics: byte offset of the metrics region (metrics: true), 0 when off. The
 *      region lies between the shard descriptors and the first tables: a header,
 *      an owner table of R two-word slots, and R + 1 rows of 176 + 4W Float64 cells,
 *      on whole cache lines, one row per thread that writes only its own
 *      (src/metrics/layout.ts derives them: 225 247 bytes with the defaults R = 64, W = 64)
 *   38-39 generation clock, one 64-bit word (BigInt64 index 19): positions taken so
 *      far; the shards take record generations from it GEN_BATCH at a time, so no
 *      two records of the map get the same position (generations.ts). 8-aligned, and
 *      keeps the global lock 8-byte aligned
 *   40.. global lock: a lock word ('mutex'), an RWLock ('rwmutex'), else nothing
 *
 * Shard descriptor (words from the shard's base; L = lock words of the strategy:
 * 2 for 'optimistic' (a lock word), 8 + 2R for 'sharded' (an RWLock), 0 otherwise):
 *   0 ..< L   the shard lock
 *   L+0 seq: even when stable, odd while a writer changes the shard ('optimistic';
 *       every strategy bumps it, so that stats and iteration can use it)
 *   L+1 count: live entries      L+2 tombstones in the current table
 *   L+3 table (byte offset)      L+4 cap: slots of the table (a power of two)
 *   L+5 old table during a resize, else 0        L+6 old cap
 *   L+7 evacuation cursor: old slots below it have been moved
 *   L+8 resizes (a statistic)
 *   L+9 clearing: 1 from the start of a clear() of the shard to its end, so that a
 *       thread taking over from a writer that died in it finishes it (tables.ts)
 *   L+10 era: counts the seq's passes through 1 mod 2^30, incremented by the change
 *       whose opening increment passes it, before that change ends, so that (seq, era)
 *       with an even seq never repeats: the seq alone comes back after 2^31 changes,
 *       and the era moves 4 times in between. Read caches remember the pair of a
 *       stable (even) state they validated against (read-cache.ts)
 *   L+11 queue head, L+12 queue tail: the oldest and newest records of a cache
 *       map's shard, in write order, linked through their X_PREV / X_NEXT words
 *   L+13 SIEVE hand: the record the 'sieve' policy examines next (0: from the head)
 *   L+14 sweep cursor: the slot of the current table the sweep goes on from
 *   L+15 pending: records of computations in flight (flight.ts), counted in L+1 but
 *       not in the map's size
 *   L+16 flights: a futex word, moved and notified whenever a computation of the
 *       shard ends or its pending record goes; getOrComputeAsync waiters wait on it
 *   L+17 failed flight's token, L+18 its waiters yet to read it, L+19 the block of
 *       its error: the last rejected computation of the shard, kept for its waiters
 *   L+20 next generation of the shard's batch (a multiple of GEN_BATCH: used up),
 *   L+21 the batch's epoch (generations.ts)
 *   L+22 ..< L+22+CLASS_COUNT  free-list heads, one per size class
 *
 * Table: cap slots of two words [meta, record offset]. meta is EMPTY (0),
 * TOMBSTONE (1) or FULL: the key's 32-bit hash with its low two bits replaced by 2.
 * The slot index of a hash is (hash >>> 2) & (cap - 1) and its shard is
 * hash >>> (32 - shard bits): disjoint bits while log2(cap) <= 30 - shard bits,
 * which bounds a shard's table (maxShardCap).
 *
 * Record (bytes): 0 key bytes | 4 key kind (low byte), value tag (next byte,
 * values.ts), the size class of the record's block (third byte: a block may be
 * larger than the record needs, alloc.ts) and the low 8 bits of the generation's
 * epoch (fourth byte: generations.ts; readers of the other three mask it off)
 * | 8 value bytes | 12 generation | 16 key body, padded to 4 | value.
 * Word 4's fourth byte and word 12 hold the record's position on the map's clock
 * mod 2^39 (8 + 31 bits), from which versions.ts derives the key's version.
 * A record is written completely before the one store that makes it reachable (the
 * slot's meta for a new key, its record offset for a new value), so no reader and
 * no dead writer ever exposes half of one, and it is never edited afterwards: a
 * change writes a new record. Only the generation word changes: it holds a
 * generation no other record of the map had (nonzero, 31 bits: GEN_MASK), taken
 * from the map's clock (header words 38-39) through the shard's batch, and the change
 * that unpublishes the record stores 0 there (Atomics.store, on every strategy)
 * before the store that unpublishes it. So "word 12 still holds g" (REF aside)
 * means "the record written with g is still its key's record": one Atomics.load
 * validates a value that a thread decoded earlier (read-cache.ts), whichever shard
 * reused the block meanwhile (arena.ts: blocks move between shards). A generation
 * comes back only after 2^31 records have been written into the map, and then must
 * land in the very block that had it. The free-list link overwrites word 0, never
 * word 12.
 *
 * Cache records (maps made with ttl or maxEntries: header word 19) have X_BYTES
 * more below the record offset, so that a plain map's records and every reader's
 * offsets stay as they are (the block starts at record - X_BYTES):
 *   -16 deadline, hi and -12 lo: Date.now() ms from which the entry is expired, or
 *       0 (never). Written with the record, never edited: touch() writes a new record
 *   -8 previous and -4 next record in the shard's queue (0: none). Edited under the
 *       shard lock as neighbours come and go; no reader ever reads them
 * The free-list link overwrites the block's first word (the deadline's hi half of a
 * freed record), never the record's own words.
 * A computation in flight (getOrComputeAsync) is a record of its key with the value
 * tag PENDING and the attempt's owner, token, lease and waiters as its value (flight.ts).
 * The 'sieve' policy's reference bit is the generation word's top bit (REF): a
 * reader sets it with a compareExchange from the generation it validated, which
 * can only succeed on that record (a freed block's word 12 holds DEAD, a newer
 * generation, or, in a table, an 8-aligned record offset), so no reader store ever
 * lands in reused memory. Generations are therefore 31-bit (GEN_MASK).
 *
 * Stores under a shard's write lock are Atomics.store wherever an optimistic reader
 * may be reading (Arena.store, words.ts; the argument is in read.ts), and plain
 * in fresh, unpublished memory and in maps whose readers take locks.
 */
import { LOCK_WORDS } from '../sync/lock-word.js'
import { rwLockWords } from '../sync/rw-lock.js'

export const LAYOUT_VERSION = 6

/** How a map keeps threads apart (SharedMapOptions.concurrency). */
export type Concurrency = 'optimistic' | 'sharded' | 'rwmutex' | 'mutex' | 'none'

export const Strategy = {
  optimistic: 1,
  sharded: 2,
  rwmutex: 3,
  mutex: 4,
  none: 5,
} as const satisfies Record<Concurrency, number>
export type StrategyId = (typeof Strategy)[Concurrency]

export const H = {
  MAGIC: 0,
  LAYOUT: 1,
  STRATEGY: 2,
  SHARD_BITS: 3,
  SEED0: 4,
  SEED1: 5,
  CODEC: 6,
  POISON: 7,
  TOP: 8,
  READER_SLOTS: 9,
  GROW_LOCK: 10,
  NONE_WRITER: 12,
  NONE_SEQ: 13,
  NONE_REPAIRER: 14,
  MAP_ID0: 15,
  MAP_ID1: 16,
  SHARD_WORDS: 17,
  RECOVERIES: 18,
  CACHE: 19,
  MAX_ENTRIES: 20,
  TTL_HI: 21,
  TTL_LO: 22,
  LIVE: 23,
  RECOUNT: 24,
  SWEEPER: 25,
  SWEEPER_BEAT: 26,
  SWEEP_SHARD: 27,
  EVICT_SHARD: 28,
  EXPIRATIONS: 29,
  EVICTIONS: 30,
  SWEEPS: 31,
  FLIGHT_TOKEN: 32,
  COMPUTATIONS: 33,
  JOINS: 34,
  METRICS: 37,
  GEN_CLOCK: 38,
  GLOBAL_LOCK: 40,
} as const

/** Shard fields, as offsets from the end of the shard lock. */
export const S = {
  SEQ: 0,
  COUNT: 1,
  TOMBS: 2,
  TABLE: 3,
  CAP: 4,
  OLD: 5,
  OLD_CAP: 6,
  EVAC: 7,
  RESIZES: 8,
  CLEARING: 9,
  ERA: 10,
  HEAD: 11,
  TAIL: 12,
  HAND: 13,
  SWEEP_AT: 14,
  PENDING: 15,
  FLIGHTS: 16,
  FAIL_TOKEN: 17,
  FAIL_LEFT: 18,
  FAIL_ERROR: 19,
  GEN_NEXT: 20,
  GEN_EPOCH: 21,
  FREE: 22,
} as const

export const EMPTY = 0
export const TOMBSTONE = 1
export const FULL = 2
export const SLOT_BYTES = 8
export const MIN_CAP = 8

export const R_KEY_BYTES = 0
export const R_KIND = 4
export const R_VALUE_BYTES = 8
export const R_GEN = 12

/** The value tag in a record's kind word (R_KIND). */
export function tagOfKindWord(word: number): number {
  return (word >>> 8) & 0xff
}

/** The size class of the record's block, in its kind word. */
export function classOfKindWord(word: number): number {
  return (word >>> 16) & 0xff
}
export const R_KEY = 16
/** Header word 19: the map's records carry the cache words below them. */
export const CACHE_RECORDS = 1
/** Eviction policies of a bounded map (header word 19, bits 1-2). */
/** Which entry a bound evicts (SharedMapOptions.eviction). */
export type EvictionPolicy = 'fifo' | 'sieve'
export const Eviction = { fifo: 1, sieve: 2 } as const satisfies Record<EvictionPolicy, number>
export const X_BYTES = 16
export const X_DEADLINE_HI = -16
export const X_DEADLINE_LO = -12
export const X_PREV = -8
export const X_NEXT = -4

/** The 'sieve' reference bit in a generation word, and the generation's own bits. */
export const REF = 0x80000000 | 0
export const GEN_MASK = 0x7fffffff
/** The generation of a record whose change unpublished it (or is unpublishing it). */
export const DEAD = 0
/** The era moves in the change whose opening increment makes seq & ERA_MASK equal 1. */
export const ERA_MASK = 0x3fffffff

export function metaOf(hash: number): number {
  return (hash & ~3) | FULL
}

export function recordBytes(keyBytes: number, valueBytes: number): number {
  return R_KEY + align4(keyBytes) + valueBytes
}

export function align4(n: number): number {
  return (n + 3) & ~3
}

export function align8(n: number): number {
  return (n + 7) & ~7
}

/**
 * Size classes of arena blocks: 16, 24, 32, 48, 64, 96, … (2^k and 1.5·2^k), so a
 * block wastes under a third of itself. 56 classes reach 3·2^30 bytes.
 */
export const CLASS_COUNT = 56

export function classOf(bytes: number): number {
  if (bytes <= 16) return 0
  const k = 31 - Math.clz32(bytes - 1) // 2^k < bytes <= 2^(k+1), 4 <= k <= 31
  return bytes <= 3 * (1 << (k - 1)) ? 2 * (k - 4) + 1 : 2 * (k - 3)
}

const CLASS_BYTES = Array.from({ length: CLASS_COUNT }, (_, cls) => {
  const k = (cls >> 1) + 4
  return cls & 1 ? 3 * 2 ** (k - 1) : 2 ** k
})

export function classBytes(cls: number): number {
  return CLASS_BYTES[cls] ?? Infinity
}

export function lockWordsOf(strategy: StrategyId, readerSlots: number): { global: number; shard: number } {
  switch (strategy) {
    case Strategy.optimistic:
      return { global: 0, shard: LOCK_WORDS }
    case Strategy.sharded:
      return { global: 0, shard: rwLockWords(readerSlots) }
    case Strategy.rwmutex:
      return { global: rwLockWords(readerSlots), shard: 0 }
    case Strategy.mutex:
      return { global: LOCK_WORDS, shard: 0 }
    case Strategy.none:
      return { global: 0, shard: 0 }
  }
}

/** Words of a shard descriptor, kept even so every descriptor is 8-byte aligned. */
export function shardWords(lockWords: number): number {
  return (lockWords + S.FREE + CLASS_COUNT + 1) & ~1
}

/** Largest table a shard may have (see the slot index and shard bits above). */
export function maxShardCap(shardBits: number): number {
  return 2 ** Math.min(28, 30 - shardBits)
}
