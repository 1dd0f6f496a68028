// A full map serves any change that fits in what it frees (alloc.ts): overwrites
// need no extra room (the reserve below maxBytes), and a delete in one shard makes
// room for an insert in any other (blocks move between shards, their generations
// unique to the map so that read caches stay right).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SharedMap, isConmapError, type Concurrency } from '../../src/index.js'

const CONCURRENCIES: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex', 'none']
const key = (i: number) => `key:${String(i).padStart(6, '0')}`
/** Every value has the same length, so every record has the same size. */
const value = (i: number, version: number) => `${String(i).padStart(6, '0')}:${String(version).padStart(4, '0')}:${'v'.repeat(24)}`

/**
 * A 16-shard map of 256 KiB, filled with same-size entries until a set is ERR_MAP_FULL.
 * Its tables are made up front for the ~3000 entries that fit: a table that has to grow
 * in a full arena needs one large block, which freed records do not make (README).
 */
function fullMap(concurrency: Concurrency): { map: SharedMap<string, string>; count: number } {
  const map = new SharedMap<string, string>({ concurrency, shards: 16, maxBytes: 256 * 1024, initialCapacity: 4096, codec: 'string' })
  let count = 0
  for (;; count++) {
    try {
      map.set(key(count), value(count, 0))
    } catch (err) {
      assert.ok(isConmapError(err, 'ERR_MAP_FULL'), String(err))
      break
    }
  }
  assert.ok(count > 1000, `${count} entries fit`)
  return { map, count }
}

for (const concurrency of CONCURRENCIES) {
  test(`'${concurrency}': a full map overwrites every key with a value of the same size, again and again`, () => {
    const { map, count } = fullMap(concurrency)
    for (let version = 1; version <= 3; version++) {
      for (let i = 0; i < count; i++) map.set(key(i), value(i, version))
      for (let i = 0; i < count; i++) assert.equal(map.get(key(i)), value(i, version))
    }
    // The atomic operations too: each writes a new record before freeing the old one.
    for (let i = 0; i < count; i++) {
      assert.equal(map.swap(key(i), value(i, 4)).previous, value(i, 3))
      assert.equal(map.compareAndSwap(key(i), value(i, 4), value(i, 5)), true)
      assert.equal(map.update(key(i), () => value(i, 6)), value(i, 6))
    }
    assert.equal(map.size, count)
    map.checkInvariants()
  })

  test(`'${concurrency}': in a full map a delete makes room for an insert of the same size in any shard`, () => {
    const { map, count } = fullMap(concurrency)
    let next = count
    // One delete, one insert of a new key (another shard, mostly): never refused.
    for (let round = 0; round < 500; round++) {
      const gone = key((round * 7919) % count)
      if (!map.delete(gone)) continue
      map.set(key(next), value(next, 0))
      next++
    }
    assert.equal(map.size, count)
    // What stats() reports free is usable: 64 deletes, then 64 inserts elsewhere.
    const before = map.stats().bytes.free
    const deleted: string[] = []
    for (const k of map.keys()) {
      if (deleted.length === 64) break
      deleted.push(k)
    }
    for (const k of deleted) map.delete(k)
    const freed = map.stats().bytes.free - before
    assert.ok(freed >= 64 * 48, `64 deletes freed ${freed} bytes`)
    for (let i = 0; i < 64; i++, next++) map.set(key(next), value(next, 0))
    assert.equal(map.size, count)
    assert.ok(map.stats().bytes.free <= before + freed - 64 * 48, 'the inserts took the freed blocks')
    for (let i = count; i < next; i++) {
      const got = map.get(key(i))
      assert.ok(got === undefined || got === value(i, 0), `${key(i)} = ${String(got)}`)
    }
    map.checkInvariants()
  })
}

test('a cached value whose block another shard reuses is not served again', () => {
  const { map, count } = fullMap('optimistic')
  // Fill the read cache with every key, then free every other key's block and fill the
  // map up again with new keys, which take those blocks whatever their shard.
  for (let twice = 0; twice < 2; twice++) for (let i = 0; i < count; i++) map.get(key(i))
  assert.ok(map.stats().readCache.hits >= count)
  for (let i = 0; i < count; i += 2) map.delete(key(i))
  let next = count
  for (; next < 3 * count; next++) {
    try {
      map.set(key(next), value(next, 1))
    } catch (err) {
      assert.ok(isConmapError(err, 'ERR_MAP_FULL'), String(err))
      break
    }
  }
  assert.ok(next - count >= count / 2 - 64, `${next - count} new keys took the ${Math.ceil(count / 2)} freed blocks`)
  for (let i = 0; i < count; i++) assert.equal(map.get(key(i)), i % 2 === 0 ? undefined : value(i, 0), key(i))
  for (let i = count; i < next; i++) assert.equal(map.get(key(i)), value(i, 1), key(i))
  map.checkInvariants()
})
