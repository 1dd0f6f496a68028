// The per-thread read cache (read-cache.ts): a cached value is served only while its
// record is still its key's record. A second SharedMap on the same handle (attach) has
// a cache of its own, exactly as another thread would, so writes through the first
// instance test invalidation deterministically; a reader and a writer thread over a
// few hot keys test it under real concurrency, checked for linearizability.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SharedMap, type SharedMapOptions } from '../../src/index.js'
import { checkHistory, formatHistory, type Operation } from '../../src/check/index.js'
import { mapWorkerFile, start } from '../helpers/workers.js'
import { shardsBase } from '../../src/map/create.js'
import { lockWordsOf, S, Strategy } from '../../src/map/layout.js'

function pair<V>(options: SharedMapOptions<V> = {}): { writer: SharedMap<string, V>; reader: SharedMap<string, V> } {
  const writer = new SharedMap<string, V>({ shards: 1, ...options })
  return { writer, reader: SharedMap.attach<string, V>(writer.handle, options.codec === undefined ? {} : { codec: options.codec }) }
}

const hits = (map: SharedMap<string, unknown>) => map.stats().readCache.hits

test('a cached value is served until its key is overwritten, then the new one', () => {
  const { writer, reader } = pair<string>({ codec: 'string' })
  writer.set('k', 'v1')
  assert.equal(reader.get('k'), 'v1')
  const before = hits(reader)
  assert.equal(reader.get('k'), 'v1')
  assert.equal(reader.has('k'), true)
  assert.equal(hits(reader), before + 2, 'the second get and the has were served from the cache')
  writer.set('k', 'v2')
  assert.equal(reader.get('k'), 'v2')
  assert.equal(reader.get('k'), 'v2')
})

test("a thread's own set of a cached string or number key refreshes its entry; of an object, drops it", () => {
  const map = new SharedMap<string, unknown>()
  map.set('k', 'v1')
  assert.equal(map.get('k'), 'v1')
  map.set('k', 'v2')
  const before = hits(map)
  assert.equal(map.get('k'), 'v2')
  assert.equal(hits(map), before + 1, 'served from the refreshed entry')
  map.set('k', 7)
  assert.equal(map.get('k'), 7)
  assert.equal(hits(map), before + 2)
  map.set('k', { n: 1 })
  assert.deepEqual(map.get('k'), { n: 1 })
  assert.equal(hits(map), before + 2, 'an object value is read anew')
  map.swap('k', 'after swap')
  assert.equal(map.get('k'), 'after swap')
})

test('a deleted key is absent at once, to get and has', () => {
  const { writer, reader } = pair<string>()
  writer.set('k', 'v1')
  assert.equal(reader.get('k'), 'v1')
  writer.delete('k')
  assert.equal(reader.has('k'), false)
  assert.equal(reader.get('k'), undefined)
  writer.set('k', 'back')
  assert.equal(reader.get('k'), 'back')
})

test('a record block freed and reused for the same key, in the same slot, is not mistaken for the cached one', () => {
  // Two more keys keep the delete below from shrinking the table.
  const { writer, reader } = pair<string>({ codec: 'string', initialCapacity: 0 })
  writer.set('a', 'a')
  writer.set('b', 'b')
  writer.set('k', 'x1')
  assert.equal(reader.get('k'), 'x1')
  // Same-size values: 'y1' takes a second block and frees the first; 'z1' then pops
  // the first block off the free list: the cached record's offset and slot, new contents.
  writer.set('k', 'y1')
  const top = writer.stats().bytes.used
  writer.set('k', 'z1')
  assert.equal(writer.stats().bytes.used, top, "'z1' went into a reused block, not fresh memory")
  assert.equal(reader.get('k'), 'z1')
  // Deleted and re-inserted: the tombstoned slot and the freed block come back.
  assert.equal(reader.get('k'), 'z1')
  writer.delete('k')
  writer.set('k', 'w1')
  assert.equal(writer.stats().bytes.used, top)
  assert.equal(reader.get('k'), 'w1')
})

test('entries survive a resize that moves their slots (records stay), and clear() drops them all', () => {
  const { writer, reader } = pair<number>({ initialCapacity: 0 })
  for (let i = 0; i < 16; i++) writer.set(`k${i}`, i)
  for (let i = 0; i < 16; i++) assert.equal(reader.get(`k${i}`), i)
  const resizes = writer.stats().resizes
  for (let i = 16; i < 5000; i++) writer.set(`k${i}`, i)
  assert.ok(writer.stats().resizes > resizes + 3, 'the table resized several times')
  const before = hits(reader)
  for (let i = 0; i < 16; i++) assert.equal(reader.get(`k${i}`), i)
  assert.equal(hits(reader), before + 16, 'moving slots does not invalidate the records')
  writer.clear()
  for (let i = 0; i < 16; i++) {
    assert.equal(reader.get(`k${i}`), undefined)
    assert.equal(reader.has(`k${i}`), false)
  }
})

test('the cache holds at most readCache entries, keeps a hot key (CLOCK), and answers right beyond its bound', () => {
  const writer = new SharedMap<string, number>({ shards: 4 })
  const reader = SharedMap.attach<string, number>(writer.handle, { readCache: 100 })
  for (let i = 0; i < 1000; i++) writer.set(`k${i}`, i)
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 1000; i++) {
      assert.equal(reader.get(`k${i}`), i)
      assert.equal(reader.get('k0'), 0)
    }
  }
  const { entries, capacity, hits: hitCount } = reader.stats().readCache
  assert.equal(capacity, 100)
  assert.ok(entries <= 100, `${entries} entries`)
  assert.ok(hitCount >= 2990, `the hot key stayed cached (${hitCount} hits)`)
})

test('object values from the cache are deeply frozen and shared; values that cannot be frozen are fresh copies', () => {
  const { writer, reader } = pair<unknown>()
  writer.set('o', { id: 1, tags: ['a', 'b'], nested: { deep: [1, { x: 2 }] } })
  const first = reader.get('o') as { tags: string[]; nested: { deep: [number, { x: number }] } }
  const second = reader.get('o')
  assert.equal(first, second, 'one object for every caller of this thread')
  assert.ok(Object.isFrozen(first) && Object.isFrozen(first.tags) && Object.isFrozen(first.nested.deep[1]))
  assert.throws(() => first.tags.push('c'), TypeError)
  assert.throws(() => {
    first.nested.deep[1].x = 3
  }, TypeError)
  assert.deepEqual(reader.get('o'), { id: 1, tags: ['a', 'b'], nested: { deep: [1, { x: 2 }] } })

  writer.set('m', { when: new Date(0), seen: new Map([['a', 1]]) })
  const m1 = reader.get('m') as { seen: Map<string, number> }
  m1.seen.set('b', 2)
  const m2 = reader.get('m') as { seen: Map<string, number> }
  assert.notEqual(m1, m2)
  assert.deepEqual([...m2.seen], [['a', 1]], "one caller's change does not reach the next")
  assert.ok(!Object.isFrozen(m2))
})

test("a user codec's values are never frozen: each get decodes a fresh copy (the cache skips the shared-memory read)", () => {
  const codec = { name: 'tagged-json', encode: (v: unknown) => new TextEncoder().encode(JSON.stringify(v)), decode: (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as unknown }
  const writer = new SharedMap<string, unknown>({ codec })
  const reader = SharedMap.attach<string, unknown>(writer.handle, { codec })
  writer.set('o', { tags: ['a'] })
  const first = reader.get('o') as { tags: string[] }
  first.tags.push('b')
  const before = hits(reader)
  assert.deepEqual(reader.get('o'), { tags: ['a'] })
  assert.equal(hits(reader), before + 1, 'served from the cache')
  assert.ok(!Object.isFrozen(reader.get('o')))
})

test('readCache: 0 turns the cache off: fresh, unfrozen copies, and no entries', () => {
  const writer = new SharedMap<string, unknown>()
  const reader = SharedMap.attach<string, unknown>(writer.handle, { readCache: 0 })
  writer.set('o', { tags: ['a'] })
  const a = reader.get('o') as { tags: string[] }
  a.tags.push('b')
  assert.deepEqual(reader.get('o'), { tags: ['a'] })
  assert.ok(!Object.isFrozen(reader.get('o')))
  assert.deepEqual(reader.stats().readCache, { entries: 0, capacity: 0, hits: 0, misses: 0 })
})

test('keys are told apart as the map tells them: -0 is 0, NaN is NaN, 1 and 1n and "1" differ', () => {
  const writer = new SharedMap<number | bigint | string, string>()
  const reader = SharedMap.attach<number | bigint | string, string>(writer.handle)
  writer.set(0, 'zero')
  writer.set(Number.NaN, 'nan')
  writer.set(1, 'one')
  writer.set(1n, 'big one')
  writer.set('1', 'string one')
  for (let round = 0; round < 2; round++) {
    assert.equal(reader.get(-0), 'zero')
    assert.equal(reader.get(0), 'zero')
    assert.equal(reader.get(Number.NaN), 'nan')
    assert.equal(reader.get(1), 'one')
    assert.equal(reader.get(1n), 'big one')
    assert.equal(reader.get('1'), 'string one')
  }
  writer.set(-0, 'minus zero')
  assert.equal(reader.get(0), 'minus zero')
})

test('a get from inside an update callback still fails with ERR_RECURSIVE_UPDATE when the key is cached', () => {
  const map = new SharedMap<string, number>()
  map.set('k', 1)
  assert.equal(map.get('k'), 1)
  assert.equal(map.get('k'), 1)
  assert.throws(
    () => map.update('other', () => map.get('k')),
    (err: unknown) => (err as { code?: string }).code === 'ERR_RECURSIVE_UPDATE',
  )
})

test('readCache must be an integer from 0 to 2^24; the lock strategies have no cache', () => {
  for (const readCache of [-1, 1.5, 2 ** 24 + 1, Number.NaN, '8' as unknown as number]) {
    assert.throws(
      () => new SharedMap({ readCache }),
      (err: unknown) => (err as { code?: string }).code === 'ERR_INVALID_ARGUMENT',
    )
    assert.throws(
      () => SharedMap.attach(new SharedMap().handle, { readCache }),
      (err: unknown) => (err as { code?: string }).code === 'ERR_INVALID_ARGUMENT',
    )
  }
  for (const concurrency of ['sharded', 'rwmutex', 'mutex', 'none'] as const) {
    const map = new SharedMap<string, number>({ concurrency })
    map.set('k', 1)
    assert.equal(map.get('k'), 1)
    assert.equal(map.get('k'), 1)
    assert.equal(map.stats().readCache.capacity, 0, concurrency)
  }
})

test('a writer thread and two reader threads over 8 hot keys: every history linearizable, caches hit and invalidated', async () => {
  const keys = Array.from({ length: 8 }, (_, i) => `hot:${i}`)
  const map = new SharedMap<string, unknown>({ shards: 2 })
  for (const key of keys) map.set(key, 'initial')
  const initial: Operation[] = keys.map((key) => ({ thread: 9, key, op: 'set', args: ['initial'], call: 0, ret: 0 }))
  const stop = new SharedArrayBuffer(8)
  const origin = performance.timeOrigin
  const readers = [1, 2].map((thread) => start('cacheReader', { handle: map.handle, keys, seed: thread * 7919, thread, stop, origin }, mapWorkerFile))
  await Promise.all(readers.map((r) => r.event('running')))
  const writer = start('cacheWriter', { handle: map.handle, keys, steps: 20_000, stop, origin }, mapWorkerFile)
  const written = (await writer.result) as { ops: Operation[]; last: Record<string, unknown> }
  Atomics.store(new Int32Array(stop), 0, 1)
  const read = (await Promise.all(readers.map((r) => r.result))) as Array<{ ops: Operation[]; cache: { hits: number; misses: number }; final: Record<string, unknown> }>
  for (const [i, r] of read.entries()) {
    assert.deepEqual(r.final, written.last, `reader ${i + 1} sees every key's last value after the writer is done`)
    assert.ok(r.cache.hits > 1000, `reader ${i + 1}: ${r.cache.hits} cache hits`)
    assert.ok(r.cache.misses > 100, `reader ${i + 1}: ${r.cache.misses} misses (invalidations)`)
  }
  const history = [...initial, ...written.ops, ...read.flatMap((r) => r.ops)]
  const verdict = checkHistory(history)
  assert.equal(verdict.linearizable, true, verdict.failure === undefined ? 'undecided' : formatHistory(verdict.failure.operations))
  assert.equal(verdict.keysChecked, keys.length)
})

test("the shard's era keeps a cached entry from passing when the seq comes back to its value (a wraparound, simulated)", () => {
  const { writer, reader } = pair<string>({ codec: 'string' })
  const i32 = new Int32Array(writer.handle.buffer)
  const fields = shardsBase(lockWordsOf(Strategy.optimistic, 64).global) + lockWordsOf(Strategy.optimistic, 64).shard
  const seqAt = fields + S.SEQ
  const eraAt = fields + S.ERA
  // Two changes before the seq passes 1 mod 2^30: the second change's opening increment does.
  Atomics.store(i32, seqAt, 2 ** 30 - 2)
  writer.set('k', 'v1')
  assert.equal(reader.get('k'), 'v1')
  const cachedAt = Atomics.load(i32, seqAt)
  const era = Atomics.load(i32, eraAt)
  writer.set('k', 'v2')
  assert.equal(Atomics.load(i32, eraAt), era + 1, 'the era moved')
  // As if 2^31 more changes had brought the seq round to the cached value.
  Atomics.store(i32, seqAt, cachedAt)
  const misses = reader.stats().readCache.misses
  assert.equal(reader.get('k'), 'v2')
  assert.equal(reader.stats().readCache.misses, misses + 1, 'the entry was read anew, not served')
})

test('an entry whose shard took many changes since it was stamped is still served by its record, and read anew once its key is overwritten', () => {
  const { writer, reader } = pair<string>({ codec: 'string' })
  writer.set('k', 'v1')
  assert.equal(reader.get('k'), 'v1')
  // One shard, so every set below changes the shard the entry was stamped in: a few
  // changes (the entry is stamped anew) and then many (it is not, and its record's
  // generation vouches for it on every hit).
  for (const changes of [3, 500]) {
    for (let i = 0; i < changes; i++) writer.set(`other:${i}`, 'x')
    const { hits: before, misses } = reader.stats().readCache
    assert.equal(reader.get('k'), 'v1')
    assert.equal(reader.get('k'), 'v1')
    assert.equal(reader.has('k'), true)
    assert.deepEqual([reader.stats().readCache.hits, reader.stats().readCache.misses], [before + 3, misses], `after ${changes} changes`)
  }
  writer.set('k', 'v2')
  const { misses } = reader.stats().readCache
  assert.equal(reader.get('k'), 'v2')
  assert.equal(reader.stats().readCache.misses, misses + 1, 'the overwritten value was not served')
  assert.equal(reader.get('k'), 'v2')
})
