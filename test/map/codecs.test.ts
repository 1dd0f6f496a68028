// Every value codec through the map: what round-trips, how compareAndSwap/compareAndDelete compare
// (by encoding: what that means is asserted case by case below), that returned values never alias
// shared memory, and how `undefined` values behave.
//
// Findings asserted here:
//  - 'structured' stores top-level strings and numbers natively: exact, -0 and lone surrogates
//    included, and -0 is a different value from 0 for compareAndSwap. Inside objects msgpack
//    applies: -0 is 0 (so { v: -0 } matches { v: 0 }). Structurally equal objects match when
//    their properties are in the same order; another order is another encoding and does not.
//    Map and Set compare in insertion order the same way.
//  - 'json': -0 is stored as 0 (JSON), so it matches 0; property order matters as for
//    'structured'; undefined cannot be stored (ERR_INVALID_VALUE).
//  - 'string' and 'number' are stored natively: 'string' keeps lone surrogates (its UTF-8 codec
//    would refuse them, but it is bypassed), 'number' keeps -0 and matches any NaN.
//  - 'bytes' compares contents; Buffer and Uint8Array with equal bytes match.
//  - a user codec compares by its own encoding (here: case-insensitive).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode, SharedMap, isConmapError, type Codec, type CodecFor, type CodecOption } from '../../src/index.js'

type K = string | number | bigint

function fresh<V>(codec: CodecOption | undefined, shards = 2): SharedMap<K, V> {
  // Any codec with any V: the tests check at run time what the types would refuse.
  return new SharedMap<K, V>(codec === undefined ? { shards, initialCapacity: 4 } : { codec: codec as CodecFor<V>, shards, initialCapacity: 4 })
}

/** Stores each value under its own key, reads all back, then again after growth moved them. */
function assertRoundTrips(map: SharedMap<K, unknown>, values: readonly unknown[], expected: readonly unknown[] = values): void {
  values.forEach((value, i) => map.set(`v${i}`, value))
  const check = (when: string) =>
    expected.forEach((want, i) => {
      assert.deepStrictEqual(map.get(`v${i}`), want, `${when}: value ${i}`)
    })
  check('stored')
  for (let i = 0; i < 300; i++) map.set(`filler${i}`, values[i % values.length])
  check('after growth')
  const snap = map.snapshot()
  expected.forEach((want, i) => assert.deepStrictEqual(snap.get(`v${i}`), want, `snapshot: value ${i}`))
  map.checkInvariants()
}

function assertInvalidValue(fn: () => unknown, what: string): void {
  assert.throws(fn, (err: unknown) => isConmapError(err, ErrorCode.INVALID_VALUE), what)
}

// ---- 'structured' ----

test("'structured' (the default) round-trips objects, arrays, Date, Map, Set, bigint, typed arrays, undefined", () => {
  const map = fresh<unknown>(undefined)
  assert.equal(map.stats().concurrency, 'optimistic')
  assert.equal(map.handle.codec, 'builtin:structured')
  const shared = { s: 1 }
  const cyclic: Record<string, unknown> = { name: 'c' }
  cyclic['self'] = cyclic
  const values: unknown[] = [
    'text',
    '',
    'lone \ud800 surrogate',
    'long \udfff'.repeat(3000),
    -0,
    NaN,
    Infinity,
    2 ** 53 + 2,
    { a: 1, nested: { b: [1, 2, { c: 'd' }] } },
    [1, 'two', null, undefined, [3]],
    new Date(1_700_000_000_000),
    new Map<unknown, unknown>([['k', 1], [2, 'two'], [3n, [3]], [{ o: 1 }, 'object key']]),
    new Set<unknown>([1, '1', 1n, 'é']),
    2n ** 200n,
    -(3n ** 90n),
    0n,
    new Uint8Array([0, 255, 7]),
    new Float64Array([-0, NaN, 1.5]),
    new Int32Array([-1, 2 ** 31 - 1]),
    undefined,
    null,
    true,
    false,
    { when: new Date(0), tags: new Set(['a']), index: new Map([['x', [1n]]]) },
    { shared1: shared, shared2: shared },
    /^re(g)ex$/giu,
  ]
  assertRoundTrips(map, values)
  // An invalid Date too (assert.deepStrictEqual cannot compare two of them: NaN !== NaN).
  map.set('invalid date', new Date(NaN))
  const invalid = map.get('invalid date')
  assert.ok(invalid instanceof Date && Number.isNaN(invalid.getTime()))
  // Shared references inside one value stay shared; cycles come back as cycles.
  map.set('refs', { shared1: shared, shared2: shared })
  const refs = map.get('refs') as { shared1: unknown; shared2: unknown }
  assert.equal(refs.shared1, refs.shared2)
  map.set('cycle', cyclic)
  const back = map.get('cycle') as Record<string, unknown>
  assert.equal(back['self'], back)
  assert.equal(back['name'], 'c')
})

test("'structured': what does not come back as it went in", () => {
  const map = fresh<unknown>(undefined)
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }
  const holes = [1, , 3]
  assertRoundTrips(
    map,
    [{ z: -0 }, ['\udc00'], new Point(1, 2), holes, Buffer.from([1, 2])],
    [{ z: 0 }, ['\ufffd\ufffd\ufffd'], { x: 1, y: 2 }, [1, undefined, 3], new Uint8Array([1, 2])],
  )
  assert.equal(Object.getPrototypeOf(map.get('v2')), Object.prototype, 'class instances come back as plain objects')
  assert.equal((map.get('v4') as Uint8Array).constructor, Uint8Array, 'a Buffer comes back as a Uint8Array')
})

test("'structured': compareAndSwap and compareAndDelete compare encodings", () => {
  const map = fresh<unknown>(undefined)
  const cases: Array<[string, unknown, unknown, boolean]> = [
    ['a structurally equal object', { a: 1, b: [2, { c: 3 }] }, { a: 1, b: [2, { c: 3 }] }, true],
    ['the same properties in another order', { a: 1, b: 2 }, { b: 2, a: 1 }, false],
    ['a different value', { a: 1 }, { a: 2 }, false],
    ['an extra undefined property', { a: 1 }, { a: 1, b: undefined }, false],
    ['an equal Date', new Date(5), new Date(5), true],
    ['an equal Map', new Map([[1, 'a'], [2, 'b']]), new Map([[1, 'a'], [2, 'b']]), true],
    ['a Map in another order', new Map([[1, 'a'], [2, 'b']]), new Map([[2, 'b'], [1, 'a']]), false],
    ['an equal Set', new Set([1, 2]), new Set([1, 2]), true],
    ['a Set in another order', new Set([1, 2]), new Set([2, 1]), false],
    ['an equal bigint', 2n ** 100n, 2n ** 100n, true],
    ['1n against 1', 1n, 1, false],
    ["'1' against 1", '1', 1, false],
    ['-0 against 0 (stored natively)', -0, 0, false],
    ['0 against -0 (stored natively)', 0, -0, false],
    ['NaN against NaN', NaN, NaN, true],
    ['{ v: -0 } against { v: 0 } (msgpack folds -0)', { v: -0 }, { v: 0 }, true],
    ['a lone surrogate string against itself', 'x\ud800', 'x\ud800', true],
    ['a lone surrogate against U+FFFD', 'x\ud800', 'x\ufffd', false],
    ['undefined against undefined', undefined, undefined, true],
    ['undefined against null', undefined, null, false],
    ['equal typed arrays', new Uint8Array([1, 2]), new Uint8Array([1, 2]), true],
    ['a Uint8Array against an Int8Array', new Uint8Array([1, 2]), new Int8Array([1, 2]), false],
  ]
  for (const [name, stored, old, expected] of cases) {
    map.set('k', stored)
    assert.equal(map.compareAndSwap('k', old, 'swapped'), expected, `compareAndSwap: ${name}`)
    assert.deepStrictEqual(map.get('k'), expected ? 'swapped' : stored, `value after compareAndSwap: ${name}`)
    map.set('k', stored)
    assert.equal(map.compareAndDelete('k', old), expected, `compareAndDelete: ${name}`)
    assert.equal(map.has('k'), !expected, `presence after compareAndDelete: ${name}`)
  }
  // Absent keys never match, not even undefined.
  map.delete('k')
  assert.equal(map.compareAndSwap('k', undefined, 1), false)
  assert.equal(map.compareAndDelete('k', undefined), false)
  assert.equal(map.has('k'), false)
  map.checkInvariants()
})

test("an own \"__proto__\" property comes back exact under 'structured' and 'json', and compares as equal", () => {
  const body = () => JSON.parse('{"__proto__": {"isAdmin": true}, "name": "m", "items": [{"__proto__": 1}]}') as Record<string, unknown>
  for (const codec of ['structured', 'json'] as const) {
    const map = fresh<unknown>(codec)
    assertRoundTrips(map, codec === 'structured' ? [body(), new Map([['body', body()]])] : [body()])
    const back = map.get('v0')
    assert.ok(Object.hasOwn(back as object, '__proto__'), `${codec}: own "__proto__"`)
    assert.equal(Object.getPrototypeOf(back), Object.prototype, `${codec}: prototype`)
    assert.equal(({} as Record<string, unknown>)['isAdmin'], undefined, `${codec}: Object.prototype`)
    map.set('k', body())
    assert.equal(map.compareAndSwap('k', body(), 'swapped'), true, `${codec}: an equal body matches`)
    map.set('k', body())
    assert.equal(map.compareAndSwap('k', { ...body(), name: 'other' }, 'swapped'), false, `${codec}: another body does not`)
  }
})

// ---- 'json' ----

test("'json': JSON values round-trip; JSON's own rules apply inside values", () => {
  const map = fresh<unknown>('json')
  assertRoundTrips(map, ['text', 'lone \ud800', 0, -1.5, true, null, [1, 'a', [null]], { a: { b: [1, 2] } }, {}, []])
  assertRoundTrips(
    fresh<unknown>('json'),
    [-0, NaN, new Date(0), { gone: undefined, kept: 1 }, [undefined, () => 1], new Map([[1, 2]])],
    [0, null, '1970-01-01T00:00:00.000Z', { kept: 1 }, [null, null], {}],
  )
  // undefined itself cannot be stored, so json maps are not like Map there.
  assertInvalidValue(() => map.set('u', undefined), "set(k, undefined) under 'json'")
  assert.equal(map.has('u'), false)
})

test("'json': compareAndSwap compares the JSON text", () => {
  const map = fresh<unknown>('json')
  const cases: Array<[string, unknown, unknown, boolean]> = [
    ['a structurally equal object', { a: 1, b: [2] }, { a: 1, b: [2] }, true],
    ['the same properties in another order', { a: 1, b: 2 }, { b: 2, a: 1 }, false],
    ['-0 against 0 (JSON writes -0 as 0)', -0, 0, true],
    ['1 against 1.0', 1, 1.0, true],
    ["'1' against 1", '1', 1, false],
    ['an object against one with an extra undefined property (JSON drops it)', { a: 1 }, { a: 1, b: undefined }, true],
    ['a Date against its ISO string', new Date(0), '1970-01-01T00:00:00.000Z', true],
    ['NaN against null', NaN, null, true],
  ]
  for (const [name, stored, old, expected] of cases) {
    map.set('k', stored)
    assert.equal(map.compareAndSwap('k', old, 'swapped'), expected, `compareAndSwap: ${name}`)
    map.set('k', stored)
    assert.equal(map.compareAndDelete('k', old), expected, `compareAndDelete: ${name}`)
  }
})

// ---- 'string' and 'number' ----

test("'string': strings round-trip exactly (lone surrogates too); compare by content", () => {
  const map = fresh<string>('string')
  const values = ['', 'a', 'é', '\ud83d\ude42', 'lone \ud800', '\udfff', '\ufeffbom', 'x'.repeat(20_000)]
  assertRoundTrips(map as SharedMap<K, unknown>, values)
  map.set('k', 'abc')
  assert.equal(map.compareAndSwap('k', 'ABC', 'no'), false)
  assert.equal(map.compareAndSwap('k', 'abc', 'yes'), true)
  assert.equal(map.compareAndDelete('k', 'ye'), false)
  assert.equal(map.compareAndDelete('k', 'yes'), true)
  assertInvalidValue(() => map.set('k', 1 as unknown as string), "a number under 'string'")
  assertInvalidValue(() => map.set('k', undefined as unknown as string), "undefined under 'string'")
})

test("'number': numbers round-trip exactly; -0 is not 0, every NaN is NaN", () => {
  const map = fresh<number>('number')
  const values = [0, -0, NaN, Infinity, -Infinity, 5e-324, Number.MAX_VALUE, 2 ** 53 + 2, -1.5]
  assertRoundTrips(map as SharedMap<K, unknown>, values)
  const payloadNaN = new Float64Array(new Uint32Array([1, 0x7ff80000]).buffer)[0] ?? NaN
  map.set('k', payloadNaN)
  assert.ok(Number.isNaN(map.get('k')))
  assert.equal(map.compareAndSwap('k', NaN, 1), true, 'NaNs are stored canonically: any NaN matches')
  map.set('k', -0)
  assert.equal(map.compareAndSwap('k', 0, 1), false, '0 does not match a stored -0')
  assert.equal(map.compareAndSwap('k', -0, 1), true)
  assert.equal(map.compareAndDelete('k', 1), true)
  assertInvalidValue(() => map.set('k', '1' as unknown as number), "a string under 'number'")
  assertInvalidValue(() => map.set('k', 1n as unknown as number), "a bigint under 'number'")
})

// ---- 'bytes' ----

test("'bytes': contents round-trip; neither the stored nor the returned bytes alias anything", () => {
  const map = fresh<Uint8Array>('bytes')
  const empty = new Uint8Array(0)
  const big = new Uint8Array(100_000).map((_, i) => i & 0xff)
  assertRoundTrips(map as SharedMap<K, unknown>, [new Uint8Array([1, 2, 3]), empty, big])
  // The map copies on set: changing the source afterwards changes nothing stored.
  const source = new Uint8Array([10, 20, 30])
  map.set('k', source)
  source[0] = 99
  assert.deepStrictEqual(map.get('k'), new Uint8Array([10, 20, 30]))
  // A returned array is the caller's own: not shared memory, and changing it changes nothing.
  const got = map.get('k')
  assert.ok(got instanceof Uint8Array)
  assert.ok(!(got.buffer instanceof SharedArrayBuffer), 'a returned value must not be a view of shared memory')
  got[1] = 77
  got.fill(0)
  assert.deepStrictEqual(map.get('k'), new Uint8Array([10, 20, 30]))
  // Every read path gives a private copy.
  const paths: Array<[string, () => Uint8Array | undefined]> = [
    ['loadOrStore', () => map.loadOrStore('k', new Uint8Array([0])).value],
    ['swap', () => map.swap('k', new Uint8Array([10, 20, 30])).previous],
    ['snapshot', () => map.snapshot().get('k')],
    ['entries', () => [...map.entries()].find(([key]) => key === 'k')?.[1]],
    ['values', () => [...map.values()][0]],
    ['getOrCompute', () => map.getOrCompute('k', () => new Uint8Array([0]))],
  ]
  for (const [name, read] of paths) {
    const copy = read()
    assert.ok(copy instanceof Uint8Array, name)
    assert.ok(!(copy.buffer instanceof SharedArrayBuffer), `${name}: a view of shared memory`)
    copy.fill(1)
    assert.deepStrictEqual(map.get('k'), new Uint8Array([10, 20, 30]), `${name}: changing its result changed the map`)
  }
  let seen: Uint8Array | undefined
  map.update('k', (current) => {
    seen = current
    return current
  })
  assert.ok(seen !== undefined && !(seen.buffer instanceof SharedArrayBuffer), 'update: the callback got a view of shared memory')
  seen.fill(2)
  assert.deepStrictEqual(map.get('k'), new Uint8Array([10, 20, 30]))
  // A Buffer is stored by its bytes and comes back as a plain Uint8Array; it compares by content.
  map.set('buf', Buffer.from('hi'))
  assert.equal(map.get('buf')?.constructor, Uint8Array)
  assert.equal(map.compareAndSwap('buf', new Uint8Array([0x68, 0x69]), Buffer.from('ho')), true)
  assert.equal(map.compareAndSwap('buf', Buffer.from('hi'), empty), false)
  assert.equal(map.compareAndDelete('buf', new TextEncoder().encode('ho')), true)
  // A view into a larger buffer stores just its own bytes.
  const window = new Uint8Array([1, 2, 3, 4, 5]).subarray(1, 3)
  map.set('window', window)
  assert.deepStrictEqual(map.get('window'), new Uint8Array([2, 3]))
  assertInvalidValue(() => map.set('k', 'text' as unknown as Uint8Array), "a string under 'bytes'")
  assertInvalidValue(() => map.set('k', new Uint16Array([1]) as unknown as Uint8Array), "a Uint16Array under 'bytes'")
  map.checkInvariants()
})

test("'structured': typed arrays returned do not alias shared memory either", () => {
  const map = fresh<unknown>(undefined)
  map.set('t', new Uint8Array([1, 2, 3]))
  const got = map.get('t') as Uint8Array
  assert.ok(!(got.buffer instanceof SharedArrayBuffer))
  got.fill(9)
  assert.deepStrictEqual(map.get('t'), new Uint8Array([1, 2, 3]))
})

// ---- a user codec ----

/** Case-insensitive words: encode lowercases, so 'ABC' and 'abc' are one encoding. */
const words: Codec<unknown> = {
  name: 'words',
  encode(value) {
    if (typeof value !== 'string') throw new TypeError('words only')
    return new TextEncoder().encode(value.toLowerCase())
  },
  decode(bytes) {
    return new TextDecoder().decode(bytes)
  },
}

test('a user codec: round-trips by its own rules, compares by its encoding, errors become ERR_INVALID_VALUE', () => {
  const map = fresh<unknown>(words)
  assert.equal(map.handle.codec, 'custom:words')
  assertRoundTrips(map, ['Hello', 'WORLD', ''], ['hello', 'world', ''])
  map.set('k', 'MiXeD')
  assert.equal(map.get('k'), 'mixed')
  assert.equal(map.compareAndSwap('k', 'MIXED', 'next'), true, 'equal encodings match')
  assert.equal(map.compareAndDelete('k', 'other'), false)
  assert.equal(map.compareAndDelete('k', 'NEXT'), true)
  // The codec's own error becomes ERR_INVALID_VALUE, with the original as its cause.
  assert.throws(
    () => map.set('k', 42),
    (err: unknown) => isConmapError(err, ErrorCode.INVALID_VALUE) && err.cause instanceof TypeError && /words only/.test(err.cause.message),
  )
  assert.equal(map.has('k'), false)
  // An encode that returns something other than a Uint8Array is refused too.
  const sloppy = fresh<unknown>({ name: 'sloppy', encode: () => [1, 2] as unknown as Uint8Array, decode: () => 'x' })
  assertInvalidValue(() => sloppy.set('k', 'v'), 'encode returning an array')
  assert.equal(sloppy.size, 0)
  map.checkInvariants()
})

test('a user codec: decode gets a private copy, so a decoder that keeps views never aliases shared memory', () => {
  // This codec's decode returns a view of its input, as a careless zero-copy codec would.
  const raw: Codec<unknown> = {
    name: 'raw-view',
    encode: (value) => value as Uint8Array,
    decode: (bytes) => bytes,
  }
  const map = fresh<unknown>(raw)
  map.set('k', new Uint8Array([1, 2, 3]))
  map.set('other', new Uint8Array([4, 5, 6]))
  const got = map.get('k') as Uint8Array
  assert.ok(!(got.buffer instanceof SharedArrayBuffer), 'decode was handed shared memory')
  got.fill(0)
  assert.deepStrictEqual(map.get('k'), new Uint8Array([1, 2, 3]))
  assert.deepStrictEqual(map.get('other'), new Uint8Array([4, 5, 6]))
  map.checkInvariants()
})

// ---- undefined values ----

test('undefined values: set(k, undefined) then has(k) and get(k) like Map, under codecs that can encode it', () => {
  const undefinedCodec: Codec<unknown> = {
    name: 'nullable',
    encode: (value) => new Uint8Array(value === undefined ? [] : [1]),
    decode: (bytes) => (bytes.length === 0 ? undefined : 'one'),
  }
  for (const codec of [undefined, undefinedCodec] as const) {
    const map = fresh<unknown>(codec)
    const model = new Map<K, unknown>()
    for (const target of [map, model]) target.set('u', undefined)
    assert.equal(map.has('u'), model.has('u'))
    assert.equal(map.has('u'), true)
    assert.equal(map.get('u'), undefined)
    assert.equal(map.size, 1)
    assert.deepStrictEqual([...map.entries()], [['u', undefined]])
    assert.deepStrictEqual(map.snapshot(), model)
    assert.deepStrictEqual(map.loadOrStore('u', 'other'), { value: undefined, loaded: true })
    assert.deepStrictEqual(map.swap('u', undefined), { previous: undefined, loaded: true })
    assert.equal(map.compareAndSwap('u', undefined, undefined), true)
    let current: unknown = 'not called'
    // update sees undefined for a present undefined value; returning it deletes the key.
    assert.equal(
      map.update('u', (value) => {
        current = value
        return undefined
      }),
      undefined,
    )
    assert.equal(current, undefined)
    assert.equal(map.has('u'), false, 'update returning undefined deletes')
    map.set('u', undefined)
    assert.deepStrictEqual(map.loadAndDelete('u'), { value: undefined, loaded: true })
    assert.deepStrictEqual(map.loadAndDelete('u'), { value: undefined, loaded: false })
    map.set('u', undefined)
    assert.equal(map.compareAndDelete('u', undefined), true)
    assert.equal(map.has('u'), false)
    map.checkInvariants()
  }
  for (const codec of ['json', 'string', 'number', 'bytes'] as const) {
    const map = fresh<unknown>(codec)
    assertInvalidValue(() => map.set('u', undefined), `set(k, undefined) under '${codec}'`)
    assert.equal(map.has('u'), false)
  }
})
