/**
 * A thread's cache of values it decoded from a SharedMap, validated against shared
 * memory on every hit.
 *
 * Records are never edited after publication, and a record's generation word holds
 * a nonzero value from its writing until the change that unpublishes it stores 0
 * there, before unpublishing it (layout.ts). An entry remembers the value, where its
 * record's generation word is and what it held, and the (seq, era) pair of its
 * shard in a stable state in which the record was the key's. A hit is either:
 *   1. the shard's seq and era are still that pair (two loads of one cache line that
 *      stays hot while nobody writes the shard): no change began since that state,
 *      so it is still current. The seq load is the linearization point: it reads the
 *      increment that ended that state, so every later change's opening increment
 *      comes after it. (seq, era) never repeats (layout.ts: the era moves 4 times
 *      while the seq goes round once).
 *   2. or the generation word still holds the generation: the record is still the
 *      key's. That load is the linearization point: it comes after the record's
 *      publication (this thread saw it) and before the store of 0 that precedes the
 *      record's unpublication (or it would not read the old generation), in the one
 *      order of SeqCst accesses to that word. If the seq just
 *      loaded (before the generation) was even, the entry may take it and the era as
 *      its new pair: the record was the key's in that stable state too. It does so
 *      only when fewer than 32 changes came since its last stamp: the era costs one
 *      more load, which a shard written all the time would make a load for nothing,
 *      as its seq moves again before the key's next read (one thread, 90% get / 10%
 *      set over 100k keys: 386 -> 306 ns per operation). An entry left unstamped
 *      still takes two loads per hit (seq and generation), as path 1 does.
 * No lock, no shared write, no hash, no probe, no copy, no decode. The record's
 * word is a random access into the arena, the shard's words are not: path 1 is the
 * cheap one, taken while the shard is not written.
 *
 * Keys: Map's SameValueZero is the map's key equality (codec/key.ts: -0 is 0, NaN is
 * NaN, 1 and 1n differ), so the cache keys by the key itself; V8 caches a string's
 * hash in the string, so a hit costs one Map.get here.
 *
 * Bound: at most `capacity` entries. Eviction is CLOCK (second chance) over the
 * Map's insertion order: a hit sets the entry's bit; a full cache takes its oldest
 * entry, and one whose bit is set gets the bit cleared and goes to the back instead
 * of out. A hit costs one field store; there is no list to maintain.
 *
 * Values: strings, numbers and other primitives are kept as they are. Objects are
 * kept deeply frozen (frozen.ts) and handed to every caller: one caller cannot
 * change what another reads. A value that cannot be frozen (a Map, a Date, a typed
 * array, ...), and any value of a user codec (whose decoded shapes are unknown), is
 * kept as its private encoded copy and decoded anew for each read.
 */
import type { Key } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { GEN_MASK, S } from './layout.js'

/** What a validated read found: the state it validated against, and its record's generation. */
export interface Found {
  /** Int32 index of the shard's seq word. */
  seqAt: number
  seq: number
  era: number
  /** Int32 index of the record's generation word. */
  genAt: number
  /** The generation without the 'sieve' reference bit. */
  gen: number
  /** Date.now() ms from which the entry is expired, or 0 (layout.ts). */
  deadline: number
}

export interface CachedValue extends Found {
  /** The value, or (decodeEach) its private encoded bytes. */
  value: unknown
  decodeEach: boolean
  /** CLOCK's reference bit. */
  ref: boolean
  /**
   * 'sieve' maps: the shard seq at which this thread last made sure the record's
   * reference bit was set (-1: never). The policy's hand clears bits only inside
   * changes of the shard, so while the seq stays there the bit is still set.
   */
  refSeq: number
}

const ERA_FROM_SEQ = S.ERA - S.SEQ
/** 32 changes (each moves the seq by 2). */
const RESTAMP_WITHIN = 64

export class ReadCache {
  readonly capacity: number
  readonly #entries = new Map<Key, CachedValue>()
  hits = 0
  misses = 0

  constructor(capacity: number) {
    this.capacity = capacity
  }

  get size(): number {
    return this.#entries.size
  }

  /** The entry of key if it is still the key's value (see the overview). */
  valid(key: Key, i32: Int32Array): CachedValue | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    // An expired entry is a miss: the read from shared memory then finds it absent.
    if (entry.deadline !== 0 && Date.now() >= entry.deadline) return undefined
    const seq = Atomics.load(i32, entry.seqAt)
    if (seq !== entry.seq || Atomics.load(i32, entry.seqAt + ERA_FROM_SEQ) !== entry.era) {
      if ((Atomics.load(i32, entry.genAt) & GEN_MASK) !== entry.gen) return undefined
      if ((seq & 1) === 0 && ((seq - entry.seq) >>> 0) < RESTAMP_WITHIN) {
        entry.seq = seq
        entry.era = Atomics.load(i32, entry.seqAt + ERA_FROM_SEQ)
      }
    }
    entry.ref = true
    this.hits++
    return entry
  }

  /** Remembers key's value, found by a validated read (or written by this thread). */
  remember(key: Key, found: Found, value: unknown, decodeEach: boolean): void {
    const entries = this.#entries
    const entry = entries.get(key)
    if (entry !== undefined) {
      assign(entry, found, value, decodeEach)
      return
    }
    if (entries.size >= this.capacity) this.#evictOne()
    entries.set(key, assign({ seqAt: 0, seq: 0, era: 0, genAt: 0, gen: 0, deadline: 0, value: undefined, decodeEach: false, ref: false, refSeq: -1 }, found, value, decodeEach))
  }

  /** Points an entry that key already has at a record this thread just wrote with value. */
  refresh(key: Key, found: Found, value: unknown): void {
    const entry = this.#entries.get(key)
    if (entry !== undefined) assign(entry, found, value, false)
  }

  forget(key: Key): void {
    this.#entries.delete(key)
  }

  #evictOne(): void {
    const entries = this.#entries
    for (;;) {
      const oldest = entries.entries().next()
      if (oldest.done === true) return
      const [key, entry] = oldest.value
      entries.delete(key)
      if (!entry.ref) return
      entry.ref = false
      entries.set(key, entry)
    }
  }
}

function assign(entry: CachedValue, found: Found, value: unknown, decodeEach: boolean): CachedValue {
  entry.seqAt = found.seqAt
  entry.seq = found.seq
  entry.era = found.era
  entry.genAt = found.genAt
  entry.gen = found.gen
  entry.deadline = found.deadline
  entry.refSeq = -1
  entry.value = value
  entry.decodeEach = decodeEach
  return entry
}

export const DEFAULT_READ_CACHE = 131072
const MAX_READ_CACHE = 2 ** 24

/** The read cache an option asks for: undefined for 0, and on strategies whose readers lock. */
export function readCacheFor(option: unknown, optimistic: boolean): ReadCache | undefined {
  const capacity = option ?? DEFAULT_READ_CACHE
  if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 0 || capacity > MAX_READ_CACHE) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `readCache must be an integer from 0 to ${MAX_READ_CACHE} (entries), got ${String(option)}`)
  }
  return capacity === 0 || !optimistic ? undefined : new ReadCache(capacity)
}
