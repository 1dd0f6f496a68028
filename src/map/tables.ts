/**
 * A shard's hash tables: lookup, insertion, removal and incremental resizing, on
 * the layout of layout.ts. Open addressing with linear probing over [meta, record]
 * slots; deletions leave tombstones; the table resizes at 3/4 load (live entries +
 * tombstones), doubling when live entries pass 3/8 and otherwise rebuilding at the
 * same size to drop tombstones, and halves (or more) when live entries fall below
 * 1/8. When maxBytes leaves no room for a new table, inserts go on into the
 * current one up to 7/8 live entries and 15/16 used slots (reserveLocked).
 *
 * Resizing is incremental, as in Go's runtime map: starting one allocates the new
 * table and moves the current one to OLD; every later write to the shard moves a
 * few old slots (the evacuation cursor advances) until none are left and the old
 * table is freed. No single call rehashes a whole table. The step is sized so that
 * the new table cannot fill before evacuation ends. Meanwhile lookups try the new
 * table and then the old one; an evacuated old slot becomes a tombstone, so probes
 * in the old table still pass over it.
 *
 * `find` only reads: optimistic readers call it with no lock while writers change
 * the tables, so it bounds every loop and offset and may return a wrong answer that
 * the caller's seq validation then discards. Everything named ...Locked runs with
 * the shard's write lock held (and, for changes, the shard's seq odd).
 *
 * Death of a writer midway: every step below is ordered so that the structure is
 * valid after each single store, or repairable by `repairLocked` (a resize whose
 * start was cut off is undone; one whose evacuation was cut off is completed, an
 * entry already copied to the new table being recognised by its record offset;
 * counts are recounted). At worst a dead writer leaks a block.
 */
import { keyEquals, type Key, type KeyKind } from '../codec/index.js'
import { conmapError, ErrorCode, isConmapError } from '../errors/index.js'
import type { Arena } from './arena.js'
import { EMPTY, FULL, MIN_CAP, R_KEY, R_KEY_BYTES, R_KIND, S, SLOT_BYTES, TOMBSTONE } from './layout.js'

const MIN_EVACUATION_STEP = 32

export class ShardTables {
  readonly #arena: Arena
  readonly #maxCap: number

  constructor(arena: Arena, maxCap: number) {
    this.#arena = arena
    this.#maxCap = maxCap
  }

  /** The record of `key`, or 0. Reads only; safe (if maybe wrong) under concurrent writes. */
  find(fields: number, key: Key, kind: KeyKind, meta: number): number {
    const u32 = this.#arena.u32
    const found = this.#search(u32[fields + S.TABLE] ?? 0, u32[fields + S.CAP] ?? 0, key, kind, meta)
    if (found !== 0) return found
    const old = u32[fields + S.OLD] ?? 0
    return old === 0 ? 0 : this.#search(old, u32[fields + S.OLD_CAP] ?? 0, key, kind, meta)
  }

  /** False for a table/cap pair that a torn read made up. */
  #plausible(table: number, cap: number): boolean {
    return cap >= MIN_CAP && cap <= this.#maxCap && (cap & (cap - 1)) === 0 && table + cap * SLOT_BYTES <= this.#arena.length
  }

  /**
   * Prepares a write of `key`: advances a resize in progress, brings the key from
   * the old table into the current one, and returns the index (Int32 word) of its
   * slot's meta in the current table, or -1 if the key is absent.
   */
  locateLocked(fields: number, key: Key, kind: KeyKind, meta: number): number {
    const u32 = this.#arena.u32
    if ((u32[fields + S.OLD] ?? 0) !== 0) this.#evacuateLocked(fields, this.#stepLocked(fields))
    const table = u32[fields + S.TABLE] ?? 0
    const cap = u32[fields + S.CAP] ?? 0
    const at = this.#slotOf(table, cap, key, kind, meta)
    if (at >= 0) return at
    const old = u32[fields + S.OLD] ?? 0
    if (old === 0) return -1
    const inOld = this.#slotOf(old, u32[fields + S.OLD_CAP] ?? 0, key, kind, meta)
    if (inOld < 0) return -1
    const record = u32[inOld + 1] ?? 0
    const moved = this.#placeLocked(fields, table, cap, meta, record)
    this.#arena.i32[inOld] = TOMBSTONE
    return moved
  }

  /**
   * Makes room for one more entry (may start a resize, which allocates and may throw
   * ERR_MAP_FULL with the entries unchanged).
   */
  reserveLocked(fields: number): void {
    const u32 = this.#arena.u32
    if ((u32[fields + S.OLD] ?? 0) !== 0) return
    const cap = u32[fields + S.CAP] ?? 0
    const count = u32[fields + S.COUNT] ?? 0
    const used = count + (u32[fields + S.TOMBS] ?? 0) + 1
    if (used * 4 <= cap * 3) return
    const grow = (count + 1) * 8 > cap * 3 && cap * 2 <= this.#maxCap
    if (!grow && (count + 1) * 8 > cap * 7) {
      throw conmapError(ErrorCode.MAP_FULL, `a shard reached its largest table (${cap} slots): use more shards`)
    }
    try {
      this.#startResizeLocked(fields, grow ? cap * 2 : cap)
    } catch (err) {
      // maxBytes leaves no block for the new table (freed records are smaller blocks).
      // The current table then takes the entry unresized while live entries stay within
      // 7/8 of it and 1/16 of its slots stay empty (tombstones count as used), so that
      // deletes in a full map make room for later sets; probes get longer, no more.
      if (!isConmapError(err, ErrorCode.MAP_FULL) || (count + 1) * 8 > cap * 7 || used * 16 > cap * 15) throw err
    }
  }

  /** Publishes a new key's record in the current table (the key must be absent). */
  insertLocked(fields: number, meta: number, record: number): void {
    const u32 = this.#arena.u32
    this.#placeLocked(fields, u32[fields + S.TABLE] ?? 0, u32[fields + S.CAP] ?? 0, meta, record)
    u32[fields + S.COUNT] = (u32[fields + S.COUNT] ?? 0) + 1
  }

  /** Points an existing key's slot at a new record; returns the old record. */
  replaceLocked(slot: number, record: number): number {
    const u32 = this.#arena.u32
    const previous = u32[slot + 1] ?? 0
    u32[slot + 1] = record
    return previous
  }

  /** Removes the key in `slot`; returns its record, for the caller to free. */
  removeLocked(fields: number, slot: number): number {
    const { i32, u32 } = this.#arena
    const record = u32[slot + 1] ?? 0
    i32[slot] = TOMBSTONE
    u32[fields + S.TOMBS] = (u32[fields + S.TOMBS] ?? 0) + 1
    u32[fields + S.COUNT] = (u32[fields + S.COUNT] ?? 0) - 1
    return record
  }

  /**
   * After removals: starts a shrink when live entries fall below 1/8 of the table.
   * A shrink needs a new table; when maxBytes leaves no block for it the shard simply
   * keeps its size, so a removal never fails for lack of memory.
   */
  maybeShrinkLocked(fields: number): void {
    const u32 = this.#arena.u32
    if ((u32[fields + S.OLD] ?? 0) !== 0) return
    const cap = u32[fields + S.CAP] ?? 0
    const count = u32[fields + S.COUNT] ?? 0
    if (cap <= MIN_CAP || count * 8 >= cap) return
    try {
      this.#startResizeLocked(fields, Math.max(MIN_CAP, 2 ** Math.ceil(Math.log2(Math.max(1, count * 4)))))
    } catch (err) {
      if (!isConmapError(err, ErrorCode.MAP_FULL)) throw err
    }
  }

  /** Visits every live [meta word index, record] once, old table included. */
  forEachLocked(fields: number, visit: (slot: number, record: number) => void): void {
    const u32 = this.#arena.u32
    const seen = new Set<number>()
    for (const [table, cap] of [
      [u32[fields + S.TABLE] ?? 0, u32[fields + S.CAP] ?? 0],
      [u32[fields + S.OLD] ?? 0, u32[fields + S.OLD_CAP] ?? 0],
    ] as const) {
      if (table === 0) continue
      const base = table >>> 2
      for (let i = 0; i < cap; i++) {
        const slot = base + 2 * i
        if ((u32[slot] ?? 0) & FULL) {
          const record = u32[slot + 1] ?? 0
          if (!seen.has(record)) {
            seen.add(record)
            visit(slot, record)
          }
        }
      }
    }
  }

  /**
   * The longest probe sequence in the current table (slots from a key's home slot
   * to where it sits, plus one): what a flood of colliding keys would inflate. Reads
   * only; approximate while writers run.
   */
  longestProbe(fields: number): number {
    const { i32, u32 } = this.#arena
    const table = u32[fields + S.TABLE] ?? 0
    const cap = u32[fields + S.CAP] ?? 0
    if (!this.#plausible(table, cap)) return 0
    let longest = 0
    for (let i = 0; i < cap; i++) {
      const meta = i32[(table >>> 2) + 2 * i] ?? 0
      if ((meta & 3) === FULL) longest = Math.max(longest, ((i - (meta >>> 2)) & (cap - 1)) + 1)
    }
    return longest
  }

  /**
   * Makes a shard whose writer died consistent again: undoes a resize whose start
   * was cut off, completes one in progress, recounts live entries and tombstones.
   */
  repairLocked(fields: number): void {
    const u32 = this.#arena.u32
    const old = u32[fields + S.OLD] ?? 0
    if (old !== 0 && old === u32[fields + S.TABLE]) {
      u32[fields + S.CAP] = u32[fields + S.OLD_CAP] ?? 0
      u32[fields + S.OLD] = 0
    }
    if ((u32[fields + S.OLD] ?? 0) !== 0) this.#evacuateLocked(fields, u32[fields + S.OLD_CAP] ?? 0)
    const table = u32[fields + S.TABLE] ?? 0
    const cap = u32[fields + S.CAP] ?? 0
    let count = 0
    let tombs = 0
    for (let i = 0; i < cap; i++) {
      const meta = u32[(table >>> 2) + 2 * i] ?? 0
      if (meta === TOMBSTONE) tombs++
      else if (meta !== EMPTY) count++
    }
    u32[fields + S.COUNT] = count
    u32[fields + S.TOMBS] = tombs
  }

  #startResizeLocked(fields: number, newCap: number): void {
    const bytes = newCap * SLOT_BYTES
    const table = this.#arena.allocLocked(fields, bytes)
    // Views are taken after allocating: the allocation may have replaced them.
    const { u8, u32 } = this.#arena
    u8.fill(0, table, table + bytes)
    // Order matters for repairLocked: OLD == TABLE marks a start that was cut off.
    u32[fields + S.OLD_CAP] = u32[fields + S.CAP] ?? 0
    u32[fields + S.EVAC] = 0
    u32[fields + S.OLD] = u32[fields + S.TABLE] ?? 0
    u32[fields + S.TOMBS] = 0
    u32[fields + S.CAP] = newCap
    u32[fields + S.TABLE] = table
    u32[fields + S.RESIZES] = (u32[fields + S.RESIZES] ?? 0) + 1
  }

  /** Old slots to move on this write so that evacuation ends before the new table fills. */
  #stepLocked(fields: number): number {
    const u32 = this.#arena.u32
    const remaining = (u32[fields + S.OLD_CAP] ?? 0) - (u32[fields + S.EVAC] ?? 0)
    const cap = u32[fields + S.CAP] ?? 0
    const room = Math.floor((cap * 3) / 4) - (u32[fields + S.COUNT] ?? 0) - (u32[fields + S.TOMBS] ?? 0) - 1
    return Math.max(MIN_EVACUATION_STEP, Math.ceil(remaining / Math.max(1, room)))
  }

  #evacuateLocked(fields: number, slots: number): void {
    const { i32, u32 } = this.#arena
    const old = u32[fields + S.OLD] ?? 0
    const oldCap = u32[fields + S.OLD_CAP] ?? 0
    const table = u32[fields + S.TABLE] ?? 0
    const cap = u32[fields + S.CAP] ?? 0
    const from = u32[fields + S.EVAC] ?? 0
    const to = Math.min(oldCap, from + slots)
    for (let i = from; i < to; i++) {
      const slot = (old >>> 2) + 2 * i
      const meta = i32[slot] ?? 0
      if ((meta & 3) !== FULL) continue
      const record = u32[slot + 1] ?? 0
      if (!this.#holds(table, cap, meta, record)) this.#placeLocked(fields, table, cap, meta, record)
      i32[slot] = TOMBSTONE
    }
    u32[fields + S.EVAC] = to
    if (to === oldCap) {
      // OLD is cleared before the table is freed: freed first, a death in between
      // would leave a free block still in use.
      u32[fields + S.OLD] = 0
      u32[fields + S.OLD_CAP] = 0
      this.#arena.freeLocked(fields, old, oldCap * SLOT_BYTES)
    }
  }

  /** Writes [meta, record] into the first free slot of meta's probe sequence. */
  #placeLocked(fields: number, table: number, cap: number, meta: number, record: number): number {
    const { i32, u32 } = this.#arena
    const mask = cap - 1
    for (let i = (meta >>> 2) & mask, n = 0; n < cap; i = (i + 1) & mask, n++) {
      const slot = (table >>> 2) + 2 * i
      const seen = i32[slot] ?? 0
      if (seen === EMPTY || seen === TOMBSTONE) {
        if (seen === TOMBSTONE) u32[fields + S.TOMBS] = (u32[fields + S.TOMBS] ?? 0) - 1
        u32[slot + 1] = record
        i32[slot] = meta
        return slot
      }
    }
    throw new Error('conmap internal error: a table with no free slot')
  }

  #holds(table: number, cap: number, meta: number, record: number): boolean {
    const { i32, u32 } = this.#arena
    const mask = cap - 1
    for (let i = (meta >>> 2) & mask, n = 0; n < cap; i = (i + 1) & mask, n++) {
      const slot = (table >>> 2) + 2 * i
      const seen = i32[slot] ?? 0
      if (seen === EMPTY) return false
      if (seen === meta && u32[slot + 1] === record) return true
    }
    return false
  }

  #slotOf(table: number, cap: number, key: Key, kind: KeyKind, meta: number): number {
    const { i32, u32 } = this.#arena
    const mask = cap - 1
    for (let i = (meta >>> 2) & mask, n = 0; n < cap; i = (i + 1) & mask, n++) {
      const slot = (table >>> 2) + 2 * i
      const seen = i32[slot] ?? 0
      if (seen === EMPTY) return -1
      if (seen === meta && this.#matches(u32[slot + 1] ?? 0, key, kind)) return slot
    }
    return -1
  }

  #search(table: number, cap: number, key: Key, kind: KeyKind, meta: number): number {
    if (!this.#plausible(table, cap)) return 0
    const at = this.#slotOf(table, cap, key, kind, meta)
    return at < 0 ? 0 : (this.#arena.u32[at + 1] ?? 0)
  }

  #matches(record: number, key: Key, kind: KeyKind): boolean {
    const { u32, keys } = this.#arena
    const word = record >>> 2
    const keyBytes = u32[word + (R_KEY_BYTES >>> 2)] ?? 0
    return keyEquals(key, kind, keys, record + R_KEY, keyBytes, (u32[word + (R_KIND >>> 2)] ?? 0) & 0xff)
  }
}
