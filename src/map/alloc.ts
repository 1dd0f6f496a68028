/**
 * Blocks for records when the arena is full. A writer holds its own shard's lock;
 * its allocation tries, in order:
 *   1. its shard's free list of the record's size class, then fresh memory (arena.ts;
 *      an overwrite may also take the reserve below maxBytes);
 *   2. in a bounded map, evicting the shard's own victim when its block would fit
 *      (up to LARGER_CLASSES above: see 3.), which needs no other shard's lock;
 *   3. the same class on other shards' free lists, and then up to LARGER_CLASSES
 *      classes above it (a block at most about 2.8x the record: the record's kind
 *      word keeps the block's class, so freeing it returns the whole block). Another
 *      shard's list is taken under that shard's lock, got with tryLock while holding
 *      our own: a writer never waits for a second lock, so two writers taking from
 *      each other's shards cannot deadlock, and a busy shard is skipped. Under the
 *      map-wide locks ('mutex', 'rwmutex', 'none') every list is already ours.
 *      Starting from a round-robin cursor (header word 28), so that no shard is
 *      drained first;
 *   4. in a bounded map, evicting from the writer's shard (its victim's block returns
 *      to that shard's lists, and 1. or 3. takes it); when the shard has nothing to
 *      evict, evicting another shard's victim whose block would fit (tryLock again),
 *      and when none does, backing out for withRoom() to evict elsewhere with no lock
 *      held (evict.ts), after which the write runs again.
 * An unbounded map with no block anywhere is ERR_MAP_FULL, the map unchanged.
 *
 * Tables are not served this way: a table is one large block, and a shard that
 * cannot get one keeps its table (tables.ts reserveLocked), which in a bounded map
 * eviction keeps below the load it can take (reserveSlotLocked).
 */
import { ErrorCode, isConmapError } from '../errors/index.js'
import { CLASS_COUNT, H, R_KIND, classOf, classOfKindWord } from './layout.js'
import type { MapCore } from './core.js'
import { ROOM_ELSEWHERE } from './evict.js'
import { reasonOf, slotOfRecordLocked, unpublishLocked } from './remove.js'

/** Classes above a record's own that may hold it: 2^k and 1.5·2^k steps, so 3 is at most 2.8x. */
const LARGER_CLASSES = 3

/**
 * An arena block of bytes for a record of the shard at `fields`, by the steps of
 * the overview; arena.blockClass is its class. `keep`: the record the write replaces
 * (0 for a new key), never a victim, and what lets the write use the reserve.
 */
export function allocRecordLocked(core: MapCore, fields: number, bytes: number, keep: number): number {
  const cls = classOf(bytes)
  if (cls >= CLASS_COUNT) throw core.arena.full(bytes)
  for (;;) {
    const fresh = core.arena.tryAllocLocked(fields, bytes, keep !== 0)
    if (fresh !== 0) return fresh
    // A bounded map at its steady state has no free block anywhere: its own victim,
    // when its block fits, is the cheap way (no other shard's lock).
    if (core.maxEntries !== 0 && evictOwnFittingLocked(core, fields, keep, cls)) continue
    const block = spareBlockLocked(core, fields, cls)
    if (block !== 0) return block
    evictForRoomLocked(core, fields, () => core.arena.full(bytes), keep, cls)
  }
}

/**
 * Room in the shard's table for a new key, evicting from the writer's shard while
 * the arena has no block for a larger table and the table is too full to take the
 * key unresized (bounded maps; tables.ts reserveLocked).
 */
export function reserveSlotLocked(core: MapCore, fields: number): void {
  for (;;) {
    try {
      return core.tables.reserveLocked(fields)
    } catch (err) {
      if (!isConmapError(err, ErrorCode.MAP_FULL)) throw err
      evictForRoomLocked(core, fields, () => err, 0, -1)
    }
  }
}

/** A free block of class cls or up to LARGER_CLASSES above, from any shard's lists, or 0. */
function spareBlockLocked(core: MapCore, fields: number, cls: number): number {
  const last = Math.min(CLASS_COUNT - 1, cls + LARGER_CLASSES)
  const own = takeClassLocked(core, fields, cls + 1, last)
  return own !== 0 ? own : otherShardsLocked(core, fields, (other) => takeClassLocked(core, other, cls, last))
}

/** A block of class from … last from the lists of the shard at `fields` (its lock held), or 0. */
function takeClassLocked(core: MapCore, fields: number, from: number, last: number): number {
  for (let c = from; c <= last; c++) {
    const block = core.arena.takeLocked(fields, c)
    if (block !== 0) return block
  }
  return 0
}

/**
 * visit() on each shard but the writer's, from the round-robin cursor (header word
 * 28), under that shard's lock got with tryLock (a busy shard is skipped), until one
 * answers nonzero; that answer, or 0.
 */
function otherShardsLocked(core: MapCore, fields: number, visit: (other: number) => number): number {
  const global = core.protection.global
  const from = Atomics.add(core.arena.i32, H.EVICT_SHARD, 1) >>> 0
  for (let n = 0; n < core.shards; n++) {
    const shard = (from + n) % core.shards
    if (core.fieldsOf(shard) === fields) continue
    const other = global ? core.fieldsOf(shard) : core.tryLockShard(shard)
    if (other < 0) continue
    try {
      const found = visit(other)
      if (found !== 0) return found
    } finally {
      if (!global) core.unlockShard(shard)
    }
  }
  return 0
}

/**
 * Answers a failed allocation for a record of class cls (-1: a table slot), in a
 * bounded map: evicts the writer's shard's victim (never `keep`), or else the
 * victim of another shard (tryLock) whose block would fit, or backs the write out
 * to withRoom() (evict.ts). Otherwise throws full().
 */
function evictForRoomLocked(core: MapCore, fields: number, full: () => Error, keep: number, cls: number): void {
  if (core.maxEntries === 0) throw full()
  if (evictVictimLocked(core, fields, (victim) => victim !== keep)) return
  if (cls < 0 || !evictFittingLocked(core, fields, cls)) throw ROOM_ELSEWHERE
}

/** Evicts the writer's shard's victim (not keep) if its block would fit a record of class cls. */
function evictOwnFittingLocked(core: MapCore, fields: number, keep: number, cls: number): boolean {
  return evictVictimLocked(core, fields, (victim) => victim !== keep && fits(core, victim, cls))
}

/** Evicts the victim of another shard if its block would fit a record of class cls. */
function evictFittingLocked(core: MapCore, fields: number, cls: number): boolean {
  const evict = (other: number) => (core.changeLocked(other, () => evictVictimLocked(core, other, (victim) => fits(core, victim, cls))) ? 1 : 0)
  return otherShardsLocked(core, fields, evict) !== 0
}

/** Evicts the policy's victim of the shard at `fields` if `wanted(victim)`; whether it did. */
function evictVictimLocked(core: MapCore, fields: number, wanted: (victim: number) => boolean): boolean {
  const now = Date.now()
  const victim = core.queues.victimLocked(fields, now)
  if (victim === 0 || !wanted(victim)) return false
  unpublishLocked(core, fields, slotOfRecordLocked(core, fields, victim), reasonOf(core, victim, now))
  return true
}

/** Whether a record's block is of class cls … cls + LARGER_CLASSES. */
function fits(core: MapCore, record: number, cls: number): boolean {
  const over = classOfKindWord(core.arena.u32[(record + R_KIND) >>> 2] ?? 0) - cls
  return over >= 0 && over <= LARGER_CLASSES
}
