/**
 * The bound of a map made with maxEntries: `live` (header word 23) counts its
 * entries, and a new key takes its place in the count before it is inserted:
 *
 *   reserve: while live < max, compareExchange(live, n, n + 1) and insert. At the
 *   bound, evict a victim of the writer's own shard (queue.ts) in the same change:
 *   its place passes to the new entry and live does not move. If the own shard has
 *   nothing to evict, the write backs out (nothing changed yet), evicts from
 *   another shard with only that shard locked (round robin from header word 28:
 *   never two shard locks at once, so no deadlock) and starts again.
 *
 * live rises before an insert and falls after a removal, so the map never holds
 * more than maxEntries entries under any interleaving. A writer killed between the
 * two steps leaves live one too high (never too low: the bound still holds); the
 * shard's repair raises header word 24, and the count is redone holding every shard
 * (no change in progress anywhere) by the next write to the map, before it locks
 * anything.
 *
 * maxBytes: in a bounded map, a write that finds the arena full evicts (alloc.ts).
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { H } from './layout.js'
import { entriesOf } from './inspect.js'
import type { MapCore } from './core.js'
import { reasonOf, slotOfRecordLocked, unpublishLocked } from './remove.js'

/** Thrown by a write whose own shard has nothing to evict; withRoom() catches it. */
export const ROOM_ELSEWHERE: unique symbol = Symbol('room elsewhere')

/** Runs a write, making room in other shards whenever it backs out for want of it. */
export function withRoom<T>(core: MapCore, write: () => T): T {
  if (core.maxEntries === 0) return write()
  if (Atomics.load(core.arena.i32, H.RECOUNT) !== 0) recount(core)
  for (;;) {
    try {
      return write()
    } catch (err) {
      if (err !== ROOM_ELSEWHERE) throw err
    }
    if (!evictElsewhere(core)) throw conmapError(ErrorCode.MAP_FULL, `the map is full: maxBytes (${core.arena.buffer.maxByteLength}) has no block for this write even with every other entry evicted`)
  }
}

/** Takes a place in the bound for a new key, inside the writer's change. */
export function reserveEntryLocked(core: MapCore, fields: number): void {
  const i32 = core.arena.i32
  for (;;) {
    const live = Atomics.load(i32, H.LIVE)
    if (live < core.maxEntries) {
      if (Atomics.compareExchange(i32, H.LIVE, live, live + 1) === live) return
      continue
    }
    const now = Date.now()
    const victim = core.queues.victimLocked(fields, now)
    if (victim === 0) throw ROOM_ELSEWHERE
    unpublishLocked(core, fields, slotOfRecordLocked(core, fields, victim), reasonOf(core, victim, now), true)
    return
  }
}

/** Gives back a place taken by reserveEntryLocked() for an insert that did not happen. */
export function releaseEntry(core: MapCore): void {
  if (core.maxEntries !== 0) Atomics.sub(core.arena.i32, H.LIVE, 1)
}

/**
 * Evicts one entry from some shard, taking one shard lock at a time. False when no
 * shard has one: the write wanted memory that evicting everything did not give.
 */
function evictElsewhere(core: MapCore): boolean {
  const i32 = core.arena.i32
  for (let tried = 0; tried < core.shards; tried++) {
    const shard = (Atomics.add(i32, H.EVICT_SHARD, 1) >>> 0) % core.shards
    const fields = core.lockShard(shard)
    try {
      // Inside a change even when nothing is evicted: the 'sieve' hand clears reference
      // bits only in changes (read-cache.ts relies on it).
      const evicted = core.changeLocked(fields, () => {
        const now = Date.now()
        const victim = core.queues.victimLocked(fields, now)
        if (victim !== 0) unpublishLocked(core, fields, slotOfRecordLocked(core, fields, victim), reasonOf(core, victim, now))
        return victim !== 0
      })
      if (evicted) return true
    } finally {
      core.unlockShard(shard)
    }
  }
  // Nothing to evict anywhere. If the count says full, only a dead writer's
  // reservation not yet recounted explains that (its repair ran inside this write).
  recount(core)
  if (Atomics.load(i32, H.LIVE) >= core.maxEntries) {
    throw conmapError(ErrorCode.INVARIANT_VIOLATION, `the map counts ${Atomics.load(i32, H.LIVE)} entries of ${core.maxEntries} but has none to evict`)
  }
  return false
}

/** Sets live to the entries the shards hold, holding every shard. */
export function recount(core: MapCore): void {
  core.withAllShards(() => {
    let live = 0
    for (let shard = 0; shard < core.shards; shard++) live += entriesOf(core.arena.u32, core.fieldsOf(shard))
    Atomics.store(core.arena.i32, H.LIVE, live)
    Atomics.store(core.arena.i32, H.RECOUNT, 0)
  })
}
