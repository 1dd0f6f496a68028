/**
 * Seeded key hashing: HalfSipHash-1-3 over a key's stored encoding (key.ts), with a 64-bit seed
 * drawn per map.
 *
 * Why SipHash rather than a murmur3-style Math.imul mix: a per-map seed stops HashDoS only if the
 * hash is a keyed pseudo-random function. MurmurHash3 and CityHash have seed-independent
 * multicollisions (Aumasson, Bernstein, Boßlet, "Hash-flooding DoS reloaded", 2012): inputs that
 * collide under every seed, because each block is mixed without the seed before it enters the
 * state, so a chosen difference can be cancelled by the next block. SipHash was designed as the
 * answer; HalfSipHash-1-3 is its 32-bit member, the one Linux's `hsiphash` uses for hash tables
 * on 32-bit platforms. It is add-rotate-xor on 32-bit words, which V8 runs as int32 arithmetic,
 * and as a PRF every output bit is mixed, so the map can take the top 7 bits as a tag and the low
 * bits as the bucket index. The price (bench/codec.bench.ts, Node 20): about 10 ns more than a
 * murmur3-style mix on a 9-character key, about 20% more than FNV-1a on long keys.
 *
 * Messages (32-bit words, the first byte in the low bits):
 *   string  the UTF-16 code units, two per word (the first unit in the low half), read with
 *           charCodeAt from a JS string or from the u16 view for a stored key. This is exactly
 *           HalfSipHash-1-3 of the key's UTF-16LE bytes; the tests check the reference vectors.
 *   number  the two canonical float64 words; bigint: the sign word and the limbs.
 * The last block holds the byte length in bits 24..31 and, for a string, its odd last code unit
 * in bits 0..15. Number and bigint keys put their kind in bits 16..23, which a string's last block
 * never sets, so keys of different kinds are always different messages.
 *
 * hashKey(key) equals hashStoredKey(the bytes writeKey stored for it): the map can rehash an entry
 * during growth or an invariant check without decoding its key.
 */
import { getRandomValues } from 'node:crypto'
import { bigintScratch, toBigintWords } from './bigint-words.js'
import { KeyKind, numberKeyWords, type Key, type KeyViews } from './key.js'

/** A map's hash seed: the two 32-bit halves of HalfSipHash's 64-bit key. */
export type HashSeed = readonly [seed0: number, seed1: number]

/** A fresh seed from the system's CSPRNG, for a new map. */
export function randomHashSeed(): HashSeed {
  const words = getRandomValues(new Uint32Array(2))
  return [words[0]!, words[1]!]
}

/** The uint32 hash of a key of the given kind under the seed (seed0, seed1). */
export function hashKey(key: Key, kind: KeyKind, seed0: number, seed1: number): number {
  if (kind === KeyKind.string) return hashString(key as string, seed0, seed1)
  if (kind === KeyKind.number) return hashWords(numberKeyWords(key as number), 0, 2, KeyKind.number, seed0, seed1)
  const count = toBigintWords(key as bigint)
  return hashWords(bigintScratch.words, 0, count, KeyKind.bigint, seed0, seed1)
}

/** The hash of the key stored at byteOffset; equal to hashKey of that key. */
export function hashStoredKey(
  views: KeyViews,
  byteOffset: number,
  byteLength: number,
  kind: KeyKind,
  seed0: number,
  seed1: number,
): number {
  if (kind === KeyKind.string) return hashUnits(views.u16, byteOffset >>> 1, byteLength >>> 1, seed0, seed1)
  return hashWords(views.u32, byteOffset >>> 2, byteLength >>> 2, kind, seed0, seed1)
}

// The SipRound is written out in each loop: it updates four locals, which a helper function could
// only do through memory, and these loops are the hot path of every map operation.

function hashString(key: string, seed0: number, seed1: number): number {
  let v0 = seed0 | 0
  let v1 = seed1 | 0
  let v2 = 0x6c796765 ^ seed0
  let v3 = 0x74656462 ^ seed1
  const length = key.length
  const pairsEnd = length - (length & 1)
  let i = 0
  for (; i < pairsEnd; i += 2) {
    const m = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16)
    v3 ^= m
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16)
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16)
    v0 ^= m
  }
  // Byte length 2 * length, kept mod 256 in the top byte: (2 * length) << 24 === length << 25.
  const last = (length << 25) | (i < length ? key.charCodeAt(i) : 0)
  return finish(v0, v1, v2, v3, last)
}

function hashUnits(u16: Uint16Array, index: number, length: number, seed0: number, seed1: number): number {
  let v0 = seed0 | 0
  let v1 = seed1 | 0
  let v2 = 0x6c796765 ^ seed0
  let v3 = 0x74656462 ^ seed1
  const pairsEnd = index + length - (length & 1)
  let i = index
  for (; i < pairsEnd; i += 2) {
    const m = u16[i]! | (u16[i + 1]! << 16)
    v3 ^= m
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16)
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16)
    v0 ^= m
  }
  const last = (length << 25) | ((length & 1) === 1 ? u16[i]! : 0)
  return finish(v0, v1, v2, v3, last)
}

function hashWords(words: Uint32Array, index: number, count: number, kind: KeyKind, seed0: number, seed1: number): number {
  let v0 = seed0 | 0
  let v1 = seed1 | 0
  let v2 = 0x6c796765 ^ seed0
  let v3 = 0x74656462 ^ seed1
  const end = index + count
  for (let i = index; i < end; i++) {
    const m = words[i]! | 0
    v3 ^= m
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16)
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16)
    v0 ^= m
  }
  // Byte length 4 * count mod 256 in the top byte ((4 * count) << 24 === count << 26), kind below it.
  return finish(v0, v1, v2, v3, (count << 26) | (kind << 16))
}

/** Absorbs the last block, then the three finalisation rounds; returns the uint32 hash. */
function finish(v0: number, v1: number, v2: number, v3: number, last: number): number {
  v3 ^= last
  v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16)
  v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2
  v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0
  v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16)
  v0 ^= last
  v2 ^= 0xff
  for (let round = 0; round < 3; round++) {
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16)
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16)
  }
  return (v1 ^ v3) >>> 0
}
