// Key hashing: HalfSipHash-1-3 reference vectors, hashKey against hashStoredKey, seeding, kind
// separation, and the statistics the map relies on (uniform low bits for the bucket, uniform top
// 7 bits for the tag, avalanche), with a check that the statistics do catch a weak hash.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encodedKeyBytes, hashKey, hashStoredKey, KeyKind, keyKind, keyViews, randomHashSeed, writeKey, type Key } from '../../src/codec/index.js'

const SEEDS: readonly (readonly [number, number])[] = [
  [0x9e3779b9, 0x7f4a7c15],
  [0, 0],
  [0xdeadbeef, 0x00c0ffee],
]

function hash(key: Key, seed: readonly [number, number] = SEEDS[0]!): number {
  return hashKey(key, keyKind(key), seed[0], seed[1])
}

// HalfSipHash-1-3 with 32-bit output, key bytes 00..07, message bytes 00..(n-1): the vectors of
// the Linux kernel's hsiphash self-test on 32-bit platforms (lib/siphash_kunit.c).
const HSIP13_VECTORS = [
  0x5814c896, 0xe7e864ca, 0xbc4b0e30, 0x01539939, 0x7e059ea6, 0x88e3d89b, 0xa0080b65, 0x9d38d9d6,
  0x577999b1, 0xc839caed, 0xe4fa32cf, 0x959246ee, 0x6b28096c, 0x66dd9cd6, 0x16658a7c, 0xd0257b04,
  0x8b31d501, 0x2b1cd04b, 0x06712339, 0x522aca67, 0x911bb605, 0x90a65f0e, 0xf826ef7b, 0x62512deb,
  0x57150ad7, 0x5d473507, 0x1ec47442, 0xab64afd3, 0x0a4100d0, 0x6d2ce652, 0x2331b6a3, 0x08d8791a,
  0xbc6dda8d, 0xe0f6c934, 0xb0652033, 0x9b9851cc, 0x7c46fb7f, 0x732ba8cb, 0xf142997a, 0xfcc9aa1b,
  0x05327eb2, 0xe110131c, 0xf9e5e7c0, 0xa7d708a6, 0x11795ab1, 0x65671619, 0x9f5fff91, 0xd89c5267,
  0x007783eb, 0x95766243, 0xab639262, 0x9c7e1390, 0xc368dda6, 0x38ddc455, 0xfa13d379, 0x979ea4e8,
  0x53ecd77e, 0x2ee80657, 0x33dbb66a, 0xae3f0577, 0x88b4c4cc, 0x3e7f480b, 0x74c1ebf8, 0x87178304,
]

test('string hashing is HalfSipHash-1-3 of the UTF-16LE bytes (reference vectors, even lengths)', () => {
  for (let units = 0; units < 32; units++) {
    let key = ''
    for (let j = 0; j < units; j++) key += String.fromCharCode((2 * j) | ((2 * j + 1) << 8))
    assert.equal(hashKey(key, KeyKind.string, 0x03020100, 0x07060504), HSIP13_VECTORS[2 * units], `message of ${2 * units} bytes`)
  }
})

const anyKey: fc.Arbitrary<Key> = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.string({ minLength: 25, maxLength: 300 }),
  fc.double(),
  fc.integer(),
  fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }),
)

test('hashKey of a key equals hashStoredKey of its stored bytes, and is a uint32', () => {
  fc.assert(
    fc.property(anyKey, fc.nat(), fc.nat(), fc.nat(6), (key, seed0, seed1, slot) => {
      const kind = keyKind(key)
      const byteLength = encodedKeyBytes(key, kind)
      const byteOffset = slot * 4
      const views = keyViews(new SharedArrayBuffer(byteOffset + byteLength + 4 + ((4 - (byteLength % 4)) % 4)))
      writeKey(key, kind, views, byteOffset)
      const h = hashKey(key, kind, seed0, seed1)
      assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff)
      assert.equal(hashStoredKey(views, byteOffset, byteLength, kind, seed0, seed1), h)
    }),
    { numRuns: 1000 },
  )
})

test('SameValueZero-equal keys hash equally: -0 and 0, NaNs with any payload', () => {
  const payloadNaN = new Float64Array(new Uint32Array([0x1234, 0x7ff00001]).buffer)[0]!
  for (const seed of SEEDS) {
    assert.equal(hash(-0, seed), hash(0, seed))
    assert.equal(hash(payloadNaN, seed), hash(NaN, seed))
    assert.equal(hash(2n ** 100n, seed), hash(2n ** 100n, seed))
  }
})

test('keys of different kinds with the same bytes hash differently (the kind is in the last block)', () => {
  const words = new Uint32Array(new Float64Array([1.5]).buffer)
  const sameBytesAsString = String.fromCharCode(...new Uint16Array(words.buffer))
  const bigintWithSameWords = BigInt(words[1]!) * 2n ** 32n + BigInt(words[0]!)
  for (const seed of SEEDS) {
    assert.notEqual(hash(sameBytesAsString, seed), hash(1.5, seed))
    // 3n is stored as words [0, 3]; so is the string '\u0000\u0000\u0003\u0000'.
    assert.notEqual(hash('\u0000\u0000\u0003\u0000', seed), hash(3n, seed))
    assert.notEqual(hash(bigintWithSameWords, seed), hash(1.5, seed))
  }
})

test('different seeds give different hashes for the same keys, through both seed words', () => {
  const keys: Key[] = []
  for (let i = 0; i < 2000; i++) keys.push(`user:${i}`, i, BigInt(i) * 2n ** 40n)
  const [seed0, seed1] = SEEDS[0]!
  const tweaks: [number, number][] = [
    [seed0 ^ 1, seed1],
    [seed0, seed1 ^ 0x80000000],
    [seed1, seed0],
  ]
  for (const [other0, other1] of tweaks) {
    const same = keys.filter((key) => hashKey(key, keyKind(key), seed0, seed1) === hashKey(key, keyKind(key), other0, other1)).length
    assert.ok(same <= 1, `${same} of ${keys.length} keys kept their hash under seed (${other0}, ${other1})`)
  }
})

test('randomHashSeed draws two uint32 words, fresh each time', () => {
  const seeds = Array.from({ length: 8 }, () => randomHashSeed())
  for (const [a, b] of seeds) assert.ok(Number.isInteger(a) && a >= 0 && a <= 0xffffffff && Number.isInteger(b) && b >= 0 && b <= 0xffffffff)
  assert.equal(new Set(seeds.map(([a, b]) => `${a}:${b}`)).size, seeds.length)
})

/** Pearson's chi-square of hashes spread over 2^bits buckets by (hash >>> shift). */
function chiSquare(hashes: Iterable<number>, bits: number, shift: number): number {
  const buckets = 1 << bits
  const counts = new Float64Array(buckets)
  let total = 0
  for (const h of hashes) {
    counts[(h >>> shift) & (buckets - 1)]! += 1
    total++
  }
  const expected = total / buckets
  let sum = 0
  for (const count of counts) sum += (count - expected) ** 2 / expected
  return sum
}

/** Asserts chi-square within 6 standard deviations of its mean (df = buckets - 1). */
function assertUniform(label: string, hashes: readonly number[], bits: number, shift: number): void {
  const df = (1 << bits) - 1
  const spread = 6 * Math.sqrt(2 * df)
  const x2 = chiSquare(hashes, bits, shift)
  assert.ok(Math.abs(x2 - df) < spread, `${label}: chi-square ${x2.toFixed(1)} for ${df} degrees of freedom (allowed ${df} ± ${spread.toFixed(0)})`)
}

const N = 100_000
const keySets: Record<string, () => Key[]> = {
  "'k0'..'k99999'": () => Array.from({ length: N }, (_, i) => `k${i}`),
  '0..99999': () => Array.from({ length: N }, (_, i) => i),
  '0n..99999n': () => Array.from({ length: N }, (_, i) => BigInt(i)),
  'multiples of 1024': () => Array.from({ length: N }, (_, i) => i * 1024),
  'i / 8': () => Array.from({ length: N }, (_, i) => i / 8),
}

for (const [name, makeKeys] of Object.entries(keySets)) {
  test(`sequential keys ${name} spread uniformly over buckets (low 10 bits) and tags (top 7 bits)`, () => {
    const keys = makeKeys()
    for (const seed of SEEDS) {
      const hashes = keys.map((key) => hash(key, seed))
      assertUniform(`low 10 bits, seed ${seed.join(':')}`, hashes, 10, 0)
      assertUniform(`top 7 bits, seed ${seed.join(':')}`, hashes, 7, 25)
      assertUniform(`bits 10..17, seed ${seed.join(':')}`, hashes, 8, 10)
    }
  })
}

test('the uniformity check rejects weak hashes (so the tests above can fail)', () => {
  const keys = keySets["'k0'..'k99999'"]!()
  const sumOfUnits = keys.map((key) => {
    let h = 0
    for (const ch of String(key)) h += ch.charCodeAt(0)
    return h
  })
  assert.throws(() => assertUniform('sum of code units', sumOfUnits, 10, 0), /chi-square/)
  const identity = Array.from({ length: N }, (_, i) => i)
  assert.throws(() => assertUniform('identity, top bits', identity, 7, 25), /chi-square/)
  assert.throws(() => assertUniform('identity, low bits (too regular)', identity, 10, 0), /chi-square/)
})

/** A small deterministic PRNG (mulberry32), so avalanche samples are the same on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** Largest distance from 1/2 of the rate at which an output bit flips when one input bit flips. */
function worstAvalanche(samples: number, inputBits: number, flip: (sample: number, bit: number) => [Key, Key]): number {
  let worst = 0
  for (let bit = 0; bit < inputBits; bit++) {
    const flips = new Float64Array(32)
    for (let s = 0; s < samples; s++) {
      const [a, b] = flip(s, bit)
      const diff = hash(a) ^ hash(b)
      for (let out = 0; out < 32; out++) flips[out]! += (diff >>> out) & 1
    }
    for (const count of flips) worst = Math.max(worst, Math.abs(count / samples - 0.5))
  }
  return worst
}

test('avalanche: flipping any input bit flips each of the 32 output bits about half the time', () => {
  const samples = 1000
  // With 1000 samples one rate has a standard deviation of 0.016; 0.08 is 5 of them.
  const bound = 0.08
  const random = mulberry32(42)
  const strings = Array.from({ length: samples }, () => Array.from({ length: 8 }, () => random() & 0xffff))
  const stringWorst = worstAvalanche(samples, 8 * 16, (s, bit) => {
    const units = strings[s]!
    const flipped = units.slice()
    flipped[bit >> 4]! ^= 1 << (bit & 15)
    return [String.fromCharCode(...units), String.fromCharCode(...flipped)]
  })
  assert.ok(stringWorst < bound, `8-unit strings: worst bit bias ${stringWorst.toFixed(3)}`)
  const integers = Array.from({ length: samples }, () => random() & 0x7fffffff)
  const integerWorst = worstAvalanche(samples, 31, (s, bit) => [integers[s]!, integers[s]! ^ (1 << bit)])
  assert.ok(integerWorst < bound, `integers: worst bit bias ${integerWorst.toFixed(3)}`)
  const unchanged = (s: number): [Key, Key] => [`k${s}`, `k${s}`]
  assert.ok(worstAvalanche(50, 4, unchanged) > bound, 'the measure flags a flip that leaves the hash unchanged')
})
