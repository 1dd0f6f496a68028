/**
 * Bigint keys as 32-bit words, the form key.ts stores and hash.ts hashes:
 *
 *   words[0]            sign: 0 for zero and positive, 1 for negative
 *   words[1 .. count)   magnitude in 32-bit limbs, least significant first, no high zero limb
 *
 * so every bigint has exactly one encoding (0n is the sign word alone, count 1) and equal
 * bigints have equal bytes. Magnitudes up to 2^53 convert through Number arithmetic, those below
 * 2^64 (64-bit ids, the common bigint key) through two bigint operations, and larger ones through
 * one hex string, which is linear in the size where repeated `>> 32n` is quadratic.
 *
 * The last conversion is remembered: one map operation sizes, hashes, compares and writes the
 * same key, and converting it once keeps that to a single pass of bigint allocations.
 */
const TWO_32 = 0x1_0000_0000
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const TWO_64 = 2n ** 64n

/** Words of the last bigint given to toBigintWords; valid until the next call with another value. */
export const bigintScratch: { words: Uint32Array; count: number } = { words: new Uint32Array(8), count: 0 }

let lastValue: bigint | undefined

/** Fills bigintScratch with value's words and returns their count (sign word included). */
export function toBigintWords(value: bigint): number {
  if (value === lastValue) return bigintScratch.count
  const negative = value < 0n
  const magnitude = negative ? -value : value
  let count = 1
  if (magnitude <= MAX_SAFE) {
    const words = bigintScratch.words
    let rest = Number(magnitude)
    while (rest > 0) {
      words[count++] = rest % TWO_32
      rest = Math.floor(rest / TWO_32)
    }
  } else if (magnitude < TWO_64) {
    bigintScratch.words[1] = Number(BigInt.asUintN(32, magnitude))
    bigintScratch.words[2] = Number(magnitude >> 32n)
    count = 3
  } else {
    const hex = magnitude.toString(16)
    const words = reserve(1 + Math.ceil(hex.length / 8))
    for (let end = hex.length; end > 0; end -= 8) {
      words[count++] = parseInt(hex.slice(Math.max(0, end - 8), end), 16)
    }
  }
  bigintScratch.words[0] = negative ? 1 : 0
  bigintScratch.count = count
  lastValue = value
  return count
}

/**
 * The bigint stored as `count` words from `index` of `words`. Reads past the end of the array
 * count as zero limbs, so torn or stale memory gives a wrong bigint, never an exception.
 */
export function fromBigintWords(words: Uint32Array, index: number, count: number): bigint {
  let magnitude: bigint
  if (count <= 1) {
    magnitude = 0n
  } else if (count === 2 || (count === 3 && words[index + 2]! >>> 0 < 0x20_0000)) {
    const high = count === 3 ? words[index + 2]! >>> 0 : 0
    magnitude = BigInt(high * TWO_32 + (words[index + 1]! >>> 0))
  } else {
    let hex = (words[index + count - 1]! >>> 0).toString(16)
    for (let i = count - 2; i >= 1; i--) hex += (words[index + i]! >>> 0).toString(16).padStart(8, '0')
    magnitude = BigInt(`0x${hex}`)
  }
  return words[index]! >>> 0 === 0 ? magnitude : -magnitude
}

function reserve(count: number): Uint32Array {
  if (bigintScratch.words.length < count) {
    bigintScratch.words = new Uint32Array(Math.max(count, bigintScratch.words.length * 2))
  }
  return bigintScratch.words
}
