/**
 * Keys in shared memory.
 *
 * A key is a string, number or bigint, compared with SameValueZero as Map does: 1 and '1' differ,
 * 1 and 1n differ, -0 equals 0, NaN equals NaN. The map keeps a key's kind (KeyKind) beside it and
 * its body in a region that starts at a 4-byte-aligned byte offset:
 *
 *   string  2 bytes per UTF-16 code unit, in order, through the u16 view. Not UTF-8: hashing and
 *           comparing run over charCodeAt, so `map.get('user:1234')` never encodes its key, and
 *           any string (lone surrogates included) round-trips exactly.
 *   number  8 bytes: the float64 as two uint32 words (float64.ts), -0 folded into 0 and every NaN
 *           canonical. Two words need 4-byte alignment only, where a Float64Array index would
 *           need 8.
 *   bigint  4 + 4n bytes: a sign word, then n magnitude limbs (bigint-words.ts).
 *
 * Each SameValueZero class of keys has exactly one encoding, so key equality is byte equality and
 * the hash (hash.ts) is a function of the stored bytes.
 *
 * writeKey uses plain stores: the map publishes an entry with an Atomics store after writing it.
 * keyEquals and readKey may run against memory a writer is changing (optimistic readers validate
 * a version afterwards). Neither throws on torn bytes, a kind outside KeyKind or a length past the
 * end of the buffer; they produce an answer the caller discards if validation fails. keyEquals
 * reads no more than the probe key's own length; readKey builds a key of byteLength bytes, so a
 * reader bounds a length it has not validated yet.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { bigintScratch, fromBigintWords, toBigintWords } from './bigint-words.js'
import { float64Words, getFloat64, setFloat64 } from './float64.js'
import { describeValue } from './preview.js'
import { readUtf16 } from './utf16.js'

export type Key = string | number | bigint

export const KeyKind = { string: 1, number: 2, bigint: 3 } as const
export type KeyKind = (typeof KeyKind)[keyof typeof KeyKind]

/** Views of one (Shared)ArrayBuffer whose byte length is a multiple of 4. */
export interface KeyViews {
  readonly u16: Uint16Array
  readonly u32: Uint32Array
}

/**
 * Views of `byteLength` bytes of buffer (default: all of it). Give a growable
 * buffer an explicit length: length-tracking views are several times slower.
 */
export function keyViews(buffer: ArrayBufferLike, byteLength = buffer.byteLength): KeyViews {
  return { u16: new Uint16Array(buffer, 0, byteLength >>> 1), u32: new Uint32Array(buffer, 0, byteLength >>> 2) }
}

/** The kind of a valid key; anything else throws ERR_INVALID_KEY. */
export function keyKind(key: unknown): KeyKind {
  switch (typeof key) {
    case 'string':
      return KeyKind.string
    case 'number':
      return KeyKind.number
    case 'bigint':
      return KeyKind.bigint
    default:
      throw conmapError(ErrorCode.INVALID_KEY, `invalid key ${describeValue(key)}: keys are strings, numbers or bigints`)
  }
}

/** Bytes of key's body in shared memory: always a multiple of 2, and of 4 for numbers and bigints. */
export function encodedKeyBytes(key: Key, kind: KeyKind): number {
  if (kind === KeyKind.string) return (key as string).length * 2
  if (kind === KeyKind.number) return 8
  return toBigintWords(key as bigint) * 4
}

/** The two stored words of a number key, in a scratch valid until the next call. */
export function numberKeyWords(key: number): Uint32Array {
  // + 0 turns -0 into 0 and leaves every other number as it is.
  setFloat64(key + 0)
  return float64Words
}

/** Writes key's body (encodedKeyBytes(key, kind) bytes) at byteOffset, a multiple of 4. */
export function writeKey(key: Key, kind: KeyKind, views: KeyViews, byteOffset: number): void {
  if (kind === KeyKind.string) {
    const text = key as string
    const u16 = views.u16
    const base = byteOffset >>> 1
    for (let i = 0; i < text.length; i++) u16[base + i] = text.charCodeAt(i)
  } else if (kind === KeyKind.number) {
    const words = numberKeyWords(key as number)
    const base = byteOffset >>> 2
    views.u32[base] = words[0]!
    views.u32[base + 1] = words[1]!
  } else {
    const count = toBigintWords(key as bigint)
    const words = bigintScratch.words
    const u32 = views.u32
    const base = byteOffset >>> 2
    for (let i = 0; i < count; i++) u32[base + i] = words[i]!
  }
}

/** Whether key is SameValueZero-equal to the key stored at byteOffset, without decoding it. */
export function keyEquals(
  key: Key,
  kind: KeyKind,
  views: KeyViews,
  byteOffset: number,
  byteLength: number,
  storedKind: number,
): boolean {
  if (kind !== storedKind) return false
  if (kind === KeyKind.string) {
    const text = key as string
    const length = text.length
    if (byteLength !== length * 2) return false
    const u16 = views.u16
    const base = byteOffset >>> 1
    for (let i = 0; i < length; i++) {
      if (u16[base + i] !== text.charCodeAt(i)) return false
    }
    return true
  }
  const u32 = views.u32
  const base = byteOffset >>> 2
  if (kind === KeyKind.number) {
    if (byteLength !== 8) return false
    const words = numberKeyWords(key as number)
    return u32[base] === words[0] && u32[base + 1] === words[1]
  }
  const count = toBigintWords(key as bigint)
  if (byteLength !== count * 4) return false
  const words = bigintScratch.words
  for (let i = 0; i < count; i++) {
    if (u32[base + i] !== words[i]) return false
  }
  return true
}

/** The key stored at byteOffset. A kind outside KeyKind (torn memory) reads as a bigint. */
export function readKey(views: KeyViews, byteOffset: number, byteLength: number, kind: number): Key {
  if (kind === KeyKind.string) return readUtf16(views.u16, byteOffset >>> 1, byteLength >>> 1)
  const base = byteOffset >>> 2
  if (kind === KeyKind.number) {
    float64Words[0] = views.u32[base]!
    float64Words[1] = views.u32[base + 1]!
    return getFloat64()
  }
  return fromBigintWords(views.u32, base, byteLength >>> 2)
}

