/**
 * Versions: getVersioned / setIfVersion / deleteIfVersion, the defence against ABA
 * (seed 002 §4.4). compareAndSwap compares values, so a key that went A → B → A
 * passes it; a version names the record, so it does not.
 *
 * A key's version is its record's position on the map's clock (generations.ts):
 * positions are handed out once each, and a shard hands them to its records in
 * rising order, so the versions of a key rise with every write and never come
 * back, not even after a delete and a new insert. They cost no byte per entry: a
 * record keeps its position mod 2^39 (its generation, word 12, and the epoch's low
 * 8 bits, the fourth byte of word 4), and the version is read back as
 *     version = last - ((last - stored) mod 2^39)
 * where `last` is the shard's last position (generations.ts lastPositionLocked):
 * no earlier than the record's position p, earlier than any position the key's next
 * record will get. That is p itself while fewer than 2^39 positions have gone since
 * the record was written, which covers every record younger than about 15 hours
 * of ten million writes a second. An older record reads as a later position of the
 * same residue, still below every later record's version and above every earlier
 * one's: the key's versions still rise and never repeat, but such a record's
 * version moves once per 2^39 positions, and a setIfVersion with the version read
 * before the move fails (a conflict where there was none, never the converse: the
 * check below is sound for any `last` with those two bounds).
 *
 * Why a match proves that no write came between: a caller read version v of record
 * R at time t. Any record of the key written after t has a position above
 * last(t) >= v, and its version is at least its position, so it cannot read as v.
 * Only R itself can. The generation's 'sieve' REF bit is masked off (GEN_MASK).
 *
 * A record that a writer killed midway left DEAD but published (its generation
 * word is 0, tables.ts) is still the key's; its version is `last`: no lower than
 * any version the record had before, above every earlier record's and below the
 * next one's (it moves with every write of the shard: conflicts, never a false match).
 *
 * An absent key has no version: ABSENT_VERSION (0) asks setIfVersion for "insert
 * only if absent", and deleteIfVersion(k, 0) is false, there being nothing to
 * delete. Absence itself is not versioned (a delete leaves no record), so 0 cannot
 * tell absent → present → absent from absent throughout.
 *
 * Every step runs holding the key's shard (a read lock where the strategy has one,
 * the shard's lock word under 'optimistic'), since `last` lives in shard words
 * that writers change with plain stores. Records move between tables on resizes
 * and are never rewritten, so a version survives them.
 */
import { keyKind, type Key } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { DEAD, GEN_MASK, R_GEN, R_KIND, metaOf } from './layout.js'
import type { MapCore } from './core.js'
import type { EntryOptions, Versioned } from './types.js'
import type { Raw } from './values.js'
import { change, putLocked, removeLocked } from './write.js'
import { staleLocked } from './remove.js'
import { reference } from './read.js'
import { deadlineAfter, entryTtl } from './expiry.js'
import { EPOCH_GENS, lastPositionLocked } from './generations.js'

/**
 * The version of an absent key: `setIfVersion(key, value, ABSENT_VERSION)` inserts
 * only if key is absent. No present entry has it (versions start at 1).
 */
export const ABSENT_VERSION = 0

/** Residues a record keeps of its position: 31 generation bits and 8 epoch bits. */
const STORED = 2 ** 39

/** The key's version, of the record a slot of the shard names. Call holding the shard. */
function versionOfLocked(core: MapCore, fields: number, record: number): number {
  const u32 = core.arena.u32
  const last = lastPositionLocked(core, fields)
  const gen = (u32[(record + R_GEN) >>> 2] ?? 0) & GEN_MASK
  if (gen === DEAD) return last
  const stored = ((u32[(record + R_KIND) >>> 2] ?? 0) >>> 24) * EPOCH_GENS + gen
  return last - ((last - stored) % STORED)
}

/** version, checked: a non-negative safe integer. @throws ConmapError ERR_INVALID_ARGUMENT */
export function versionArgument(version: unknown): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `version must be a non-negative safe integer (a version getVersioned() returned, or ABSENT_VERSION), got ${String(version)}`)
  }
  return version
}

export function getVersioned(core: MapCore, key: Key): Versioned<unknown> | undefined {
  core.enter()
  const kind = keyKind(key)
  const hash = core.hash(key, kind)
  const shard = core.shardOf(hash)
  const token = core.protection.lockRead(shard)
  let found: { raw: Raw; version: number } | undefined
  try {
    core.arena.sync()
    const fields = core.fieldsOf(shard)
    const record = core.tables.find(fields, key, kind, metaOf(hash))
    if (record !== 0 && !staleLocked(core, record, Date.now())) {
      if (core.sieve) reference(core.arena.i32, (record + R_GEN) >>> 2)
      found = { raw: core.values.ofRecord(record), version: versionOfLocked(core, fields, record) }
    }
  } finally {
    core.protection.unlockRead(shard, token)
  }
  return found === undefined ? undefined : { value: core.values.finish(found.raw), version: found.version }
}

export function setIfVersion(core: MapCore, key: Key, value: unknown, version: number, options: EntryOptions | undefined): boolean {
  const expected = versionArgument(version)
  const ttl = entryTtl(options, core.ttl, core.cacheRecords)
  const bytes = core.encode(value)
  let written = false
  // A computation in flight is absent: an insert-if-absent replaces it, as set() does; any other version leaves it.
  change(
    core,
    key,
    (fields, slot, kind, hash) => {
      const current = slot < 0 ? ABSENT_VERSION : versionOfLocked(core, fields, core.arena.u32[slot + 1] ?? 0)
      if (current !== expected) return
      putLocked(core, fields, slot, key, kind, hash, bytes, deadlineAfter(ttl))
      written = true
    },
    expected !== ABSENT_VERSION,
  )
  return written
}

export function deleteIfVersion(core: MapCore, key: Key, version: number): boolean {
  const expected = versionArgument(version)
  let deleted = false
  change(
    core,
    key,
    (fields, slot) => {
      if (slot < 0 || versionOfLocked(core, fields, core.arena.u32[slot + 1] ?? 0) !== expected) return
      removeLocked(core, fields, slot)
      deleted = true
    },
    true,
  )
  return deleted
}
