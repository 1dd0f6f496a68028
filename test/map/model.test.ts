// SharedMap against a plain Map as the model: random operation sequences (fast-check) over every
// concurrency strategy, with small tables so that growth, tombstone rebuilds and shrinking happen
// inside the sequences; then dedicated growth/shrink/memory-reuse runs.
//
// Values go through the default 'structured' codec. Every value generated here round-trips exactly
// (checked with deepStrictEqual, which tells -0 from 0 and compares Map, Set, Date and typed arrays
// structurally). What does not round-trip is asserted in the last test of this file.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { SharedMap, type Concurrency, type SharedMapStats } from '../../src/index.js'

type K = string | number | bigint

const CONCURRENCIES: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex', 'none']

// ---- keys ----

/** A small pool where SameValueZero matters: '' and lone surrogates, -0/0, NaN, 1 vs '1' vs 1n, big bigints. */
const KEY_POOL: readonly K[] = [
  '',
  'a',
  '1',
  '0',
  'NaN',
  '\ud800',
  '\udc00',
  'a\udbffb',
  '\ud83d\ude42',
  'é',
  'x'.repeat(40),
  0,
  -0,
  1,
  -1,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 53,
  5e-324,
  0n,
  -0n,
  1n,
  -1n,
  2n ** 64n,
  -(2n ** 64n) + 1n,
  2n ** 200n + 12345n,
  -(10n ** 40n),
]

/** Key number i of a larger family, of each kind in turn, for growth within a sequence. */
function familyKey(i: number): K {
  switch (i % 3) {
    case 0:
      return `k${i}`
    case 1:
      return i * 1.25
    default:
      return BigInt(i) * 2n ** 70n
  }
}

const FAMILY = 240

const keyArb: fc.Arbitrary<K> = fc.oneof(
  { arbitrary: fc.constantFrom(...KEY_POOL), weight: 3 },
  { arbitrary: fc.nat(FAMILY - 1).map(familyKey), weight: 1 },
)

// ---- values ----

/**
 * Values that are neither strings nor numbers, each made fresh on every use (so the map never
 * gets the same object twice). Pairwise different encodings: two of them are equal for
 * compareAndSwap only if they are the same entry. Entries 0 and 1 have the same properties in
 * another order, which the encoding tells apart.
 */
const COMPLEX: ReadonlyArray<() => unknown> = [
  () => ({ a: 1, b: 'x' }),
  () => ({ b: 'x', a: 1 }),
  () => [1, 'a', null, [2, [3]]],
  () => [],
  () => ({}),
  () => new Map<unknown, unknown>([['k', 1], [2, [3]], [3n, new Set(['s'])], [{ o: 1 }, 'object key']]),
  () => new Set<unknown>([1, '1', 1n]),
  () => new Date(0),
  () => new Date(1_700_000_000_123),
  () => 2n ** 70n,
  () => -(10n ** 30n),
  () => 0n,
  () => undefined,
  () => null,
  () => true,
  () => false,
  () => ({ nested: { deep: [1, { x: 'y', gone: undefined }] }, when: new Date(5), tags: new Set(['t']) }),
  () => new Uint8Array([1, 2, 3]),
  () => [undefined, 'é', '\ud83d\ude42', 2 ** 60],
]

/** A value by description: strings and numbers as they are, anything else by COMPLEX index. */
type Desc = { readonly s: string } | { readonly n: number } | { readonly c: number }

function make(desc: Desc): unknown {
  if ('s' in desc) return desc.s
  if ('n' in desc) return desc.n
  const factory = COMPLEX[desc.c]
  assert.ok(factory !== undefined)
  return factory()
}

/** Equality of encodings: strings and numbers are stored natively (-0 differs from 0, NaN equals NaN). */
function sameEncoding(a: Desc, b: Desc): boolean {
  if ('s' in a) return 's' in b && a.s === b.s
  if ('n' in a) return 'n' in b && Object.is(a.n, b.n)
  return 'c' in b && a.c === b.c
}

function show(desc: Desc | undefined): string {
  if (desc === undefined) return 'absent'
  if ('s' in desc) return JSON.stringify(desc.s)
  if ('n' in desc) return Object.is(desc.n, -0) ? '-0' : String(desc.n)
  return `complex#${desc.c}`
}

const descArb: fc.Arbitrary<Desc> = fc.oneof(
  fc.oneof(fc.constantFrom('', 'v', '\ud800', 'x\udfff', '\ud83d\ude42', 'y'.repeat(300)), fc.string({ unit: 'binary', maxLength: 12 })).map((s) => ({ s })),
  fc.oneof({ arbitrary: fc.constantFrom(0, -0, NaN, 1, -1.5, Infinity, -Infinity, 2 ** 53 + 2), weight: 2 }, { arbitrary: fc.double(), weight: 1 }).map((n) => ({ n })),
  fc.nat(COMPLEX.length - 1).map((c) => ({ c })),
)

// ---- operations ----

type Op =
  | { readonly op: 'set'; readonly key: K; readonly value: Desc }
  | { readonly op: 'get'; readonly key: K }
  | { readonly op: 'has'; readonly key: K }
  | { readonly op: 'delete'; readonly key: K }
  | { readonly op: 'loadOrStore'; readonly key: K; readonly value: Desc }
  | { readonly op: 'loadAndDelete'; readonly key: K }
  | { readonly op: 'swap'; readonly key: K; readonly value: Desc }
  | { readonly op: 'compareAndSwap'; readonly key: K; readonly old: Desc | 'current' | 'twin'; readonly value: Desc }
  | { readonly op: 'compareAndDelete'; readonly key: K; readonly old: Desc | 'current' | 'twin' }
  | { readonly op: 'update'; readonly key: K; readonly value: Desc | undefined }
  | { readonly op: 'getOrCompute'; readonly key: K; readonly value: Desc }
  | { readonly op: 'clear' }
  | { readonly op: 'size' }
  | { readonly op: 'iterate'; readonly how: 'entries' | 'keys' | 'values' | 'forEach' | 'range' | 'spread' }
  | { readonly op: 'snapshot' }
  | { readonly op: 'fill'; readonly from: number; readonly count: number; readonly value: Desc }
  | { readonly op: 'drain'; readonly from: number; readonly count: number }

/** compareAndSwap's old: the current value (fresh copy), a near miss of it (twin), or anything. */
const oldArb: fc.Arbitrary<Desc | 'current' | 'twin'> = fc.oneof(fc.constant('current' as const), fc.constant('twin' as const), descArb)

/** A NaN with a payload: not the canonical NaN bit pattern, still NaN to JavaScript. */
const PAYLOAD_NAN = new Float64Array(new Uint32Array([1, 0x7ff80000]).buffer)[0] ?? NaN

/**
 * A value close to desc: 0 for -0 and back, a payload NaN for NaN (the same encoding: NaN is
 * canonical), a string one unit shorter, the neighbouring complex value (0 and 1 differ only in
 * property order).
 */
function twin(desc: Desc): Desc {
  if ('s' in desc) return { s: desc.s === '' ? '\u0000' : desc.s.slice(0, -1) }
  if ('n' in desc) return { n: Number.isNaN(desc.n) ? PAYLOAD_NAN : Object.is(desc.n, 0) ? -0 : -desc.n }
  return { c: (desc.c ^ 1) < COMPLEX.length ? desc.c ^ 1 : 0 }
}

function pickOld(old: Desc | 'current' | 'twin', current: Desc | undefined): Desc {
  if (old === 'current') return current ?? { c: 3 }
  if (old === 'twin') return twin(current ?? { n: 0 })
  return old
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('set' as const), key: keyArb, value: descArb }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('get' as const), key: keyArb }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('has' as const), key: keyArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), key: keyArb }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('loadOrStore' as const), key: keyArb, value: descArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('loadAndDelete' as const), key: keyArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('swap' as const), key: keyArb, value: descArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('compareAndSwap' as const), key: keyArb, old: oldArb, value: descArb }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('compareAndDelete' as const), key: keyArb, old: oldArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('update' as const), key: keyArb, value: fc.option(descArb, { nil: undefined, freq: 3 }) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('getOrCompute' as const), key: keyArb, value: descArb }), weight: 2 },
  { arbitrary: fc.constant({ op: 'clear' as const }), weight: 1 },
  { arbitrary: fc.constant({ op: 'size' as const }), weight: 1 },
  {
    arbitrary: fc.record({ op: fc.constant('iterate' as const), how: fc.constantFrom('entries', 'keys', 'values', 'forEach', 'range', 'spread') }),
    weight: 1,
  },
  { arbitrary: fc.constant({ op: 'snapshot' as const }), weight: 1 },
  {
    arbitrary: fc.record({ op: fc.constant('fill' as const), from: fc.nat(FAMILY - 1), count: fc.integer({ min: 1, max: FAMILY }), value: descArb }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('drain' as const), from: fc.nat(FAMILY - 1), count: fc.integer({ min: 1, max: FAMILY }) }), weight: 1 },
)

// ---- running a sequence ----

function showKey(key: K): string {
  return typeof key === 'string' ? JSON.stringify(key) : typeof key === 'bigint' ? `${key}n` : Object.is(key, -0) ? '-0' : String(key)
}

function assertValue(actual: unknown, expected: Desc | undefined, what: string): void {
  assert.deepStrictEqual(actual, expected === undefined ? undefined : make(expected), `${what}: expected ${show(expected)}`)
}

/** Entries (of a snapshot or an iteration) equal the model: no key twice, every key, every value. */
function assertEntries(entries: ReadonlyArray<readonly [K, unknown]>, model: Map<K, Desc>, what: string): void {
  assert.equal(new Map(entries).size, entries.length, `${what}: a key was yielded twice`)
  assert.equal(entries.length, model.size, `${what}: ${entries.length} entries, model has ${model.size}`)
  for (const [key, value] of entries) {
    assert.ok(model.has(key), `${what}: yielded ${showKey(key)}, which the model does not have`)
    if (typeof key === 'number') assert.ok(!Object.is(key, -0), `${what}: yielded the key -0 (Map yields 0)`)
    assertValue(value, model.get(key), `${what} value of ${showKey(key)}`)
  }
}

function assertKeys(keys: readonly K[], model: Map<K, Desc>, what: string): void {
  assert.equal(new Set(keys).size, keys.length, `${what}: a key was yielded twice`)
  assert.deepStrictEqual(new Set(keys), new Set(model.keys()), `${what}: keys differ from the model`)
}

function assertSame(map: SharedMap<K, unknown>, model: Map<K, Desc>, what: string): void {
  assert.equal(map.size, model.size, `${what}: size`)
  assertEntries([...map.snapshot()], model, `${what}: snapshot`)
}

/** Applies op to map and model, asserting the map's answer against the model's. */
function step(map: SharedMap<K, unknown>, model: Map<K, Desc>, op: Op): void {
  const what = `${op.op}${'key' in op ? `(${showKey(op.key)})` : ''}`
  switch (op.op) {
    case 'set':
      assert.equal(map.set(op.key, make(op.value)), map)
      model.set(op.key, op.value)
      break
    case 'get':
      assertValue(map.get(op.key), model.get(op.key), what)
      break
    case 'has':
      assert.equal(map.has(op.key), model.has(op.key), what)
      break
    case 'delete':
      assert.equal(map.delete(op.key), model.delete(op.key), what)
      break
    case 'loadOrStore': {
      const fresh = make(op.value)
      const result = map.loadOrStore(op.key, fresh)
      const current = model.get(op.key)
      assert.equal(result.loaded, model.has(op.key), `${what}.loaded`)
      if (model.has(op.key)) assertValue(result.value, current, `${what}.value`)
      else {
        assert.equal(result.value, fresh, `${what}: returns the value it stored`)
        model.set(op.key, op.value)
      }
      break
    }
    case 'loadAndDelete': {
      const result = map.loadAndDelete(op.key)
      assert.equal(result.loaded, model.has(op.key), `${what}.loaded`)
      assertValue(result.value, model.get(op.key), `${what}.value`)
      model.delete(op.key)
      break
    }
    case 'swap': {
      const result = map.swap(op.key, make(op.value))
      assert.equal(result.loaded, model.has(op.key), `${what}.loaded`)
      assertValue(result.previous, model.get(op.key), `${what}.previous`)
      model.set(op.key, op.value)
      break
    }
    case 'compareAndSwap': {
      const current = model.get(op.key)
      const old = pickOld(op.old, current)
      const expected = current !== undefined && sameEncoding(current, old)
      assert.equal(map.compareAndSwap(op.key, make(old), make(op.value)), expected, `${what}: ${show(current)} vs old ${show(old)}`)
      if (expected) model.set(op.key, op.value)
      break
    }
    case 'compareAndDelete': {
      const current = model.get(op.key)
      const old = pickOld(op.old, current)
      const expected = current !== undefined && sameEncoding(current, old)
      assert.equal(map.compareAndDelete(op.key, make(old)), expected, `${what}: ${show(current)} vs old ${show(old)}`)
      if (expected) model.delete(op.key)
      break
    }
    case 'update': {
      const current = model.get(op.key)
      let calls = 0
      const next = op.value === undefined ? undefined : make(op.value)
      const returned = map.update(op.key, (seen) => {
        calls++
        assertValue(seen, current, `${what}: the callback's current value`)
        return next
      })
      assert.equal(calls, 1, `${what}: the callback runs once`)
      assert.equal(returned, next, `${what}: returns what the callback returned`)
      if (op.value === undefined || next === undefined) model.delete(op.key)
      else model.set(op.key, op.value)
      break
    }
    case 'getOrCompute': {
      const current = model.get(op.key)
      const made = make(op.value)
      let calls = 0
      const result = map.getOrCompute(op.key, (key) => {
        calls++
        assert.ok(Object.is(key, op.key), `${what}: the factory gets the key`)
        return made
      })
      if (current !== undefined) {
        assert.equal(calls, 0, `${what}: the factory must not run for a present key`)
        assertValue(result, current, what)
      } else {
        assert.equal(calls, 1, `${what}: the factory runs once for an absent key`)
        assert.equal(result, made, `${what}: returns the computed value`)
        // A factory that returns undefined stores nothing (the key stays absent), as update does.
        if (made !== undefined) model.set(op.key, op.value)
      }
      break
    }
    case 'clear':
      map.clear()
      model.clear()
      assert.equal(map.size, 0, 'size after clear')
      break
    case 'size':
      assert.equal(map.size, model.size, 'size')
      break
    case 'iterate':
      switch (op.how) {
        case 'entries':
          assertEntries([...map.entries()], model, 'entries()')
          break
        case 'spread':
          assertEntries([...map], model, '[Symbol.iterator]()')
          break
        case 'keys':
          assertKeys([...map.keys()], model, 'keys()')
          break
        case 'values': {
          const values = [...map.values()]
          assert.equal(values.length, model.size, 'values() count')
          const entries = [...map.entries()]
          assert.deepStrictEqual(values, entries.map(([, value]) => value), 'values() in the order of entries()')
          break
        }
        case 'forEach': {
          const seen: [K, unknown][] = []
          map.forEach((value, key, self) => {
            assert.equal(self, map)
            seen.push([key, value])
          })
          assertEntries(seen, model, 'forEach()')
          break
        }
        case 'range': {
          const seen: [K, unknown][] = []
          map.range((key, value) => {
            seen.push([key, value])
          })
          assertEntries(seen, model, 'range()')
          break
        }
      }
      break
    case 'snapshot': {
      const snap = map.snapshot()
      assert.ok(snap instanceof Map)
      assertEntries([...snap], model, 'snapshot()')
      break
    }
    case 'fill':
      for (let i = 0; i < op.count; i++) {
        const key = familyKey((op.from + i) % FAMILY)
        map.set(key, make(op.value))
        model.set(key, op.value)
      }
      break
    case 'drain':
      for (let i = 0; i < op.count; i++) {
        const key = familyKey((op.from + i) % FAMILY)
        assert.equal(map.delete(key), model.delete(key), `drain: delete(${showKey(key)})`)
      }
      break
  }
}

function runSequence(map: SharedMap<K, unknown>, ops: readonly Op[]): void {
  const model = new Map<K, Desc>()
  ops.forEach((op, index) => {
    step(map, model, op)
    assertSame(map, model, `after step ${index} (${op.op})`)
    if (index % 16 === 15) map.checkInvariants()
  })
  map.checkInvariants()
  for (const key of KEY_POOL) {
    assert.equal(map.has(key), model.has(key), `final has(${showKey(key)})`)
    assertValue(map.get(key), model.get(key), `final get(${showKey(key)})`)
  }
}

/** Plain maps, and cache maps (deadlines and queue links in every record, a bound never reached). */
const KINDS = [
  { name: '', options: {}, shards: [1, 4] },
  { name: ', cache records', options: { ttl: Infinity, maxEntries: 1_000_000, sweeper: false }, shards: [4] },
] as const

for (const concurrency of CONCURRENCIES) {
  for (const kind of KINDS) {
    for (const shards of kind.shards) {
      test(`model: random operation sequences agree with a Map ('${concurrency}', ${shards} shard${shards > 1 ? 's' : ''}${kind.name})`, () => {
        const totals = { resizes: 0 }
        fc.assert(
          fc.property(fc.constantFrom(0, 1, 8, 40), fc.array(opArb, { minLength: 1, maxLength: 100 }), (initialCapacity, ops) => {
            const map = new SharedMap<K, unknown>({ ...kind.options, concurrency, shards, initialCapacity })
            runSequence(map, ops)
            totals.resizes += map.stats().resizes
          }),
          { numRuns: 200 },
        )
        // The sequences must exercise resizing, or they prove little about it.
        assert.ok(totals.resizes > 0, 'no sequence resized a table')
      })
    }
  }
}

// ---- growth, shrinking, memory reuse ----

function bulkKey(i: number): K {
  return i % 3 === 0 ? `key:${i}` : i % 3 === 1 ? i + 0.5 : BigInt(i) * 3n ** 50n
}

function bulkValue(i: number): unknown {
  return i % 2 === 0 ? { i, s: 'v'.repeat(i % 9) } : `value ${i}`
}

for (const concurrency of CONCURRENCIES) {
  test(`growth and shrinking: thousands of keys in, most out, memory reused over fill/empty cycles ('${concurrency}')`, () => {
    const map = new SharedMap<K, unknown>({ concurrency, shards: 4, initialCapacity: 8 })
    const n = 4000
    const start = map.stats()
    const used: number[] = []
    let sawResizing = false
    for (let cycle = 0; cycle < 4; cycle++) {
      for (let i = 0; i < n; i++) {
        map.set(bulkKey(i), bulkValue(i))
        if (cycle === 0 && i % 16 === 0 && map.stats().resizing > 0) sawResizing = true
      }
      const full = map.stats()
      assert.equal(full.size, n)
      assert.ok(full.resizes > 0, 'inserting thousands of keys into small tables must resize them')
      assert.ok(full.capacity >= n / 0.75, `capacity ${full.capacity} for ${n} keys`)
      if (cycle === 0) map.checkInvariants()
      // Delete all but every 50th key; the deletes themselves drive the shrinks.
      for (let i = 0; i < n; i++) if (i % 50 !== 0) assert.equal(map.delete(bulkKey(i)), true)
      // Writes advance a resize in progress: a few no-op deletes in every shard finish it.
      for (let i = 0; i < 400; i++) map.delete(`absent:${i}`)
      const drained: SharedMapStats = map.stats()
      assert.equal(drained.size, n / 50)
      assert.ok(drained.capacity * 4 <= full.capacity, `capacity must shrink after mass deletes: ${full.capacity} -> ${drained.capacity}`)
      assert.ok(drained.resizes > full.resizes, 'shrinking is a resize')
      assert.equal(drained.resizing, 0, 'resizes finished')
      map.checkInvariants()
      for (let i = 0; i < n; i += 50) assert.deepStrictEqual(map.get(bulkKey(i)), bulkValue(i))
      assert.equal(map.get(bulkKey(1)), undefined)
      used.push(drained.bytes.used)
      // Empty the map for the next cycle.
      for (let i = 0; i < n; i += 50) assert.equal(map.delete(bulkKey(i)), true)
    }
    assert.ok(sawResizing, 'growth must be incremental: a resize was never seen in progress between writes')
    assert.equal(map.size, 0)
    map.checkInvariants()
    // Freed records and tables are reused: after the first cycle the arena stops growing.
    const first = used[0] ?? 0
    assert.ok(first > start.bytes.used)
    for (const [cycle, bytes] of used.entries()) assert.ok(bytes <= first, `cycle ${cycle} used ${bytes} bytes, the first cycle ${first}: memory is not reused`)
  })
}

test('tombstones are dropped by rebuilds: churn on a steady key count keeps the table small', () => {
  const map = new SharedMap<K, unknown>({ shards: 1, initialCapacity: 64 })
  const live = 40
  for (let i = 0; i < live; i++) map.set(`live:${i}`, i)
  const before = map.stats()
  // 20000 insert/delete pairs: without rebuilds the tombstones would fill any table.
  for (let i = 0; i < 20_000; i++) {
    map.set(`churn:${i}`, i)
    assert.equal(map.delete(`churn:${i}`), true)
  }
  const after = map.stats()
  assert.equal(after.size, live)
  assert.ok(after.resizes > before.resizes, 'tombstones must trigger rebuilds')
  assert.ok(after.capacity <= 256, `capacity ${after.capacity} grew with the tombstones`)
  assert.ok(after.tombstones < after.capacity / 2)
  assert.ok(after.bytes.used - before.bytes.used < 16_384, `churn leaked memory: ${before.bytes.used} -> ${after.bytes.used}`)
  map.checkInvariants()
  for (let i = 0; i < live; i++) assert.equal(map.get(`live:${i}`), i)
})

test("what the 'structured' codec does not round-trip (asserted, so a change is noticed)", () => {
  const map = new SharedMap<K, unknown>({ shards: 1 })
  // Top-level strings and numbers are stored natively: exact, -0 and lone surrogates included.
  map.set('a', -0)
  assert.ok(Object.is(map.get('a'), -0))
  map.set('a', 'x\ud800y')
  assert.equal(map.get('a'), 'x\ud800y')
  // Inside a value they go through msgpack: -0 becomes 0, a lone surrogate becomes U+FFFD.
  map.set('a', { z: -0, list: [-0] })
  assert.deepStrictEqual(map.get('a'), { z: 0, list: [0] })
  map.set('a', ['x\ud800y'])
  const [text] = map.get('a') as [string]
  assert.notEqual(text, 'x\ud800y')
  assert.match(text, /^x\ufffd+y$/)
  // Array holes come back as undefined; a null-prototype object as a plain one.
  map.set('a', [1, , 3])
  assert.deepStrictEqual(map.get('a'), [1, undefined, 3])
  map.set('a', Object.assign(Object.create(null) as object, { p: 1 }))
  assert.deepStrictEqual(map.get('a'), { p: 1 })
  map.checkInvariants()
})
