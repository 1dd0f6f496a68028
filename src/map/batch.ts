/**
 * SharedMap's batches: getMany, setMany, deleteMany. Atomic per key, not as a whole
 * (each key takes its own shard's lock, one after another), the same contract as
 * RedisMap's batches. Every key and value is checked (and every value encoded) before the
 * first write, so bad input leaves the map unchanged.
 */
import { keyKind, type Key } from '../codec/index.js'
import type { MapCore } from './core.js'
import { deadlineAfter, entryTtl } from './expiry.js'
import { ABSENT } from './read.js'
import type { EntryOptions } from './types.js'
import type { Encoded } from './values.js'
import { put, take } from './write.js'

export function setMany(core: MapCore, entries: Iterable<readonly [Key, unknown]>, options: EntryOptions | undefined): void {
  const ttl = entryTtl(options, core.ttl, core.cacheRecords)
  const encoded: [Key, Encoded][] = []
  for (const [key, value] of entries) {
    keyKind(key)
    encoded.push([key, core.encode(value)])
  }
  for (const [key, bytes] of encoded) put(core, key, bytes, deadlineAfter(ttl))
}

export function deleteMany(core: MapCore, keys: Iterable<Key>): number {
  const all = Array.from(keys)
  for (const key of all) keyKind(key)
  let deleted = 0
  for (const key of all) if (take(core, key, false) !== ABSENT) deleted++
  return deleted
}

export function getMany<K extends Key, V>(get: (key: K) => V | undefined, keys: Iterable<K>): (V | undefined)[] {
  const all = Array.from(keys)
  for (const key of all) keyKind(key)
  return all.map(get)
}
