/**
 * Taking an entry out of a shard for any reason: a delete, an expiry met by a
 * writer or the sweeper, an eviction. One place, so that the shard's queue, the
 * bound's live count and the map's statistics always move together with the table.
 */
import { readKey, type KeyKind } from '../codec/index.js'
import { H, R_KEY, R_KEY_BYTES, R_KIND, S, metaOf } from './layout.js'
import { ValueTag } from './values.js'
import type { MapCore } from './core.js'
import { expiredLocked } from './expiry.js'

export const Removal = { deleted: 0, expired: 1, evicted: 2 } as const
export type RemovalReason = (typeof Removal)[keyof typeof Removal]

/**
 * Unpublishes the entry in slot (an index of the current table). keepLive: its place
 * in the bound passes to an entry this change inserts (evict.ts), so live stays.
 */
export function unpublishLocked(core: MapCore, fields: number, slot: number, why: RemovalReason, keepLive = false): void {
  const { i32, u32 } = core.arena
  const record = u32[slot + 1] ?? 0
  if (core.cacheRecords && core.values.tagOfRecord(record, false) === ValueTag.pending) {
    core.tables.removeLocked(fields, slot)
    u32[fields + S.PENDING] = (u32[fields + S.PENDING] ?? 0) - 1
    notifyFlightsLocked(core, fields)
    return
  }
  if (core.cacheRecords) core.queues.unlinkLocked(fields, record)
  core.tables.removeLocked(fields, slot)
  if (core.maxEntries !== 0 && !keepLive) Atomics.sub(i32, H.LIVE, 1)
  if (why === Removal.expired) Atomics.add(i32, H.EXPIRATIONS, 1)
  else if (why === Removal.evicted) Atomics.add(i32, H.EVICTIONS, 1)
}

/** The current-table slot of a published record (brings it over from an old table). */
export function slotOfRecordLocked(core: MapCore, fields: number, record: number): number {
  const { u32, views } = core.arena
  const word = record >>> 2
  const kind = ((u32[word + (R_KIND >>> 2)] ?? 0) & 0xff) as KeyKind
  const key = readKey(views, record + R_KEY, u32[word + (R_KEY_BYTES >>> 2)] ?? 0, kind)
  return core.tables.locateLocked(fields, key, kind, metaOf(core.hash(key, kind)))
}

/**
 * A writer met slot's entry: if it has expired, removes it (inside the writer's
 * change) and returns -1, for the writer to treat the key as absent; else slot. A
 * computation in flight is absent too: a write replaces it (the computation's
 * result is then dropped), unless keepPending (for writes that never insert an
 * absent key: they leave the flight alone and must not insert on -1).
 */
export function liveSlotLocked(core: MapCore, fields: number, slot: number, keepPending = false): number {
  if (slot < 0 || !core.cacheRecords) return slot
  const record = core.arena.u32[slot + 1] ?? 0
  if (!staleLocked(core, record, Date.now())) return slot
  const pending = isPendingLocked(core, record)
  if (!pending || !keepPending) unpublishLocked(core, fields, slot, pending ? Removal.deleted : Removal.expired)
  return -1
}

/** A record a writer treats as absent: a computation in flight, or an expired entry (cache maps). */
export function staleLocked(core: MapCore, record: number, now: number): boolean {
  return core.cacheRecords && (isPendingLocked(core, record) || expiredLocked(core.arena.u32, record, now))
}

function isPendingLocked(core: MapCore, record: number): boolean {
  return core.values.tagOfRecord(record, false) === ValueTag.pending
}

/** Wakes the getOrComputeAsync waiters of the shard (flight.ts). */
export function notifyFlightsLocked(core: MapCore, fields: number): void {
  Atomics.add(core.arena.i32, fields + S.FLIGHTS, 1)
  Atomics.notify(core.arena.i32, fields + S.FLIGHTS)
}

export function reasonOf(core: MapCore, record: number, now: number): RemovalReason {
  return expiredLocked(core.arena.u32, record, now) ? Removal.expired : Removal.evicted
}
