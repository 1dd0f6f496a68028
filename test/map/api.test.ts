// The Map-compatible surface of SharedMap, checked side by side with a real Map: size, the
// iterators, forEach, range, snapshot, clear, stats, duck-typed use where a Map or iterable is
// expected, and keys of all three kinds under SameValueZero.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SharedMap, type Concurrency } from '../../src/index.js'

type K = string | number | bigint

const CONCURRENCIES: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex', 'none']

function sample(concurrency: Concurrency = 'optimistic'): { map: SharedMap<K, unknown>; model: Map<K, unknown> } {
  const map = new SharedMap<K, unknown>({ concurrency, shards: 4, initialCapacity: 2 })
  const model = new Map<K, unknown>()
  const entries: Array<[K, unknown]> = [
    ['a', 1],
    ['b', { nested: [1, 2] }],
    [1, 'number one'],
    [1n, 'bigint one'],
    ['1', 'string one'],
    [2n ** 100n, new Date(0)],
    ['', undefined],
  ]
  for (let i = 0; i < 100; i++) entries.push([`k${i}`, i])
  for (const [key, value] of entries) {
    map.set(key, value)
    model.set(key, value)
  }
  return { map, model }
}

function sortKey(key: K): string {
  return `${typeof key}:${String(key)}`
}

function sorted<T extends readonly [K, ...unknown[]]>(rows: readonly T[]): T[] {
  return [...rows].sort((x, y) => (sortKey(x[0]) < sortKey(y[0]) ? -1 : sortKey(x[0]) > sortKey(y[0]) ? 1 : 0))
}

for (const concurrency of CONCURRENCIES) {
  test(`size, keys, values, entries, [Symbol.iterator] and forEach agree with a Map ('${concurrency}')`, () => {
    const { map, model } = sample(concurrency)
    assert.equal(map.size, model.size)
    const entries = [...map.entries()]
    assert.deepStrictEqual(sorted(entries), sorted([...model.entries()]))
    // Each iterator yields the same entries, in the same order, and each key once.
    assert.deepStrictEqual([...map], entries)
    assert.deepStrictEqual([...map[Symbol.iterator]()], entries)
    assert.deepStrictEqual([...map.keys()], entries.map(([key]) => key))
    assert.deepStrictEqual([...map.values()], entries.map(([, value]) => value))
    assert.equal(new Set(map.keys()).size, map.size)
    // Iterators are iterators: next() by hand, and they are their own iterables.
    const iterator = map.keys()
    assert.equal(iterator[Symbol.iterator](), iterator)
    const first = iterator.next()
    assert.equal(first.done, false)
    assert.ok(model.has(first.value as K))
    let count = 1
    while (!iterator.next().done) count++
    assert.equal(count, model.size)
    assert.deepStrictEqual(iterator.next(), { value: undefined, done: true })
    // forEach: (value, key, map), with thisArg.
    const context = { seen: [] as Array<[K, unknown]> }
    map.forEach(function (this: typeof context, value, key, self) {
      assert.equal(this, context)
      assert.equal(self, map)
      this.seen.push([key, value])
    }, context)
    assert.deepStrictEqual(context.seen, entries)
    // Without thisArg, a non-arrow callback gets undefined as this (strict mode), as with Map.
    let thisSeen: unknown = 'unset'
    map.forEach(function (this: unknown) {
      thisSeen = this
    })
    assert.equal(thisSeen, undefined)
    map.checkInvariants()
  })
}

test('range stops when the callback returns false, and only then', () => {
  const { map, model } = sample()
  const visited: K[] = []
  map.range((key) => {
    visited.push(key)
    return visited.length < 5 ? true : false
  })
  assert.equal(visited.length, 5)
  // Returning undefined (or anything but false) goes on.
  const all: K[] = []
  map.range((key) => {
    all.push(key)
    return undefined
  })
  assert.equal(all.length, model.size)
  const truthy: K[] = []
  map.range((key) => {
    truthy.push(key)
    return 0 as unknown as boolean
  })
  assert.equal(truthy.length, model.size, 'only false stops range, not other falsy values')
  assert.deepStrictEqual(visited, all.slice(0, 5))
  // range's callback may use the map (unlike update's).
  map.range((key) => {
    if (typeof key === 'string' && key.startsWith('k')) map.delete(key)
  })
  assert.equal(map.size, model.size - 100)
  map.checkInvariants()
})

test('writes during iteration: deleting every key while iterating visits each once and empties the map', () => {
  for (const concurrency of CONCURRENCIES) {
    const { map, model } = sample(concurrency)
    const seen = new Set<K>()
    for (const [key] of map) {
      assert.ok(!seen.has(key), `${String(key)} visited twice`)
      seen.add(key)
      assert.equal(map.delete(key), true)
    }
    assert.equal(seen.size, model.size)
    assert.equal(map.size, 0)
    map.checkInvariants()
  }
})

test('writes during iteration: keys inserted while iterating are yielded at most once, stable keys exactly once', () => {
  for (const concurrency of CONCURRENCIES) {
    const { map, model } = sample(concurrency)
    const seen = new Map<K, number>()
    let added = 0
    for (const key of map.keys()) {
      seen.set(key, (seen.get(key) ?? 0) + 1)
      // Enough inserts to grow every shard's table while the iteration is under way.
      for (let i = 0; i < 5; i++) map.set(`added ${added++}`, added)
    }
    for (const [key, count] of seen) assert.equal(count, 1, `${String(key)} yielded ${count} times`)
    for (const key of model.keys()) assert.ok(seen.has(key), `${String(key)} was present throughout but not yielded`)
    assert.equal(map.size, model.size + added)
    map.checkInvariants()
  }
})

test('snapshot is a real Map, detached from later writes', () => {
  const { map, model } = sample()
  const snap = map.snapshot()
  assert.ok(snap instanceof Map)
  assert.deepStrictEqual(snap, model)
  map.set('a', 'changed')
  map.delete('b')
  map.set('new', 1)
  map.clear()
  assert.deepStrictEqual(snap, model, 'the snapshot changed with the map')
  // And the other way: writing to the snapshot does not touch the map.
  snap.set('only in snapshot', 1)
  assert.equal(map.has('only in snapshot'), false)
  assert.equal(map.size, 0)
  // A snapshot's values are copies too.
  map.set('obj', { list: [1] })
  const copy = map.snapshot().get('obj') as { list: number[] }
  copy.list.push(2)
  assert.deepStrictEqual(map.get('obj'), { list: [1] })
})

test('clear empties every shard; the map is usable afterwards', () => {
  for (const concurrency of CONCURRENCIES) {
    const { map } = sample(concurrency)
    map.clear()
    assert.equal(map.size, 0)
    assert.deepStrictEqual([...map], [])
    assert.equal(map.get('a'), undefined)
    assert.equal(map.has(1), false)
    assert.equal(map.stats().size, 0)
    map.clear()
    map.set('a', 2)
    assert.equal(map.get('a'), 2)
    assert.equal(map.size, 1)
    map.checkInvariants()
  }
})

test('stats() fields are sane', () => {
  for (const concurrency of CONCURRENCIES) {
    const map = new SharedMap<K, unknown>({ concurrency, shards: 8, initialCapacity: 16, maxBytes: 1 << 24 })
    const empty = map.stats()
    assert.equal(empty.concurrency, concurrency)
    assert.equal(empty.shards, 8)
    assert.equal(empty.size, 0)
    assert.equal(empty.load, 0)
    assert.equal(empty.longestProbe, 0)
    assert.equal(empty.perShard.length, 8)
    for (let i = 0; i < 1000; i++) map.set(i, `value ${i}`)
    for (let i = 0; i < 1000; i += 3) map.delete(i)
    const stats = map.stats()
    const live = 1000 - Math.ceil(1000 / 3)
    assert.equal(stats.size, live)
    assert.equal(stats.size, map.size)
    assert.equal(stats.perShard.reduce((sum, s) => sum + s.size, 0), stats.size)
    assert.equal(stats.perShard.reduce((sum, s) => sum + s.capacity, 0), stats.capacity)
    assert.equal(stats.perShard.reduce((sum, s) => sum + s.tombstones, 0), stats.tombstones)
    assert.equal(stats.perShard.reduce((sum, s) => sum + s.resizes, 0), stats.resizes)
    assert.equal(stats.perShard.filter((s) => s.resizing).length, stats.resizing)
    assert.equal(Math.max(...stats.perShard.map((s) => s.longestProbe)), stats.longestProbe)
    assert.ok(stats.capacity > stats.size)
    assert.equal(stats.load, stats.size / stats.capacity)
    assert.ok(stats.load > 0 && stats.load < 1)
    assert.ok(stats.resizes > 0, 'growing from 16 to 1000 entries resizes')
    assert.ok(stats.longestProbe >= 1)
    for (const shard of stats.perShard) {
      assert.ok(shard.capacity >= 8 && (shard.capacity & (shard.capacity - 1)) === 0, `capacity ${shard.capacity} is a power of two`)
      assert.ok(shard.size + shard.tombstones < shard.capacity)
    }
    const { used, reserved, max, free } = stats.bytes
    assert.ok(used > empty.bytes.used, 'entries take memory')
    assert.ok(used <= reserved && reserved <= max, `used ${used} <= reserved ${reserved} <= max ${max}`)
    assert.equal(max, 1 << 24)
    assert.ok(free > 0 && free < used, 'deleted records are on the free lists')
    assert.ok(stats.optimisticRetries >= 0)
    // Stats are a snapshot: a plain object that does not change with the map.
    const before = JSON.stringify(stats)
    map.set('more', 1)
    assert.equal(JSON.stringify(stats), before)
  }
})

test('duck compatibility: wherever an iterable of entries or a Map-like is expected', () => {
  const { map, model } = sample()
  const copy = new Map(map)
  assert.deepStrictEqual(copy, model)
  assert.deepStrictEqual(new Set(Array.from(map.keys())), new Set(model.keys()))
  assert.deepStrictEqual(Object.fromEntries([...map].filter(([key]) => typeof key === 'string')), Object.fromEntries([...model].filter(([key]) => typeof key === 'string')))
  const [firstKey, firstValue] = map.entries().next().value as [K, unknown]
  assert.deepStrictEqual(model.get(firstKey), firstValue)
  // Array destructuring, spread and Array.from with a mapper.
  const [entry0, entry1] = map
  assert.ok(entry0 !== undefined && entry1 !== undefined && model.has(entry0[0]) && model.has(entry1[0]))
  assert.equal(Array.from(map, ([key]) => key).length, model.size)
  // A function written against Map's read side works with a SharedMap.
  function describe(m: { readonly size: number; get(key: K): unknown; has(key: K): boolean; forEach(fn: (v: unknown, k: K) => void): void }): number {
    let n = 0
    m.forEach((value, key) => {
      assert.ok(m.has(key))
      assert.deepStrictEqual(m.get(key), value)
      n++
    })
    return n === m.size ? n : -1
  }
  assert.equal(describe(map), describe(model))
  // set() returns the map, so calls chain as with Map.
  assert.equal(map.set('x', 1).set('y', 2), map)
  assert.equal(Object.prototype.toString.call(map), '[object SharedMap]')
})

test('keys: SameValueZero across strings, numbers and bigints, like Map', () => {
  for (const concurrency of CONCURRENCIES) {
    const map = new SharedMap<K, unknown>({ concurrency, shards: 4 })
    const model = new Map<K, unknown>()
    const both = (key: K, value: unknown) => {
      map.set(key, value)
      model.set(key, value)
    }
    // 1, 1n, '1' and 1.0 / '1.0': three keys, not four or five.
    both(1, 'number')
    both(1n, 'bigint')
    both('1', 'string')
    both(1.0, 'number again')
    both('1.0', 'another string')
    assert.equal(map.size, 4)
    assert.equal(map.get(1), 'number again')
    assert.equal(map.get(1n), 'bigint')
    assert.equal(map.get('1'), 'string')
    // -0 and 0 are one key, and iteration yields 0, as Map does.
    both(-0, 'minus zero')
    assert.equal(map.get(0), 'minus zero')
    both(0, 'zero')
    assert.equal(map.get(-0), 'zero')
    assert.ok(Object.is([...map.keys()].find((key) => key === 0), 0))
    assert.ok(Object.is([...model.keys()].find((key) => key === 0), 0))
    assert.equal(map.has('0'), false)
    assert.equal(map.has(0n), false)
    both(0n, 'bigint zero')
    both(-0n, 'bigint zero again')
    assert.equal(map.get(0n), 'bigint zero again')
    // NaN is one key, whatever NaN it is.
    const payloadNaN = new Float64Array(new Uint32Array([1, 0x7ff80000]).buffer)[0] ?? NaN
    both(NaN, 'nan')
    both(payloadNaN, 'other nan')
    assert.equal(map.get(NaN), 'other nan')
    assert.equal(map.get(0 / 0), 'other nan')
    assert.equal(map.has('NaN'), false)
    // Large and negative bigints, and the number nearest to them, are different keys.
    both(2n ** 64n, 'two to the 64')
    both(2 ** 64, 'float two to the 64')
    both(-(2n ** 200n), 'minus two to the 200')
    both(2n ** 200n, 'two to the 200')
    assert.equal(map.get(2n ** 64n), 'two to the 64')
    assert.equal(map.get(BigInt('18446744073709551616')), 'two to the 64')
    assert.equal(map.get(-(2n ** 200n)), 'minus two to the 200')
    // Strings: '' and lone surrogates are keys like any other, and are told apart.
    both('', 'empty')
    both('\ud800', 'high surrogate')
    both('\udc00', 'low surrogate')
    both('\ud800\udc00', 'pair')
    both('\ufffd', 'replacement character')
    assert.equal(map.get('\ud800'), 'high surrogate')
    assert.equal(map.get('\ud800\udc00'), 'pair')
    assert.equal(map.get('\ufffd'), 'replacement character')
    // Long keys (read back in chunks) keep every code unit.
    const long = 'k\ud800'.repeat(6000)
    both(long, 'long')
    both(long.slice(0, -1), 'long minus one')
    assert.equal(map.get(long), 'long')
    assert.ok([...map.keys()].includes(long))
    // Numbers that are close but not equal stay apart.
    both(0.1 + 0.2, 'sum')
    both(0.3, 'point three')
    both(Number.MIN_VALUE, 'min')
    both(Infinity, 'inf')
    both(-Infinity, '-inf')
    assert.equal(map.get(0.1 + 0.2), 'sum')
    assert.equal(map.get(0.3), 'point three')
    assert.equal(map.size, model.size)
    assert.deepStrictEqual(sorted([...map]), sorted([...model]))
    // Keys come back as the same kind they went in as.
    for (const key of map.keys()) assert.ok(model.has(key), `${typeof key} ${String(key)} not in the model`)
    map.checkInvariants()
  }
})
