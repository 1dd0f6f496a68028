/**
 * The values a storm writes, and how an answer is told apart from them.
 *
 * Every write stores a value no other write stores: `${writer}.${seq}`, padded with
 * '_' to --value-size, where `writer` names the worker incarnation and `seq` its
 * operation number. Unique values make histories cheap to check (a read names the
 * one write it saw) and make a lost or torn write visible. Counters (`update`) hold
 * numbers instead.
 *
 * Recording workers cannot ship every answer as a JavaScript value through shared
 * memory, so an answer is encoded as a reference (tag, a, b): absent, a storm value
 * (writer, seq), a number, or "foreign": anything else, which only a broken map
 * returns; the worker posts foreign values by message, indexed by `a`.
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

/** The value written by operation `seq` of worker incarnation `writer`. */
export function valueText(writer: number, seq: number, valueSize: number): string {
  const id = `${writer}.${seq}`
  return id.length >= valueSize ? id : id + PAD.repeat(valueSize - id.length)
}

/** A decoded reference to a value, as stored in ring records. */
export interface ValueRef {
  tag: Tag
  a: number
  b: number
}

/**
 * Classifies `value` into `out`; false when it is foreign. Strings are accepted as
 * storm values only when they are exactly what valueText writes (digits without
 * leading zeros, a dot, digits, then padding to the value size), so a torn or
 * wrongly padded string reads as foreign (and fails the check) rather than as the
 * write it resembles. Parsed in place: this runs for every recorded answer.
 */
export function encodeValue(value: unknown, valueSize: number, out: ValueRef): boolean {
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
  if (end < 0 || length !== Math.max(end, valueSize)) return false
  for (let i = end; i < length; i++) if (value.charCodeAt(i) !== PAD_CODE) return false
  out.tag = Tag.value
  out.a = Number(value.slice(0, dot))
  out.b = Number(value.slice(dot + 1, end))
  return true
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

/** The JavaScript value of a reference other than a foreign one (those are resolved by the caller). */
export function decodeValue(tag: number, a: number, b: number, valueSize: number): unknown {
  switch (tag) {
    case Tag.absent:
      return undefined
    case Tag.value:
      return valueText(a, b, valueSize)
    default:
      return a
  }
}
