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
 * `findRacy` only reads, with Atomics.load for every word (words.ts): optimistic
 * readers call it with no lock while writers change the tables, so it bounds every
 * loop and offset and may return a wrong answer that the caller's seq validation
 * then discards. `find` is the same lookup for callers holding a lock. Everything
 * named ...Locked runs with the shard's write lock held (and, for changes, the
 * shard's seq odd); its stores go through Arena.store where readers may be reading.
 *
 * Death of a writer midway: every step below is ordered so that the structure is
 * valid after each single store, or repairable by `repairLocked` (a resize whose
 * start was cut off is undone; one whose evacuation was cut off is completed, an
 * entry already copied to the new table being recognised by its record offset;
 * counts are recounted). At worst a dead writer leaks a block.
 *
 * clear() is the one change of many stores that must look atomic: it marks the
 * shard CLEARING first, and a thread that takes over from a writer that died with
 * the mark set finishes the clear (rolls it forward) instead of recounting what was
 * left. Its steps are ordered so that finishing it twice frees nothing twice: the
 * old table is detached before it is freed, and records are freed only after every
 * slot naming them is empty. Every record is marked DEAD before the first slot is
 * emptied, so no read cache keeps a record that a dead clearer left unreachable.
 */
import { encodedKeyBytes, keyEquals, type Key, type KeyKind } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import type { Arena } from './arena.js'
import { failpoint } from './failpoints.js'
import { DEAD, EMPTY, FULL, MIN_CAP, R_GEN, R_KEY, R_KEY_BYTES, R_KIND, S, SLOT_BYTES, TOMBSTONE, align4, classOfKindWord } from './layout.js'
import { loadWords, zeroWords } from './words.js'

const MIN_EVACUATION_STEP = 32

export class ShardTables {
  readonly #arena: Arena
  readonly #maxCap: number
  /** Bytes of a record's block below the record (cache maps: layout.ts). */
  readonly #below: number

  constructor(arena: Arena, maxCap: number, below: number) {
    this.#arena = arena
    this.#maxCap = maxCap
    this.#below = below
  }

  /** The record of `key`, or 0, for a caller holding a lock on the shard. */
  find(fields: number, key: Key, kind: KeyKind, meta: number): number {
    const u32 = this.#arena.u32
    const found = this.#search(u32[fields + S.TABLE] ?? 0, u32[fields + S.CAP] ?? 0, key, kind, meta, false)
    if (found !== 0) return found
    const old = u32[fields + S.OLD] ?? 0
    return old === 0 ? 0 : this.#search(old, u32[fields + S.OLD_CAP] ?? 0, key, kind, meta, false)
  }

  /**
   * The record of `key`, or 0, with no lock: every word is read with Atomics.load, and
   * the answer is right only if the shard's seq did not move meanwhile.
   */
  findRacy(fields: number, key: Key, kind: KeyKind, meta: number): number {
    const u32 = this.#arena.u32
    const found = this.#search(Atomics.load(u32, fields + S.TABLE), Atomics.load(u32, fields + S.CAP), key, kind, meta, true)
    if (found !== 0) return found
    const old = Atomics.load(u32, fields + S.OLD)
    return old === 0 ? 0 : this.#search(old, Atomics.load(u32, fields + S.OLD_CAP), key, kind, meta, true)
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
    this.#arena.store(inOld, TOMBSTONE)
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
    if (this.#startResizeLocked(fields, grow ? cap * 2 : cap)) return
    // maxBytes leaves no block for the new table (freed records are smaller blocks).
    // The current table then takes the entry unresized while live entries stay within
    // 7/8 of it; when tombstones leave fewer than 1/16 of its slots empty they are
    // purged in place, so that deletes in a full map make room for later sets.
    if ((count + 1) * 8 > cap * 7) {
      throw conmapError(ErrorCode.MAP_FULL, `the map is full: a shard's table holds ${count} entries in ${cap} slots, and maxBytes (${this.#arena.buffer.maxByteLength}) has no block of ${cap * 2 * SLOT_BYTES} bytes for a larger one (make the map with an initialCapacity near the entries that fit)`)
    }
    if (used * 16 > cap * 15) this.#purgeLocked(fields)
  }

  /**
   * Drops the current table's tombstones in place, for a shard that has no memory for
   * a rebuild (reserveLocked). Each tombstone becomes a hole; an entry further along
   * its cluster moves back into the hole when the hole lies on its probe path, its old
   * slot becoming the next hole (backward-shift deletion), and the run's last hole
   * becomes EMPTY, which no entry after it needs to probe past. One pass over the
   * table, under the shard lock and inside the writer's change (optimistic readers
   * retry). An entry is written into its new slot, record then meta, before its old
   * slot becomes a tombstone, so a writer that dies in between leaves one entry in two
   * slots, both found by lookups, which repairLocked() resolves.
   */
  #purgeLocked(fields: number): void {
    const arena = this.#arena
    const u32 = arena.u32
    const base = (u32[fields + S.TABLE] ?? 0) >>> 2
    const mask = (u32[fields + S.CAP] ?? 0) - 1
    // From an EMPTY slot (used < cap), so that no run wraps past the start.
    let start = 0
    while ((u32[base + 2 * start] ?? 0) !== EMPTY) start++
    for (let n = 1; n <= mask; n++) {
      let hole = (start + n) & mask
      if ((u32[base + 2 * hole] ?? 0) !== TOMBSTONE) continue
      for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
        const meta = u32[base + 2 * j] ?? 0
        if (meta === EMPTY) break
        // The hole is on the probe path of j's entry if its home is no further from j.
        if (meta === TOMBSTONE || ((j - (meta >>> 2)) & mask) < ((j - hole) & mask)) continue
        arena.store(base + 2 * hole + 1, u32[base + 2 * j + 1] ?? 0)
        arena.store(base + 2 * hole, meta)
        failpoint('purge:copied')
        arena.store(base + 2 * j, TOMBSTONE)
        hole = j
      }
      arena.store(base + 2 * hole, EMPTY)
      arena.store(fields + S.TOMBS, (u32[fields + S.TOMBS] ?? 0) - 1)
    }
  }

  /** Publishes a new key's record in the current table (the key must be absent). */
  insertLocked(fields: number, meta: number, record: number): void {
    const arena = this.#arena
    this.#placeLocked(fields, arena.u32[fields + S.TABLE] ?? 0, arena.u32[fields + S.CAP] ?? 0, meta, record)
    failpoint('put:inserted')
    arena.store(fields + S.COUNT, (arena.u32[fields + S.COUNT] ?? 0) + 1)
  }

  /** Points an existing key's slot at a new record and frees the old one. */
  replaceLocked(fields: number, slot: number, record: number): void {
    const previous = this.#arena.u32[slot + 1] ?? 0
    this.#retireLocked(previous)
    failpoint('put:retired')
    this.#arena.store(slot + 1, record)
    failpoint('put:replaced')
    this.freeRecordLocked(fields, previous)
  }

  /** Removes the key in `slot` and frees its record. */
  removeLocked(fields: number, slot: number): void {
    const arena = this.#arena
    const record = arena.u32[slot + 1] ?? 0
    this.#retireLocked(record)
    failpoint('remove:retired')
    arena.store(slot, TOMBSTONE)
    failpoint('remove:tombstoned')
    arena.store(fields + S.TOMBS, (arena.u32[fields + S.TOMBS] ?? 0) + 1)
    arena.store(fields + S.COUNT, (arena.u32[fields + S.COUNT] ?? 0) - 1)
    this.freeRecordLocked(fields, record)
  }

  /**
   * Marks a record about to be unpublished: its generation becomes DEAD, before the
   * store that unpublishes it, with Atomics on every strategy, since read caches
   * validate with one Atomics.load and no lock (layout.ts).
   */
  #retireLocked(record: number): void {
    Atomics.store(this.#arena.u32, (record >>> 2) + (R_GEN >>> 2), DEAD)
  }

  /** Returns a record's block to the shard's free lists (its kind word keeps the block's class). */
  freeRecordLocked(fields: number, record: number): void {
    const cls = classOfKindWord(this.#arena.u32[(record >>> 2) + (R_KIND >>> 2)] ?? 0)
    this.#arena.freeClassLocked(fields, record - this.#below, cls)
  }

  /**
   * Empties the shard, as one change even if this thread dies in it (see the
   * overview): marks it CLEARING, then finishes the clear as a take-over would.
   */
  clearLocked(fields: number): void {
    this.#arena.store(fields + S.CLEARING, 1)
    failpoint('clear:marked')
    this.#finishClearLocked(fields)
  }

  #finishClearLocked(fields: number): void {
    const arena = this.#arena
    const records: number[] = []
    this.forEachLocked(fields, (_, record) => records.push(record))
    for (const record of records) this.#retireLocked(record)
    const old = arena.u32[fields + S.OLD] ?? 0
    if (old !== 0) {
      arena.store(fields + S.OLD, 0)
      failpoint('clear:old-detached')
      arena.freeLocked(fields, old, (arena.u32[fields + S.OLD_CAP] ?? 0) * SLOT_BYTES)
    }
    const table = arena.u32[fields + S.TABLE] ?? 0
    const cap = arena.u32[fields + S.CAP] ?? 0
    for (let i = 0; i < cap; i++) {
      arena.store((table >>> 2) + 2 * i, EMPTY)
      if (i === cap >>> 1) failpoint('clear:emptying')
    }
    arena.store(fields + S.COUNT, 0)
    arena.store(fields + S.TOMBS, 0)
    failpoint('clear:emptied')
    for (const record of records) this.freeRecordLocked(fields, record)
    // The table keeps its size, as Go's clear() keeps a map's buckets: in a full
    // arena a shrunk table might find no blocks to grow back through.
    arena.store(fields + S.CLEARING, 0)
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
    this.#startResizeLocked(fields, Math.max(MIN_CAP, 2 ** Math.ceil(Math.log2(Math.max(1, count * 4)))))
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
   * Makes a shard whose writer died consistent again: finishes a clear it was in,
   * undoes a resize whose start was cut off, completes one in progress, recounts
   * live entries and tombstones.
   */
  repairLocked(fields: number): void {
    const arena = this.#arena
    const u32 = arena.u32
    const old = u32[fields + S.OLD] ?? 0
    if (old !== 0 && old === u32[fields + S.TABLE]) {
      arena.store(fields + S.CAP, u32[fields + S.OLD_CAP] ?? 0)
      arena.store(fields + S.OLD, 0)
    }
    if ((u32[fields + S.CLEARING] ?? 0) !== 0) {
      this.#finishClearLocked(fields)
      return
    }
    if ((u32[fields + S.OLD] ?? 0) !== 0) this.#evacuateLocked(fields, u32[fields + S.OLD_CAP] ?? 0)
    const table = u32[fields + S.TABLE] ?? 0
    const cap = u32[fields + S.CAP] ?? 0
    let count = 0
    let tombs = 0
    // An entry in two slots is a purge cut off between them (#purgeLocked).
    const records = new Set<number>()
    for (let i = 0; i < cap; i++) {
      const slot = (table >>> 2) + 2 * i
      const meta = u32[slot] ?? 0
      if (meta !== EMPTY && meta !== TOMBSTONE && records.has(u32[slot + 1] ?? 0)) arena.store(slot, TOMBSTONE)
      if ((u32[slot] ?? 0) === TOMBSTONE) tombs++
      else if (meta !== EMPTY) {
        count++
        records.add(u32[slot + 1] ?? 0)
      }
    }
    arena.store(fields + S.COUNT, count)
    arena.store(fields + S.TOMBS, tombs)
  }

  /** Starts a resize to newCap slots; false (nothing changed) when maxBytes leaves no block for it. */
  #startResizeLocked(fields: number, newCap: number): boolean {
    const arena = this.#arena
    const bytes = newCap * SLOT_BYTES
    const table = arena.tryAllocLocked(fields, bytes)
    if (table === 0) return false
    // Fresh memory is still zero; a reused block may be under a reader's eyes.
    // Views are taken after allocating: the allocation may have replaced them.
    if (arena.reused && arena.racy) zeroWords(arena.u32, table >>> 2, bytes >>> 2)
    else if (arena.reused) arena.u8.fill(0, table, table + bytes)
    failpoint('resize:allocated')
    const u32 = arena.u32
    // Order matters for repairLocked: OLD == TABLE marks a start that was cut off.
    arena.store(fields + S.OLD_CAP, u32[fields + S.CAP] ?? 0)
    arena.store(fields + S.EVAC, 0)
    arena.store(fields + S.OLD, u32[fields + S.TABLE] ?? 0)
    failpoint('resize:old-set')
    arena.store(fields + S.TOMBS, 0)
    arena.store(fields + S.CAP, newCap)
    arena.store(fields + S.TABLE, table)
    arena.store(fields + S.RESIZES, (u32[fields + S.RESIZES] ?? 0) + 1)
    return true
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
    const arena = this.#arena
    const { i32, u32 } = arena
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
      if (!this.#holds(table, cap, meta, record)) {
        this.#placeLocked(fields, table, cap, meta, record)
        failpoint('evacuate:placed')
      }
      arena.store(slot, TOMBSTONE)
    }
    arena.store(fields + S.EVAC, to)
    if (to === oldCap) {
      // OLD is cleared before the table is freed: freed first, a death in between
      // would leave a free block still in use.
      arena.store(fields + S.OLD, 0)
      arena.store(fields + S.OLD_CAP, 0)
      failpoint('evacuate:old-cleared')
      arena.freeLocked(fields, old, oldCap * SLOT_BYTES)
    }
  }

  /** Writes [meta, record] into the first free slot of meta's probe sequence. */
  #placeLocked(fields: number, table: number, cap: number, meta: number, record: number): number {
    const arena = this.#arena
    const { i32, u32 } = arena
    const mask = cap - 1
    for (let i = (meta >>> 2) & mask, n = 0; n < cap; i = (i + 1) & mask, n++) {
      const slot = (table >>> 2) + 2 * i
      const seen = i32[slot] ?? 0
      if (seen === EMPTY || seen === TOMBSTONE) {
        if (seen === TOMBSTONE) arena.store(fields + S.TOMBS, (u32[fields + S.TOMBS] ?? 0) - 1)
        // The record first: a reader that sees the meta must find the record with it.
        arena.store(slot + 1, record)
        arena.store(slot, meta)
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

  /**
   * The records whose slot holds `meta` (keys whose hashes agree but for the low two
   * bits), on key's probe path in both tables, for a caller holding a lock on the
   * shard: hot keys find their keys from hashes this way (metrics/hot-keys.ts).
   */
  recordsWithMetaLocked(fields: number, meta: number): number[] {
    const { i32, u32 } = this.#arena
    const records: number[] = []
    for (const [table, cap] of [
      [u32[fields + S.TABLE] ?? 0, u32[fields + S.CAP] ?? 0],
      [u32[fields + S.OLD] ?? 0, u32[fields + S.OLD_CAP] ?? 0],
    ] as const) {
      if (table === 0 || !this.#plausible(table, cap)) continue
      const mask = cap - 1
      for (let i = (meta >>> 2) & mask, n = 0; n < cap; i = (i + 1) & mask, n++) {
        const slot = (table >>> 2) + 2 * i
        const seen = i32[slot] ?? 0
        if (seen === EMPTY) break
        if (seen === meta) records.push(u32[slot + 1] ?? 0)
      }
    }
    return records
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

  /** The record of key in one table, or 0 (racy: Atomics loads, bounded offsets). */
  #search(table: number, cap: number, key: Key, kind: KeyKind, meta: number, racy: boolean): number {
    if (!this.#plausible(table, cap)) return 0
    if (!racy) {
      const at = this.#slotOf(table, cap, key, kind, meta)
      return at < 0 ? 0 : (this.#arena.u32[at + 1] ?? 0)
    }
    const { i32, u32 } = this.#arena
    const keyBytes = encodedKeyBytes(key, kind)
    const mask = cap - 1
    for (let i = (meta >>> 2) & mask, n = 0; n < cap; i = (i + 1) & mask, n++) {
      const slot = (table >>> 2) + 2 * i
      const seen = Atomics.load(i32, slot)
      if (seen === EMPTY) return 0
      if (seen === meta) {
        const record = Atomics.load(u32, slot + 1)
        if (this.#matchesRacy(record, key, kind, keyBytes)) return record
      }
    }
    return 0
  }

  #matches(record: number, key: Key, kind: KeyKind): boolean {
    const { u32, views } = this.#arena
    const word = record >>> 2
    const keyBytes = u32[word + (R_KEY_BYTES >>> 2)] ?? 0
    return keyEquals(key, kind, views, record + R_KEY, keyBytes, (u32[word + (R_KIND >>> 2)] ?? 0) & 0xff)
  }

  /** #matches on a private copy of the record's words, taken with Atomics.load. */
  #matchesRacy(record: number, key: Key, kind: KeyKind, keyBytes: number): boolean {
    const u32 = this.#arena.u32
    const word = record >>> 2
    if (record + R_KEY + align4(keyBytes) > this.#arena.length || (record & 3) !== 0) return false
    if (Atomics.load(u32, word + (R_KEY_BYTES >>> 2)) !== keyBytes || (Atomics.load(u32, word + (R_KIND >>> 2)) & 0xff) !== kind) return false
    return keyEquals(key, kind, loadWords(u32, word + (R_KEY >>> 2), align4(keyBytes) >>> 2), 0, keyBytes, kind)
  }
}
