// Key encoding: kinds and validation, the byte layout of each kind, SameValueZero equality against
// stored keys, exact round trips, writes that stay inside their region, and reads of torn memory
// that never throw.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encodedKeyBytes, keyEquals, KeyKind, keyKind, keyViews, readKey, writeKey, type Key, type KeyViews } from '../../src/codec/index.js'
import { ErrorCode } from '../../src/errors/index.js'
import { assertThrowsCode } from './helpers.js'

interface Stored {
  readonly views: KeyViews
  readonly bytes: Uint8Array
  readonly byteOffset: number
  readonly byteLength: number
  readonly kind: KeyKind
}

function store(key: Key, byteOffset = 8): Stored {
  const kind = keyKind(key)
  const byteLength = encodedKeyBytes(key, kind)
  const buffer = new SharedArrayBuffer(byteOffset + byteLength + 8 + ((4 - (byteLength % 4)) % 4))
  const views = keyViews(buffer)
  writeKey(key, kind, views, byteOffset)
  return { views, bytes: new Uint8Array(buffer), byteOffset, byteLength, kind }
}

function words(stored: Stored): number[] {
  return Array.from(stored.views.u32.subarray(stored.byteOffset / 4, (stored.byteOffset + stored.byteLength) / 4))
}

function sameValueZero(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b)
}

/** A NaN whose float64 bits carry a payload, unlike the NaN literal. */
function payloadNaN(): number {
  const bits = new Uint32Array([0x1234, 0x7ff00001])
  return new Float64Array(bits.buffer)[0]!
}

const anyUnitString = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 })
const stringKey = fc.oneof(anyUnitString, fc.string({ unit: 'binary' }), fc.string({ maxLength: 3 }), fc.string({ minLength: 25, maxLength: 300 }))
const numberKey = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, NaN, payloadNaN(), Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER, 2 ** 53, -(2 ** 31)),
)
const bigintKey = fc.oneof(
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.bigInt({ min: -(1n << 2000n), max: 1n << 2000n }),
  fc.constantFrom(0n, -1n, 1n, 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n, 2n ** 64n),
)
const anyKey: fc.Arbitrary<Key> = fc.oneof(stringKey, numberKey, bigintKey)

test('keyKind names the kind of strings, numbers and bigints', () => {
  assert.equal(keyKind('a'), KeyKind.string)
  assert.equal(keyKind(''), KeyKind.string)
  assert.equal(keyKind(1.5), KeyKind.number)
  assert.equal(keyKind(NaN), KeyKind.number)
  assert.equal(keyKind(-5n), KeyKind.bigint)
})

test('keyKind rejects every other type with ERR_INVALID_KEY naming what it got', () => {
  const cases: [unknown, RegExp][] = [
    [undefined, /invalid key undefined/],
    [null, /invalid key null/],
    [true, /invalid key boolean true/],
    [{ id: 1 }, /invalid key plain object/],
    [[1], /invalid key array of length 1/],
    [Symbol('tag'), /invalid key symbol Symbol\(tag\)/],
    [function loadUser() {}, /invalid key function loadUser/],
    [new Date(0), /invalid key object of class Date/],
    [new String('boxed'), /invalid key object of class String/],
    [Object.create(null), /invalid key object with a null prototype/],
  ]
  for (const [key, message] of cases) assertThrowsCode(() => keyKind(key), ErrorCode.INVALID_KEY, message)
})

test('strings are stored as their UTF-16 code units, two bytes each', () => {
  const stored = store('a\u00e9\ud83d\ude00')
  assert.equal(stored.byteLength, 8)
  assert.deepEqual(Array.from(stored.views.u16.subarray(4, 8)), [0x61, 0xe9, 0xd83d, 0xde00])
  assert.equal(store('').byteLength, 0)
})

test('numbers are stored as 8 canonical float64 bytes: -0 as 0, every NaN as one NaN', () => {
  const float = new Float64Array([1.5])
  assert.deepEqual(words(store(1.5)), Array.from(new Uint32Array(float.buffer)))
  assert.deepEqual(words(store(-0)), [0, 0])
  const canonical = words(store(NaN))
  assert.deepEqual(words(store(payloadNaN())), canonical)
  assert.deepEqual(words(store(0 / 0)), canonical)
  assert.equal(canonical.includes(0x7ff80000), true, 'the quiet NaN 0x7ff8000000000000')
})

test('bigints are stored as a sign word and 32-bit limbs, least significant first, without high zero limbs', () => {
  assert.deepEqual(words(store(0n)), [0])
  assert.deepEqual(words(store(5n)), [0, 5])
  assert.deepEqual(words(store(-5n)), [1, 5])
  assert.deepEqual(words(store(2n ** 32n)), [0, 0, 1])
  assert.deepEqual(words(store(2n ** 53n + 7n)), [0, 7, 0x20_0000])
  assert.deepEqual(words(store(-(2n ** 63n))), [1, 0, 0x80000000])
  assert.deepEqual(words(store(2n ** 64n - 1n)), [0, 0xffffffff, 0xffffffff])
  assert.deepEqual(words(store(-(2n ** 64n) - 3n)), [1, 3, 0, 1])
  assert.deepEqual(words(store(2n ** 96n - 1n)), [0, 0xffffffff, 0xffffffff, 0xffffffff])
})

test('every key reads back as itself (SameValueZero; strings exactly, lone surrogates included)', () => {
  fc.assert(
    fc.property(anyKey, fc.nat(16), (key, slot) => {
      const stored = store(key, slot * 4)
      const back = readKey(stored.views, stored.byteOffset, stored.byteLength, stored.kind)
      assert.equal(typeof back, typeof key)
      assert.ok(sameValueZero(back, key), `${String(back)} read back for ${String(key)}`)
    }),
    { numRuns: 500 },
  )
  assert.equal(Object.is(readKey(store(-0).views, 8, 8, KeyKind.number), 0), true)
  const long = 'x\ud800'.repeat(5000)
  const stored = store(long)
  assert.equal(readKey(stored.views, stored.byteOffset, stored.byteLength, stored.kind), long)
})

test('keyEquals is SameValueZero between a key and a stored key', () => {
  const nearPair = anyKey.chain((key) =>
    fc.tuple(
      fc.constant(key),
      fc.oneof(
        fc.constant(key),
        fc.constant(typeof key === 'string' ? `${key}x` : typeof key === 'number' ? key + 1 : key + 1n),
        fc.constant(typeof key === 'string' ? key.slice(0, -1) : String(key)),
        fc.constant(typeof key === 'bigint' ? Number(key) : typeof key === 'number' && Number.isInteger(key) ? BigInt(key) : key),
        anyKey,
      ),
    ),
  )
  fc.assert(
    fc.property(nearPair, ([probe, storedKey]) => {
      const stored = store(storedKey)
      const equal = keyEquals(probe, keyKind(probe), stored.views, stored.byteOffset, stored.byteLength, stored.kind)
      assert.equal(equal, sameValueZero(probe, storedKey), `keyEquals(${String(probe)}, stored ${String(storedKey)})`)
    }),
    { numRuns: 1000 },
  )
  const cases: [Key, Key, boolean][] = [
    [1, '1', false],
    [1, 1n, false],
    [0, -0, true],
    [-0, 0, true],
    [NaN, payloadNaN(), true],
    ['ab', 'abc', false],
    ['abc', 'ab', false],
    ['', '', true],
    [2n ** 64n, 2n ** 64n + 1n, false],
    [-1n, 1n, false],
    [2n ** 2000n, 2n ** 2000n, true],
  ]
  for (const [probe, storedKey, expected] of cases) {
    const stored = store(storedKey)
    assert.equal(keyEquals(probe, keyKind(probe), stored.views, stored.byteOffset, stored.byteLength, stored.kind), expected, `${String(probe)} vs ${String(storedKey)}`)
  }
})

test('keyEquals refuses a stored key of another kind even when the bytes match', () => {
  const stored = store(1.5)
  const asText = String.fromCharCode(...stored.views.u16.subarray(4, 8))
  assert.equal(keyEquals(asText, KeyKind.string, stored.views, 8, 8, KeyKind.string), true, 'same bytes read as a string')
  assert.equal(keyEquals(asText, KeyKind.string, stored.views, 8, 8, KeyKind.number), false)
})

test('conversions of different bigints interleave correctly (the last conversion is cached)', () => {
  fc.assert(
    fc.property(bigintKey, bigintKey, (a, b) => {
      const storedA = store(a)
      const storedB = store(b)
      assert.equal(keyEquals(a, KeyKind.bigint, storedA.views, 8, storedA.byteLength, KeyKind.bigint), true)
      assert.equal(keyEquals(a, KeyKind.bigint, storedB.views, 8, storedB.byteLength, KeyKind.bigint), a === b)
      assert.equal(readKey(storedA.views, 8, storedA.byteLength, KeyKind.bigint), a)
      assert.equal(encodedKeyBytes(b, KeyKind.bigint), storedB.byteLength)
    }),
    { numRuns: 300 },
  )
})

test('writeKey writes exactly encodedKeyBytes bytes at its 4-aligned offset and nothing else', () => {
  fc.assert(
    fc.property(anyKey, fc.nat(8), (key, slot) => {
      const kind = keyKind(key)
      const byteLength = encodedKeyBytes(key, kind)
      const byteOffset = 4 + slot * 4
      const buffer = new SharedArrayBuffer(byteOffset + byteLength + 12 + ((4 - (byteLength % 4)) % 4))
      const bytes = new Uint8Array(buffer)
      bytes.fill(0xa5)
      writeKey(key, kind, keyViews(buffer), byteOffset)
      bytes.subarray(byteOffset, byteOffset + byteLength).fill(0xa5)
      assert.ok(bytes.every((b) => b === 0xa5), 'a byte outside the key region changed')
    }),
    { numRuns: 300 },
  )
})

test('reads and comparisons of torn memory (any bytes, kind or length) never throw', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      fc.nat(15),
      fc.nat(80),
      fc.integer({ min: 0, max: 5 }),
      anyKey,
      (garbage, slot, byteLength, kind, probe) => {
        const buffer = new SharedArrayBuffer(64)
        new Uint8Array(buffer).set(garbage)
        const views = keyViews(buffer)
        readKey(views, slot * 4, byteLength, kind)
        assert.equal(typeof keyEquals(probe, keyKind(probe), views, slot * 4, byteLength, kind), 'boolean')
      },
    ),
    { numRuns: 500 },
  )
})
