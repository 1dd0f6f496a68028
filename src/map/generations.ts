/**
 * Record generations and their positions on the map's clock.
 *
 * The clock (header words 38-39, one 64-bit word) counts positions: every position
 * is handed out once, to at most one record of the map. A position p names the
 * generation p mod 2^31 (the record's word 12, layout.ts) in the epoch
 * floor(p / 2^31); positions whose generation would be 0 (DEAD) are skipped. Shards
 * take positions GEN_BATCH at a time with one Atomics.add and hand them out in
 * order under their lock, so a shard's records get rising positions, and a record
 * keeps the low 8 bits of its epoch in the fourth byte of its kind word: the
 * 39 bits stored per record are p mod 2^39. versions.ts turns them back into p.
 *
 * The shard's batch is two words: S.GEN_NEXT, the generation its next record takes
 * (a multiple of GEN_BATCH once the batch is used up, 0 before the first), and
 * S.GEN_EPOCH, the batch's epoch. A refill stores the epoch before the next word,
 * and the epoch is read only while the next word says the batch is not used up,
 * so a writer that dies between the two stores leaves the shard looking used up:
 * its next record takes a new batch.
 *
 * Positions are exact as JavaScript numbers up to 2^53: 28 years of a map written
 * at ten million records a second.
 */
import { H, S } from './layout.js'
import type { MapCore } from './core.js'

/**
 * Positions a shard takes from the clock at once: 1024 makes the clock's cache line
 * move once per 1024 records a shard writes, and divides 2^31, so no batch
 * straddles an epoch and a used-up batch shows as a multiple of it.
 */
export const GEN_BATCH = 1024
/** Generations per epoch. */
export const EPOCH_GENS = 2 ** 31

/** BigInt64 index of the clock (header words 38-39). */
const CLOCK = H.GEN_CLOCK >>> 1
const clocks = new WeakMap<SharedArrayBuffer, BigInt64Array>()

/** The header's 64-bit clock word: a view of the buffer's first bytes, which never move. */
function clockOf(core: MapCore): BigInt64Array {
  const buffer = core.arena.buffer
  let clock = clocks.get(buffer)
  if (clock === undefined) {
    clock = new BigInt64Array(buffer, 0, CLOCK + 1)
    clocks.set(buffer, clock)
  }
  return clock
}

/** The first position not yet taken by any shard. */
export function clockNow(core: MapCore): number {
  return Number(Atomics.load(clockOf(core), CLOCK))
}

/**
 * A generation for a new record: the next of the shard's batch, a new batch from
 * the clock when it is used up. The shard's next word moves before the record is
 * written, so a writer that dies leaves a position unused, never one given twice.
 * The batch's epoch is then in S.GEN_EPOCH.
 */
export function nextGenLocked(core: MapCore, fields: number): number {
  const u32 = core.arena.u32
  let gen = u32[fields + S.GEN_NEXT] ?? 0
  if ((gen & (GEN_BATCH - 1)) === 0) {
    const start = Number(Atomics.add(clockOf(core), CLOCK, BigInt(GEN_BATCH)))
    u32[fields + S.GEN_EPOCH] = Math.floor(start / EPOCH_GENS)
    gen = start % EPOCH_GENS || 1
  }
  u32[fields + S.GEN_NEXT] = gen + 1
  return gen
}

/**
 * A position no earlier than any the shard has given a record and earlier than any
 * it will: its last one while its batch lasts, else the clock's last (the shard's
 * next batch starts at the clock or later). Call holding the shard's lock.
 */
export function lastPositionLocked(core: MapCore, fields: number): number {
  const u32 = core.arena.u32
  const next = u32[fields + S.GEN_NEXT] ?? 0
  if ((next & (GEN_BATCH - 1)) === 0) return clockNow(core) - 1
  return (u32[fields + S.GEN_EPOCH] ?? 0) * EPOCH_GENS + next - 1
}
