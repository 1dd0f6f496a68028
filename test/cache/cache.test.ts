// A SharedMap made as a cache, in one thread, on every strategy: per-entry and default
// ttl, ttlOf, touch, expiry seen by every read (get, has, iteration, snapshot, range),
// writers reclaiming what they meet, sweep(), the maxEntries bound with FIFO and SIEVE,
// maxBytes evicting instead of ERR_MAP_FULL, and bad options refused.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { SharedMap, isConmapError, type Concurrency } from '../../src/index.js'

const CONCURRENCIES: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex', 'none']

/** Waits until Date.now() has passed the deadline of entries written before `written`. */
async function pastDeadline(written: number, ttl: number): Promise<void> {
  while (Date.now() < written + ttl) await sleep(Math.max(1, written + ttl - Date.now()))
}

for (const concurrency of CONCURRENCIES) {
  test(`'${concurrency}': an entry is absent to every read from its deadline, present before`, async () => {
    const map = new SharedMap<string, unknown>({ concurrency, ttl: Infinity, shards: 2, sweeper: false })
    map.set('short', { v: 1 }, { ttl: 60 })
    const written = Date.now()
    map.set('long', 'stays', { ttl: 60_000 })
    map.set('never', 7)
    assert.deepEqual(map.get('short'), { v: 1 })
    assert.equal(map.has('short'), true)
    const left = map.ttlOf('short')
    assert.ok(left !== undefined && left > 0 && left <= 60, `ttlOf gives the remaining ms (${left})`)
    assert.equal(map.ttlOf('never'), Infinity)
    assert.equal(map.ttlOf('absent'), undefined)
    await pastDeadline(written, 60)
    assert.equal(map.get('short'), undefined)
    assert.equal(map.has('short'), false)
    assert.equal(map.ttlOf('short'), undefined)
    assert.deepEqual([...map.keys()].sort(), ['long', 'never'])
    assert.deepEqual([...map.snapshot().keys()].sort(), ['long', 'never'])
    const ranged: string[] = []
    map.range((key) => void ranged.push(key))
    assert.deepEqual(ranged.sort(), ['long', 'never'])
    // size counts the expired entry until it is reclaimed; sweep() makes it exact.
    assert.equal(map.size, 3)
    assert.equal(map.sweep(), 1)
    assert.equal(map.size, 2)
    const stats = map.stats()
    assert.equal(stats.expirations, 1)
    assert.ok(stats.sweeps >= 1)
    map.checkInvariants()
  })

  test(`'${concurrency}': writers treat an expired entry as absent and reclaim it`, async () => {
    const map = new SharedMap<string, number>({ concurrency, ttl: 40, shards: 1, sweeper: false })
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) map.set(key, 1)
    const written = Date.now()
    await pastDeadline(written, 40)
    assert.deepEqual(map.loadOrStore('a', 2), { value: 2, loaded: false })
    assert.equal(map.update('b', (v) => (v ?? 10) + 1), 11)
    assert.equal(map.getOrCompute('c', () => 3), 3)
    assert.deepEqual(map.swap('d', 4), { previous: undefined, loaded: false })
    assert.equal(map.compareAndSwap('e', 1, 5), false)
    assert.equal(map.delete('f'), false)
    assert.deepEqual(Object.fromEntries(map.snapshot()), { a: 2, b: 11, c: 3, d: 4 })
    assert.equal(map.stats().expirations, 6)
    assert.equal(map.size, 4)
    map.checkInvariants()
  })

  test(`'${concurrency}': touch restarts a lifetime; per-write ttls on every writing call`, async () => {
    const map = new SharedMap<string, string>({ concurrency, ttl: 50, shards: 1, sweeper: false })
    map.set('a', 'x')
    map.set('b', 'y')
    const written = Date.now()
    assert.equal(map.touch('a', 10_000), true)
    assert.equal(map.touch('absent'), false)
    assert.ok((map.ttlOf('a') ?? 0) > 5_000)
    map.loadOrStore('c', 'z', { ttl: Infinity })
    map.update('d', () => 'w', { ttl: 10_000 })
    map.getOrCompute('e', () => 'v', { ttl: 10_000 })
    await pastDeadline(written, 50)
    assert.deepEqual([...map.keys()].sort(), ['a', 'c', 'd', 'e'])
    assert.equal(map.ttlOf('c'), Infinity)
    assert.equal(map.touch('a', Infinity), true)
    assert.equal(map.ttlOf('a'), Infinity)
    assert.equal(map.get('a'), 'x')
    map.checkInvariants()
  })

  test(`'${concurrency}': maxEntries is never passed; FIFO evicts the least recently written`, () => {
    const map = new SharedMap<number, number>({ concurrency, maxEntries: 100, shards: 4 })
    for (let i = 0; i < 1000; i++) {
      map.set(i, i)
      assert.ok(map.size <= 100, `size ${map.size} after ${i + 1} inserts`)
    }
    assert.equal(map.size, 100)
    const stats = map.stats()
    assert.equal(stats.evictions, 900)
    // Each shard evicts its own oldest first, so the newest keys are all there.
    for (let i = 990; i < 1000; i++) assert.equal(map.get(i), i)
    map.checkInvariants()
    // Overwrites and deletes never evict; a delete makes room.
    for (const key of map.keys()) map.set(key, -key)
    assert.equal(map.stats().evictions, 900)
    const victim = map.keys().next().value as number
    assert.equal(map.delete(victim), true)
    map.set(5000, 1)
    assert.equal(map.stats().evictions, 900)
    assert.equal(map.size, 100)
    map.checkInvariants()
  })

  test(`'${concurrency}': an expired entry is evicted before a live one`, async () => {
    const map = new SharedMap<string, number>({ concurrency, maxEntries: 4, ttl: Infinity, shards: 1, sweeper: false })
    map.set('old', 1)
    map.set('soon', 2, { ttl: 20 })
    map.set('c', 3)
    map.set('d', 4)
    const written = Date.now()
    await pastDeadline(written, 20)
    map.set('e', 5)
    assert.deepEqual([...map.keys()].sort(), ['c', 'd', 'e', 'old'])
    assert.equal(map.stats().expirations, 1)
    assert.equal(map.stats().evictions, 0)
  })
}

test("'sieve' keeps entries read since the hand last passed; 'fifo' does not", () => {
  const kept = (eviction: 'fifo' | 'sieve') => {
    const map = new SharedMap<number, number>({ maxEntries: 10, eviction, shards: 1 })
    for (let i = 0; i < 10; i++) map.set(i, i)
    for (let round = 0; round < 3; round++) for (const hot of [0, 1, 2]) map.get(hot)
    for (let i = 10; i < 17; i++) map.set(i, i)
    map.checkInvariants()
    return [...map.keys()].sort((x, y) => x - y)
  }
  assert.deepEqual(kept('sieve'), [0, 1, 2, 10, 11, 12, 13, 14, 15, 16])
  assert.deepEqual(kept('fifo'), [7, 8, 9, 10, 11, 12, 13, 14, 15, 16])
})

test("'sieve' on the lock strategies and with the read cache off sets the bit too", () => {
  for (const options of [{ concurrency: 'sharded' as const }, { concurrency: 'mutex' as const }, { readCache: 0 }]) {
    const map = new SharedMap<number, number>({ ...options, maxEntries: 4, eviction: 'sieve', shards: 1 })
    for (let i = 0; i < 4; i++) map.set(i, i)
    map.get(0)
    map.set(4, 4)
    assert.deepEqual([...map.keys()].sort(), [0, 2, 3, 4], JSON.stringify(options))
  }
})

test('a bounded map whose arena is full evicts instead of throwing ERR_MAP_FULL; an unbounded one throws', () => {
  const value = 'v'.repeat(2000)
  const bounded = new SharedMap<number, string>({ maxBytes: 256 * 1024, maxEntries: 1_000_000, shards: 1, initialCapacity: 256 })
  for (let i = 0; i < 1000; i++) bounded.set(i, value)
  assert.ok(bounded.size < 1000 && bounded.size > 10, `size ${bounded.size}`)
  assert.equal(bounded.get(999), value)
  assert.ok(bounded.stats().evictions > 0)
  bounded.checkInvariants()
  const plain = new SharedMap<number, string>({ maxBytes: 256 * 1024, ttl: Infinity, shards: 1, initialCapacity: 256 })
  assert.throws(() => {
    for (let i = 0; i < 1000; i++) plain.set(i, value)
  }, (err) => isConmapError(err, 'ERR_MAP_FULL'))
  plain.checkInvariants()
})

for (const concurrency of ['optimistic', 'sharded', 'none'] as const satisfies readonly Concurrency[]) {
  for (const eviction of ['fifo', 'sieve'] as const) {
    test(`'${concurrency}', '${eviction}': a full bounded map whose tables would have to grow evicts instead, with deletes and values of every size`, () => {
      // Default shards and capacity: the arena fills with records while the tables are
      // small, so later inserts need tables that maxBytes leaves no room for.
      const map = new SharedMap<string, string>({ concurrency, eviction, maxBytes: 256 * 1024, maxEntries: 1_000_000, codec: 'string' })
      const written = new Map<string, string>()
      for (let i = 0; i < 30_000; i++) {
        const key = `key:${i}`
        const value = 'v'.repeat(i % 97)
        map.set(key, value)
        written.set(key, value)
        if (i % 3 === 0) map.delete(`key:${i - 1}`)
        // Reads through the read cache too, then a key that may have been evicted.
        if (i % 5 === 0) assert.equal(map.get(key), value)
        if (i % 1000 === 0) map.checkInvariants()
      }
      const stats = map.stats()
      assert.ok(stats.evictions > 10_000, `evictions ${stats.evictions}`)
      assert.ok(stats.bytes.used > 250 * 1024, `the arena is full (${stats.bytes.used} bytes)`)
      assert.ok(map.size > 500, `size ${map.size}`)
      for (const [key, value] of map) assert.equal(value, written.get(key), key)
      map.checkInvariants()
    })
  }
}

test('clear() empties a bounded map and its count', () => {
  const map = new SharedMap<number, number>({ maxEntries: 50, shards: 4 })
  for (let i = 0; i < 80; i++) map.set(i, i)
  map.clear()
  assert.equal(map.size, 0)
  map.checkInvariants()
  for (let i = 0; i < 50; i++) map.set(i, i)
  assert.equal(map.stats().evictions, 30)
  map.checkInvariants()
})

test('bad cache options and entry options are ERR_INVALID_ARGUMENT and change nothing', () => {
  const bad = (options: Record<string, unknown>) =>
    assert.throws(() => new SharedMap(options), (err) => isConmapError(err, 'ERR_INVALID_ARGUMENT'), JSON.stringify(options))
  for (const ttl of [0, -1, NaN, '10', null]) bad({ ttl })
  for (const maxEntries of [0, 1.5, -3, 2 ** 31 + 1, '5']) bad({ maxEntries })
  bad({ maxEntries: 10, eviction: 'lru' })
  bad({ eviction: 'fifo' })
  const map = new SharedMap<string, number>({ ttl: 1000 })
  map.set('a', 1)
  for (const options of [{ ttl: 0 }, { ttl: -5 }, { ttl: 'x' }, null]) {
    assert.throws(() => map.set('a', 2, options as never), (err) => isConmapError(err, 'ERR_INVALID_ARGUMENT'))
    assert.throws(() => map.set('b', 2, options as never), (err) => isConmapError(err, 'ERR_INVALID_ARGUMENT'))
  }
  assert.throws(() => map.touch('a', 0), (err) => isConmapError(err, 'ERR_INVALID_ARGUMENT'))
  assert.throws(() => map.sweep({ budget: -1 }), (err) => isConmapError(err, 'ERR_INVALID_ARGUMENT'))
  assert.deepEqual([...map], [['a', 1]])
  // A map made without the cache options has no deadlines to keep.
  const plain = new SharedMap<string, number>()
  assert.throws(() => plain.set('a', 1, { ttl: 5 }), (err) => isConmapError(err, 'ERR_INVALID_ARGUMENT'))
  assert.throws(() => plain.touch('a'), (err) => isConmapError(err, 'ERR_INVALID_ARGUMENT'))
  assert.throws(() => plain.sweep(), (err) => isConmapError(err, 'ERR_INVALID_ARGUMENT'))
  plain.set('a', 1, {})
  assert.equal(plain.size, 1)
})

test('sweep({ budget }) removes at most budget entries', async () => {
  const map = new SharedMap<number, number>({ ttl: 20, shards: 4, sweeper: false })
  for (let i = 0; i < 100; i++) map.set(i, i)
  const written = Date.now()
  await pastDeadline(written, 20)
  assert.equal(map.sweep({ budget: 30 }), 30)
  assert.equal(map.size, 70)
  assert.equal(map.sweep({ budget: 0 }), 0)
  assert.equal(map.sweep(), 70)
  assert.equal(map.size, 0)
  map.checkInvariants()
})

test('an iteration judges expiry at its start: entries expiring meanwhile are still yielded, later ones not', async () => {
  const map = new SharedMap<number, number>({ ttl: 40, shards: 4, sweeper: false })
  for (let i = 0; i < 40; i++) map.set(i, i)
  const iterator = map.keys()
  const first = iterator.next()
  assert.equal(first.done, false)
  await sleep(80)
  assert.equal([...map.keys()].length, 0, 'a new iteration sees every entry expired')
  assert.equal(1 + [...iterator].length, 40, 'the one begun before the deadline yields them all')
  assert.equal(map.snapshot().size, 0)
})
