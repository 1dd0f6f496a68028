/**
 * The order in which the measuring loops visit keys, precomputed (seeded, so every
 * run visits the same keys) as an array of key indices: choosing a key then costs
 * every contender the same one array load, and the keys themselves are the same
 * string objects on every visit, as a Map user's are.
 *  - 'uniform': every key equally likely, drawn with replacement.
 *  - 'zipf': Zipf(0.99) over the keys, the skew of real caches: the key of rank r
 *    is drawn with probability proportional to 1 / r^0.99. Ranks map to keys by one
 *    fixed shuffle, the same in every thread (all workers share one set of hot keys),
 *    scattered over the key space rather than the first keys.
 */
export type KeyOrder = 'uniform' | 'zipf'

export const ZIPF_EXPONENT = 0.99
export const KEY_ORDERS: readonly KeyOrder[] = ['uniform', 'zipf']

export function describeOrder(order: KeyOrder): string {
  return order === 'uniform' ? 'uniform keys' : `Zipf(${ZIPF_EXPONENT}) keys`
}

/** `length` key indices in 0..keys-1, drawn from `order` by a generator seeded with `seed`. */
export function keySequence(order: KeyOrder, keys: number, length: number, seed: number): Int32Array {
  const next = xorshift(seed)
  if (order === 'uniform') {
    const sequence = new Int32Array(length)
    for (let i = 0; i < length; i++) sequence[i] = next() % keys
    return sequence
  }
  return zipfSequence(keys, length, ZIPF_EXPONENT, next)
}

/**
 * `length` key indices in 0..keys-1 drawn from Zipf(exponent), `next` giving 32-bit
 * uniform draws. Ranks map to keys by the same fixed shuffle for every exponent and
 * thread, so every stream over a key space has the same hot keys.
 */
export function zipfSequence(keys: number, length: number, exponent: number, next: () => number): Int32Array {
  const sequence = new Int32Array(length)
  const cdf = zipfCdf(keys, exponent)
  const keyOfRank = zipfRanks(keys)
  for (let i = 0; i < length; i++) {
    const u = next() / 2 ** 32
    let lo = 0
    let hi = keys - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((cdf[mid] as number) <= u) lo = mid + 1
      else hi = mid
    }
    sequence[i] = keyOfRank[lo] as number
  }
  return sequence
}

/** Key index of each Zipf rank (the hottest first): the one shuffle every Zipf stream over `keys` keys uses. */
export function zipfRanks(keys: number): Int32Array {
  return shuffled(keys, 0x5bd1e995)
}

/** A xorshift32 generator of 32-bit draws, seeded with `seed`. */
export function xorshift(seed: number): () => number {
  let x = (Math.imul(seed + 1, 0x9e3779b1) | 0) || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return x >>> 0
  }
}

/** Cumulative probabilities of ranks 1..n under Zipf(exponent), normalised to end at 1. */
function zipfCdf(n: number, exponent: number): Float64Array {
  const cdf = new Float64Array(n)
  let sum = 0
  for (let r = 0; r < n; r++) {
    sum += 1 / (r + 1) ** exponent
    cdf[r] = sum
  }
  for (let r = 0; r < n; r++) cdf[r] = (cdf[r] as number) / sum
  return cdf
}

/** A seeded permutation of 0..n-1 (Fisher-Yates over xorshift). */
export function shuffled(n: number, seed = 0x2545f491): Int32Array {
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  let x = seed | 0 || 1
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    const j = (x >>> 0) % (i + 1)
    const t = order[i] as number
    order[i] = order[j] as number
    order[j] = t
  }
  return order
}
