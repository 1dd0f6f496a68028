/**
 * A thread's cache of values it decoded from a SharedMap, validated against shared
 * memory on every hit.
 *
 * Records are never edited after publication, and a record's generation word holds
 * a nonzero value from its writing until the change that unpublishes it stores 0
 * there, before unpublishing it (layout.ts). So an entry remembers where its
 * record's generation word is and what it held when the value was read (under the
 * seqlock, so the value and generation belong together); a later Atomics.load that
 * returns the same generation proves the record is still the key's record, and the
 * remembered value is its value. That load is the read's linearization point: it
 * comes after the record's publication (this thread saw it) and before the store of
 * 0 that precedes its unpublication (or it would not read the old generation), in
 * the one order of SeqCst accesses to that word. No lock, no shared write, no hash,
 * no probe, no copy, no decode.
 *
 * Keys: Map's SameValueZero is the map's key equality (codec/key.ts: -0 is 0, NaN is
 * NaN, 1 and 1n differ), so the cache keys by the key itself; V8 caches a string's
 * hash in the string, so hot keys cost one Map.get here.
 *
 * Bound: at most `capacity` entries. Eviction is CLOCK (second chance) over the
 * Map's insertion order: a hit sets the entry's bit; a full cache takes its oldest
 * entry, and one whose bit is set gets the bit cleared and goes to the back instead
 * of out. A hit costs one field store; there is no list to maintain.
 *
 * Values: strings, numbers and other primitives are kept as they are. Objects are
 * kept deeply frozen (frozen.ts) and handed to every caller: one caller cannot
 * change what another reads. A value that cannot be frozen (a Map, a Date, a typed
 * array, ...) is kept as its private encoded copy and decoded anew for each read.
 */
import type { Key } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'

export interface CachedValue {
  /** Int32 index of the record's generation word. */
  readonly at: number
  readonly gen: number
  /** The value, or (decodeEach) its private encoded bytes. */
  readonly value: unknown
  readonly decodeEach: boolean
  /** CLOCK's reference bit. */
  ref: boolean
}

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

  /** The entry of key if its record is still the key's record (one Atomics.load). */
  valid(key: Key, u32: Uint32Array): CachedValue | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined || Atomics.load(u32, entry.at) !== entry.gen) return undefined
    entry.ref = true
    this.hits++
    return entry
  }

  /** Remembers key's value, read with its record's generation under the seqlock. */
  remember(key: Key, at: number, gen: number, value: unknown, decodeEach: boolean): void {
    const entries = this.#entries
    if (entries.size >= this.capacity && !entries.has(key)) this.#evictOne()
    entries.set(key, { at, gen, value, decodeEach, ref: false })
  }

  /** Points an entry that key already has at a record this thread just wrote with value. */
  refresh(key: Key, at: number, gen: number, value: unknown): void {
    const entry = this.#entries.get(key)
    if (entry !== undefined) this.#entries.set(key, { at, gen, value, decodeEach: false, ref: entry.ref })
  }

  forget(key: Key): void {
    this.#entries.delete(key)
  }

  clear(): void {
    this.#entries.clear()
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
