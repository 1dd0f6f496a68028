/**
 * map.hotKeys(n): the threads' hot-key summaries (recorder.ts) merged by adding
 * the counts of each hash, ranked, and resolved back to keys through the map: the
 * summaries hold 32-bit map hashes, never keys, so a hash is looked up as a key is,
 * along its probe path in its shard, under the shard's lock for one probe (resolve):
 * a few slots per candidate, however large the map. A key no longer in the map
 * cannot be named and is left out, so a hot key that is only ever missed is not
 * reported.
 *
 * Why a HeavyKeeper per thread. A count-min sketch shared by all threads would have
 * every thread increment the same counters for a hot key, so recording would contend
 * exactly where the load is, and it keeps no keys (a heap would have to sit beside
 * it). Space-Saving per thread names its candidates, but with few counters a long
 * tail of keys keeps taking over the least one, and only keys above N / M of a
 * thread's N samples are sure to stay: measured here (scripts/hot-keys-accuracy.mjs)
 * it found 7 of the true top 10 of a Zipf(0.99) workload with 32 counters. A
 * HeavyKeeper of the same memory holds heavy keys against the tail (recorder.ts);
 * its counts only underestimate, it is written by its owner alone, and summaries
 * merge by addition.
 */
import { keyKind, readKey, type Key, type KeyKind } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import type { MapCore } from '../map/core.js'
import { R_KEY, R_KEY_BYTES, R_KIND, metaOf } from '../map/layout.js'
import { HOT } from './layout.js'
import { allRows, regionFor } from './sum.js'
import type { HotKey } from './types.js'

/** Candidates resolved per key asked for: room for hot hashes whose keys are gone. */
const CANDIDATES_PER_KEY = 4

export function hotKeysOf(core: MapCore, n: number): HotKey[] {
  core.enter()
  if (!Number.isInteger(n) || n < 0) throw conmapError(ErrorCode.INVALID_ARGUMENT, `hotKeys(n) needs a non-negative integer, got ${String(n)}`)
  const region = regionFor(core, 'hotKeys()')
  const counts = new Map<number, number>()
  const width = region.hotKeys
  for (const row of allRows(region)) {
    // A hash sits in up to two buckets of a row: the larger count is the row's estimate.
    const own = new Map<number, number>()
    for (let bucket = 0; bucket < 2 * width; bucket++) {
      const count = row[HOT + 2 * bucket + 1] ?? 0
      const hash = row[HOT + 2 * bucket] ?? 0
      if (count > (own.get(hash) ?? 0)) own.set(hash, count)
    }
    for (const [hash, count] of own) counts.set(hash, (counts.get(hash) ?? 0) + count)
  }
  const ranked = [...counts].sort((a, b) => b[1] - a[1]).slice(0, n * CANDIDATES_PER_KEY)
  const keys = resolve(core, ranked.map(([hash]) => hash))
  const hot: HotKey[] = []
  for (const [hash, count] of ranked) {
    const key = keys.get(hash)
    if (key === undefined) continue
    hot.push({ key, count: count * region.sample })
    if (hot.length === n) break
  }
  return hot
}

/**
 * The key of each hash that a key in the map has now (the first one found, on a
 * 32-bit collision): the records on the hash's probe path whose slot meta matches,
 * read holding the shard's lock (a read lock where the strategy has one) for the
 * length of one probe, their keys decoded and hashed again.
 */
function resolve(core: MapCore, hashes: readonly number[]): Map<number, Key> {
  const keys = new Map<number, Key>()
  const arena = core.arena
  for (const hash of hashes) {
    const shard = core.shardOf(hash)
    const token = core.optimistic ? (core.lockShard(shard), 0) : core.protection.lockRead(shard)
    try {
      arena.sync()
      for (const record of core.tables.recordsWithMetaLocked(core.fieldsOf(shard), metaOf(hash))) {
        const word = record >>> 2
        const key = readKey(arena.views, record + R_KEY, arena.u32[word + (R_KEY_BYTES >>> 2)] ?? 0, ((arena.u32[word + (R_KIND >>> 2)] ?? 0) & 0xff) as KeyKind)
        if (core.hash(key, keyKind(key)) === hash) {
          keys.set(hash, key)
          break
        }
      }
    } finally {
      if (core.optimistic) core.unlockShard(shard)
      else core.protection.unlockRead(shard, token)
    }
  }
  return keys
}
