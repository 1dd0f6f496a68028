/**
 * Values in records. Most values go through the map's codec as bytes; strings and
 * numbers skip it where the codec would give back the same value anyway
 * ('structured': strings and numbers; 'string': strings; 'number': numbers). They
 * are stored natively, tagged in the record's kind word (layout.ts):
 *
 *   CODEC   the codec's bytes
 *   LATIN1  a string whose code units are all below 256: one byte per unit
 *   STRING  any other string: UTF-16 code units
 *   NUMBER  the float64's 8 bytes (NaN canonical), as two u32 words
 *   PENDING not a value: a computation in flight (flight.ts), absent to every read
 *
 * Strings are written and read through charCodeAt/fromCharCode: no TextEncoder, no
 * msgpack, no intermediate copy on either side. One byte per unit where it fits
 * halves the words a reader loads and a writer stores with Atomics (words.ts) and
 * the record, for most text. The native forms round-trip exactly (even -0 and lone
 * surrogates, which msgpack and UTF-8 would alter), and a value has one encoding
 * (a string is LATIN1 exactly when it can be), so compareAndSwap compares
 * (tag, bytes) as it compares codec bytes.
 *
 * "Raw" is what a reader copies out of shared memory before validating: the string
 * or number itself, or a private copy of codec bytes that `finish` decodes once the
 * read is known to be consistent.
 */
import { bytesEqual, isThenable, thenableRefused, type Codec } from '../codec/index.js'
import { float64Words, getFloat64, setFloat64 } from '../codec/float64.js'
import { isLatin1, readLatin1, readUtf16 } from '../codec/utf16.js'
import type { Arena } from './arena.js'
import { R_KEY, R_KEY_BYTES, R_KIND, R_VALUE_BYTES, align4, tagOfKindWord } from './layout.js'
import { loadWords, type Views } from './words.js'

export const ValueTag = { codec: 0, string: 1, number: 2, latin1: 3, pending: 4 } as const
export type ValueTag = (typeof ValueTag)[keyof typeof ValueTag]

/** An encoded value: a native string or number, or codec bytes. */
export type Encoded = string | number | Uint8Array
export type Raw = string | number | Uint8Array


export class Values {
  readonly #codec: Codec<unknown>
  readonly #strings: boolean
  readonly #numbers: boolean
  readonly #arena: Arena
  /** Whether decoded values are plain data that frozen.ts may freeze and share (built-in codecs). */
  readonly freezable: boolean

  constructor(codec: Codec<unknown>, codecName: string, arena: Arena) {
    this.#codec = codec
    this.#strings = codecName === 'builtin:structured' || codecName === 'builtin:string'
    this.#numbers = codecName === 'builtin:structured' || codecName === 'builtin:number'
    this.#arena = arena
    this.freezable = codecName.startsWith('builtin:')
  }

  encode(value: unknown): Encoded {
    if (typeof value === 'string' && this.#strings) return value
    if (typeof value === 'number' && this.#numbers) return value
    // Every codec would store something (msgpackr an empty object) that every thread
    // then reads for ever; the likely cause is an async update/getOrCompute callback.
    if (isThenable(value)) throw thenableRefused(value)
    return this.#codec.encode(value)
  }

  /** The tag of a record's value (read under a lock, or racily and then validated). */
  tagOfRecord(record: number, racy: boolean): number {
    const at = (record >>> 2) + (R_KIND >>> 2)
    return tagOfKindWord(racy ? Atomics.load(this.#arena.u32, at) : (this.#arena.u32[at] ?? 0))
  }

  /** The tag of an encoding (for a string, a scan of its code units). */
  tagOf(encoded: Encoded): ValueTag {
    if (typeof encoded === 'string') return isLatin1(encoded) ? ValueTag.latin1 : ValueTag.string
    return typeof encoded === 'number' ? ValueTag.number : ValueTag.codec
  }

  byteLength(encoded: Encoded, tag: ValueTag): number {
    if (typeof encoded === 'string') return tag === ValueTag.latin1 ? encoded.length : encoded.length * 2
    return typeof encoded === 'number' ? 8 : encoded.length
  }

  /**
   * Writes at a 4-byte-aligned offset of views with plain stores: into an unpublished
   * record of the arena, or into a scratch that is then stored with Atomics.
   */
  write(encoded: Encoded, tag: ValueTag, views: Views, offset: number): void {
    if (typeof encoded === 'string') {
      const units = tag === ValueTag.latin1 ? views.u8 : views.u16
      const at = tag === ValueTag.latin1 ? offset : offset >>> 1
      for (let i = 0; i < encoded.length; i++) units[at + i] = encoded.charCodeAt(i)
    } else if (typeof encoded === 'number') {
      setFloat64(encoded)
      views.u32[offset >>> 2] = float64Words[0] ?? 0
      views.u32[(offset >>> 2) + 1] = float64Words[1] ?? 0
    } else {
      views.u8.set(encoded, offset)
    }
  }

  /** A record's value (raw), under a lock that keeps it from changing. */
  ofRecord(record: number): Raw {
    const u32 = this.#arena.u32
    const word = record >>> 2
    const start = record + R_KEY + align4(u32[word + (R_KEY_BYTES >>> 2)] ?? 0)
    return readFrom(this.#arena.views, tagOfKindWord(u32[word + (R_KIND >>> 2)] ?? 0), start, u32[word + (R_VALUE_BYTES >>> 2)] ?? 0)
  }

  /**
   * ofRecord() with no lock: every word is copied with Atomics.load first (words.ts).
   * undefined when the record's lengths are impossible (only in a read that validation
   * rejects).
   */
  ofRecordRacy(record: number): Raw | undefined {
    const u32 = this.#arena.u32
    const word = record >>> 2
    if (word + (R_KEY >>> 2) > u32.length) return undefined
    const start = record + R_KEY + align4(Atomics.load(u32, word + (R_KEY_BYTES >>> 2)))
    const bytes = Atomics.load(u32, word + (R_VALUE_BYTES >>> 2))
    if ((start + bytes + 3) >>> 2 > u32.length || start < R_KEY) return undefined
    const tag = tagOfKindWord(Atomics.load(u32, word + (R_KIND >>> 2)))
    return readFrom(loadWords(u32, start >>> 2, (bytes + 3) >>> 2), tag, 0, bytes)
  }

  /** compareAndSwap's test, under the shard's write lock: does the record's value have exactly this encoding? */
  recordHolds(record: number, encoded: Encoded): boolean {
    const u32 = this.#arena.u32
    const word = record >>> 2
    const start = record + R_KEY + align4(u32[word + (R_KEY_BYTES >>> 2)] ?? 0)
    return this.#equals(encoded, tagOfKindWord(u32[word + (R_KIND >>> 2)] ?? 0), start, u32[word + (R_VALUE_BYTES >>> 2)] ?? 0)
  }

  /** The value a validated raw copy stands for. */
  finish(raw: Raw): unknown {
    return typeof raw === 'object' ? this.#codec.decode(raw) : raw
  }

  #equals(encoded: Encoded, tag: number, offset: number, bytes: number): boolean {
    const own = this.tagOf(encoded)
    if (tag !== own || bytes !== this.byteLength(encoded, own)) return false
    if (typeof encoded === 'object') return bytesEqual(this.#arena.u8.subarray(offset, offset + bytes), encoded)
    if (typeof encoded === 'number') {
      setFloat64(encoded)
      return this.#arena.u32[offset >>> 2] === float64Words[0] && this.#arena.u32[(offset >>> 2) + 1] === float64Words[1]
    }
    const units = tag === ValueTag.latin1 ? this.#arena.views.u8 : this.#arena.views.u16
    const at = tag === ValueTag.latin1 ? offset : offset >>> 1
    for (let i = 0; i < encoded.length; i++) if (units[at + i] !== encoded.charCodeAt(i)) return false
    return true
  }
}

function readFrom(views: Views, tag: number, offset: number, bytes: number): Raw {
  if (tag === ValueTag.latin1) return readLatin1(views.u8, offset, bytes)
  if (tag === ValueTag.string) return readUtf16(views.u16, offset >>> 1, bytes >>> 1)
  if (tag === ValueTag.number) {
    float64Words[0] = views.u32[offset >>> 2] ?? 0
    float64Words[1] = views.u32[(offset >>> 2) + 1] ?? 0
    return getFloat64()
  }
  return views.u8.slice(offset, offset + bytes)
}

