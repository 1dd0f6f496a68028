/**
 * The values a storm writes, and how an answer is told apart from them.
 *
 * Every write stores a value no other write stores: `${writer}.${seq}`, padded with
 * '_' to its length, where `writer` names the worker incarnation and `seq` its
 * operation number. Unique values make histories cheap to check (a read names the
 * one write it saw) and make a lost or torn write visible. Counters (`update`) hold
 * numbers instead. The length is --value-size, or with --grow one drawn per write
 * (valueLength): it is part of the value, recorded with it, so a read that comes
 * back with the right id but the wrong length is a value nobody wrote.
 *
 * Recording workers cannot ship every answer as a JavaScript value through shared
 * memory, so an answer is encoded as a reference (tag, a, b, length): absent, a storm
 * value (writer, seq, length), a number, or "foreign": anything else, which only a
 * broken map returns; the worker posts foreign values by message, indexed by `a`.
 */

export const Tag = {
  absent: 0,
  value: 1,
  number: 2,
  foreign: 3,
} as const
export type Tag = (typeof Tag)[keyof typeof Tag]

/** A value never stored by a storm: compare-ops expect it when the worker has seen nothing for the key. */
export const NEVER_STORED = 0

const PAD = '_'

export function keyName(index: number): string {
  return `k${index}`
}

/** The value written by operation `seq` of worker incarnation `writer`: its id padded to `length` (never truncated). */
export function valueText(writer: number, seq: number, length: number): string {
  const id = `${writer}.${seq}`
  return id.length >= length ? id : id + PAD.repeat(length - id.length)
}

/**
 * The length of a value written under --grow, from a uniform draw `u` in [0, 1):
 * uniform up to the ceiling, never below `floor` (--value-size). The ceiling starts
 * at `from` and doubles `doublings` times, evenly in time, by the end of the run
 * (`progress` 1).
 */
export function valueLength(u: number, floor: number, from: number, doublings: number, progress: number): number {
  return Math.max(floor, Math.ceil(u * from * 2 ** (doublings * Math.min(1, Math.max(0, progress)))))
}

/** A decoded reference to a value, as stored in ring records. */
export interface ValueRef {
  tag: Tag
  a: number
  b: number
  /** A storm value's length in characters. */
  length: number
}

/**
 * Classifies `value` into `out`; false when it is foreign. Strings are accepted as
 * storm values only in the form valueText writes (digits without leading zeros, a
 * dot, digits, then nothing but padding), and their length is kept: a torn or
 * wrongly padded string still reads as a value no write stored (and fails the
 * check), never as the write it resembles. Parsed in place: this runs for every
 * recorded answer.
 */
export function encodeValue(value: unknown, out: ValueRef): boolean {
  if (value === undefined) {
    out.tag = Tag.absent
    return true
  }
  if (typeof value === 'number') {
    out.tag = Tag.number
    out.a = value
    return true
  }
  if (typeof value !== 'string') return false
  const length = value.length
  const dot = readInteger(value, 0, DOT)
  if (dot < 0 || dot === length) return false
  const end = readInteger(value, dot + 1, PAD_CODE)
  if (end < 0 || !value.endsWith(padding(length - end))) return false
  out.tag = Tag.value
  out.a = Number(value.slice(0, dot))
  out.b = Number(value.slice(dot + 1, end))
  out.length = length
  return true
}

/** Padding is compared as one string: values under --grow run to hundreds of kilobytes. */
let pads = PAD.repeat(64)
function padding(length: number): string {
  while (pads.length < length) pads += pads
  return pads.slice(0, length)
}

const DOT = 46
const PAD_CODE = 95
const ZERO = 48
const MAX_DIGITS = 15

/** Index just past the decimal integer at `from` (ended by `stop` or the end), or -1. */
function readInteger(text: string, from: number, stop: number): number {
  let i = from
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === stop) break
    if (c < ZERO || c > ZERO + 9) return -1
  }
  const digits = i - from
  if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && text.charCodeAt(from) === ZERO)) return -1
  return i
}

/**
 * Longest storm value that histories hold in full. A longer one stands for itself
 * by id and length, abbreviated: a history of 150,000 operations on values of
 * 100 kB would not fit in memory. No storm write stores a '…', so a stand-in is
 * never taken for another write, and equal stand-ins are the same write.
 */
const SHOWN_LENGTH = 64

/**
 * A value as histories hold it: references decoded (storm values, abbreviated past
 * SHOWN_LENGTH), anything else as it is. Every value that enters a history, final
 * reads included, goes through here or decodeValue, so equal values stay equal.
 */
export function historyValue(value: unknown): unknown {
  const ref: ValueRef = { tag: Tag.absent, a: 0, b: 0, length: 0 }
  return encodeValue(value, ref) ? decodeValue(ref.tag, ref.a, ref.b, ref.length) : value
}

/** The history form of a reference other than a foreign one (those are resolved by the caller). */
export function decodeValue(tag: number, a: number, b: number, length: number): unknown {
  switch (tag) {
    case Tag.absent:
      return undefined
    case Tag.value:
      return length <= SHOWN_LENGTH ? valueText(a, b, length) : `${a}.${b}_…(${length} chars)`
    default:
      return a
  }
}
