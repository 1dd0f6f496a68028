/**
 * Expiry: deadlines of cache-map entries, and the one clock they are judged by.
 *
 * An entry's deadline is the Date.now() millisecond from which it is expired,
 * written with its record (X_DEADLINE_HI/LO, layout.ts) and never edited: touch()
 * writes a new record. 0 means never. Date.now() is the clock every thread of the
 * process shares (performance.now() has an origin per worker on Node 20, and costs
 * more); it can step when the system clock is set, and entries expire by it then too.
 *
 * An expired entry is absent to every read from its deadline on. Readers never remove
 * it (they write nothing); the writer that meets it removes it, and the sweeper
 * (sweeper.ts) the rest. Each removal counts in the map's expirations.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { X_DEADLINE_HI, X_DEADLINE_LO } from './layout.js'
import type { EntryOptions } from './types.js'

/** A ttl option in ms: a positive number, or Infinity (never). Returns 0 for Infinity. */
export function ttlOption(ttl: unknown, name: string): number {
  if (typeof ttl !== 'number' || Number.isNaN(ttl) || ttl <= 0) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `${name} must be a positive number of ms or Infinity, got ${String(ttl)}`)
  }
  return ttl === Infinity ? 0 : Math.ceil(ttl)
}

/** The deadline of an entry written now with ttl ms to live (0: never). */
export function deadlineAfter(ttl: number): number {
  if (ttl === 0) return 0
  const deadline = Date.now() + ttl
  return deadline > Number.MAX_SAFE_INTEGER ? 0 : deadline
}

/**
 * The ttl of one write: its own, else the map's default (0: never). Refused on a map
 * made without the cache options, whose records have no deadline.
 */
export function entryTtl(options: EntryOptions | undefined, mapTtl: number, cacheRecords: boolean): number {
  if (options === undefined) return mapTtl
  if (typeof options !== 'object' || options === null) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'entry options must be an object')
  if (options.ttl === undefined) return mapTtl
  if (!cacheRecords) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, 'a ttl needs a cache map: create the map with ttl (Infinity for no default) or maxEntries')
  }
  return ttlOption(options.ttl, 'ttl')
}

export function isExpired(deadline: number, now: number): boolean {
  return deadline !== 0 && now >= deadline
}

/** The deadline of the record at byte offset record, read under its shard's lock. */
export function deadlineLocked(u32: Uint32Array, record: number): number {
  const word = record >>> 2
  return (u32[word + (X_DEADLINE_HI >> 2)] ?? 0) * 2 ** 32 + (u32[word + (X_DEADLINE_LO >> 2)] ?? 0)
}

/** The same, read by an optimistic reader (validated by its seq afterwards). */
export function deadlineRacy(u32: Uint32Array, record: number): number {
  const word = record >>> 2
  // A torn read can name an offset too low to have cache words below it.
  if (word < -(X_DEADLINE_HI >> 2)) return 0
  return Atomics.load(u32, word + (X_DEADLINE_HI >> 2)) * 2 ** 32 + Atomics.load(u32, word + (X_DEADLINE_LO >> 2))
}

/** Whether the record at byte offset record has expired by now (read under its shard's lock). */
export function expiredLocked(u32: Uint32Array, record: number, now: number): boolean {
  return isExpired(deadlineLocked(u32, record), now)
}

/** Remaining ms of an entry with this deadline (Infinity: never expires). */
export function remaining(deadline: number, now: number): number {
  return deadline === 0 ? Infinity : Math.max(0, deadline - now)
}
