/**
 * map.hotKeys(n): the threads' Space-Saving summaries (recorder.ts) merged by adding
 * the counts of each hash, ranked, and resolved back to keys through the map: the
 * summaries hold 32-bit map hashes, never keys, so a hash is looked for among the
 * keys of the shard it selects (hash >>> (32 - shard bits)), read as iteration reads
 * a shard (consistent, lock-free under 'optimistic'). Only the shards of the
 * candidates are read. A key no longer in the map cannot be named and is left out,
 * so a hot key that is only ever missed is not reported.
 *
 * Why Space-Saving per thread, not a shared count-min sketch: count-min counters
 * are shared by every thread, and a hot key's counters are the ones all threads
 * increment at once, so recording would contend exactly where the load is; it also
 * keeps no keys, needing a heap beside it. A per-thread summary is written by its
 * owner alone with plain stores, names its candidates (as hashes), bounds its error
 * (N / M per thread, N samples) and merges by addition.
 */
import type { Key } from '../codec/index.js'
import { keyKind } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import type { MapCore } from '../map/core.js'
import { shardEntries } from '../map/iterate.js'
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
  for (const row of allRows(region)) {
    for (let entry = 0; entry < region.hotKeys; entry++) {
      const count = row[HOT + 3 * entry + 1] ?? 0
      if (count === 0) break
      const hash = row[HOT + 3 * entry] ?? 0
      counts.set(hash, (counts.get(hash) ?? 0) + count)
    }
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

/** The key of each hash that a key in the map has now (the first one found, on a 32-bit collision). */
function resolve(core: MapCore, hashes: readonly number[]): Map<number, Key> {
  const wanted = new Set(hashes)
  const shards = new Set(hashes.map((hash) => core.shardOf(hash)))
  const keys = new Map<number, Key>()
  const now = Date.now()
  for (const shard of shards) {
    for (const { key } of shardEntries(core, shard, false, now)) {
      const hash = core.hash(key, keyKind(key))
      if (wanted.has(hash) && !keys.has(hash)) keys.set(hash, key)
    }
  }
  return keys
}
