/**
 * The write-order queue of a cache map's shard, and the choice of the entry to evict.
 *
 * Each shard links its records from the least recently written (S.HEAD) to the most
 * recently written (S.TAIL) through their X_PREV / X_NEXT words (layout.ts). A new
 * key's record joins at the tail; a new value or a touch() writes a new record, which
 * leaves the old one's place and joins at the tail too, so with one ttl for the whole
 * map the head is also the entry that expires first. Only writers holding the shard
 * lock read or change the queue: no reader ever reads these words, so plain stores.
 *
 * Victims ('fifo'): an expired entry among the first EXPIRED_SCAN from the head, else
 * the head. ('sieve', Zhang et al., NSDI'24, mirrored to this queue's direction): a
 * hand walks from the head towards the tail, clearing the reference bit of each
 * entry read since the hand last passed it (REF, in the generation word) and
 * evicting the first entry whose bit is clear; it wraps to the head at the tail.
 *
 * A thread killed in the middle of linking leaves the queue broken; the thread that
 * repairs the shard rebuilds it from the table, ordered by the records' generations
 * (the shard's seq when each was written: write order), so a crash costs at most
 * the order of equal-aged entries.
 */
import type { Arena } from './arena.js'
import { GEN_MASK, R_GEN, REF, S, X_NEXT, X_PREV } from './layout.js'
import { expiredLocked } from './expiry.js'

const EXPIRED_SCAN = 16

export class ShardQueues {
  readonly #arena: Arena
  readonly #sieve: boolean

  constructor(arena: Arena, sieve: boolean) {
    this.#arena = arena
    this.#sieve = sieve
  }

  appendLocked(fields: number, record: number): void {
    const u32 = this.#arena.u32
    const tail = u32[fields + S.TAIL] ?? 0
    u32[(record + X_PREV) >>> 2] = tail
    u32[(record + X_NEXT) >>> 2] = 0
    if (tail !== 0) u32[(tail + X_NEXT) >>> 2] = record
    else u32[fields + S.HEAD] = record
    u32[fields + S.TAIL] = record
  }

  unlinkLocked(fields: number, record: number): void {
    const u32 = this.#arena.u32
    const prev = u32[(record + X_PREV) >>> 2] ?? 0
    const next = u32[(record + X_NEXT) >>> 2] ?? 0
    if (prev !== 0) u32[(prev + X_NEXT) >>> 2] = next
    else u32[fields + S.HEAD] = next
    if (next !== 0) u32[(next + X_PREV) >>> 2] = prev
    else u32[fields + S.TAIL] = prev
    if ((u32[fields + S.HAND] ?? 0) === record) u32[fields + S.HAND] = next
  }

  resetLocked(fields: number): void {
    const u32 = this.#arena.u32
    u32[fields + S.HEAD] = 0
    u32[fields + S.TAIL] = 0
    u32[fields + S.HAND] = 0
  }

  /** The record to evict, or 0 when the shard has none. Call inside a change (read-cache.ts: refSeq). */
  victimLocked(fields: number, now: number): number {
    const u32 = this.#arena.u32
    const head = u32[fields + S.HEAD] ?? 0
    let record = head
    for (let n = 0; record !== 0 && n < EXPIRED_SCAN; n++) {
      if (expiredLocked(u32, record, now)) return record
      record = u32[(record + X_NEXT) >>> 2] ?? 0
    }
    if (!this.#sieve || head === 0) return head
    const i32 = this.#arena.i32
    let hand = (u32[fields + S.HAND] ?? 0) || head
    // Readers may set bits again as fast as the hand clears them: after two rounds the
    // hand takes what it points at.
    for (let n = 2 * (u32[fields + S.COUNT] ?? 0); n > 0; n--) {
      const genAt = (hand + R_GEN) >>> 2
      const gen = Atomics.load(i32, genAt)
      if ((gen & REF) === 0) break
      Atomics.compareExchange(i32, genAt, gen, gen & GEN_MASK)
      hand = (u32[(hand + X_NEXT) >>> 2] ?? 0) || head
    }
    u32[fields + S.HAND] = hand
    return hand
  }

  /** Relinks every live record of the shard in write order (after a dead writer). */
  rebuildLocked(fields: number, records: readonly number[]): void {
    const i32 = this.#arena.i32
    // A shard's generations rise with each record it writes (generations.ts).
    const next = i32[fields + S.GEN_NEXT] ?? 0
    const age = (record: number) => (next - ((i32[(record + R_GEN) >>> 2] ?? 0) & GEN_MASK)) & GEN_MASK
    this.resetLocked(fields)
    for (const record of [...records].sort((a, b) => age(b) - age(a))) this.appendLocked(fields, record)
  }

  /** What is wrong with the queue of a shard whose live records are `live`, or undefined. */
  problemLocked(fields: number, live: ReadonlySet<number>): string | undefined {
    const u32 = this.#arena.u32
    const seen = new Set<number>()
    let prev = 0
    for (let record = u32[fields + S.HEAD] ?? 0; record !== 0; record = u32[(record + X_NEXT) >>> 2] ?? 0) {
      if (!live.has(record)) return `the queue holds ${record}, which is not a live record`
      if (seen.has(record)) return `the queue has a cycle at ${record}`
      if ((u32[(record + X_PREV) >>> 2] ?? 0) !== prev) return `record ${record}'s previous link is not ${prev}`
      seen.add(record)
      prev = record
    }
    if ((u32[fields + S.TAIL] ?? 0) !== prev) return `the tail is ${u32[fields + S.TAIL]}, not the last record ${prev}`
    if (seen.size !== live.size) return `the queue holds ${seen.size} records, the table ${live.size}`
    const hand = u32[fields + S.HAND] ?? 0
    if (hand !== 0 && !seen.has(hand)) return `the sieve hand ${hand} is not in the queue`
    return undefined
  }
}
