/**
 * One total order over every key a conmap map accepts, for KeyedMutex's multi-key
 * locks: two requests for the same keys in opposite orders take them in the same
 * order, so neither holds a key the other waits for first (no lock-order deadlock).
 *
 * Keys of different kinds never compare equal (Map's SameValueZero: 1, '1' and 1n
 * are three keys), so the kind decides first: strings, then numbers, then bigints.
 * Within a kind: strings by UTF-16 code units (what `<` does, lone surrogates
 * included), numbers numerically with -0 equal to 0 and NaN after every other
 * number, bigints numerically. Equality under this order is SameValueZero, which is
 * what makes sorting and dropping neighbours that compare equal a deduplication.
 */
import { keyKind, type Key } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'

/** Negative, zero or positive as a sorts before, with or after b. */
export function compareKeys(a: Key, b: Key): number {
  const kinds = keyKind(a) - keyKind(b)
  if (kinds !== 0) return kinds
  if (typeof a === 'number') {
    const bn = b as number
    if (Number.isNaN(a)) return Number.isNaN(bn) ? 0 : 1
    if (Number.isNaN(bn)) return -1
  }
  return a < b ? -1 : a > b ? 1 : 0
}

/** keys sorted by compareKeys and without repeats; ERR_INVALID_KEY for a key of no kind, ERR_INVALID_ARGUMENT for none. */
export function orderedKeys<K extends Key>(keys: K | readonly K[]): readonly K[] {
  if (!Array.isArray(keys)) {
    keyKind(keys)
    return [keys as K]
  }
  const list = keys as readonly K[]
  if (list.length === 0) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'KeyedMutex.lock: an empty list of keys')
  for (const key of list) keyKind(key)
  const sorted = [...list].sort(compareKeys)
  return sorted.filter((key, i) => i === 0 || compareKeys(sorted[i - 1] as K, key) !== 0)
}
