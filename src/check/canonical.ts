/**
 * Value equality for the checker: two values are equal when their canonical
 * encodings are equal strings. The encoding follows what survives conmap's
 * structured codec (msgpackr) rather than JavaScript identity, because a value read
 * back from a SharedMap is a decoded copy of the one written:
 * - objects compare by own enumerable string keys in any order, whatever their class;
 *   a key holding undefined differs from an absent key (msgpackr keeps both apart);
 * - Map and Set compare by content, ignoring insertion order;
 * - -0 equals 0 (msgpack writes both as 0), NaN equals NaN, 1 differs from 1n;
 * - array holes read back as undefined; a Buffer equals a Uint8Array of the same bytes;
 * - Date by timestamp, RegExp by source and flags, Error by name and message.
 * Functions, symbols and cyclic values cannot be stored, so they are rejected.
 */
import { conmapError, ErrorCode } from '../errors/index.js'

export function canonicalEncoding(value: unknown): string {
  return encode(value, new Set())
}

function encode(value: unknown, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'undefined':
      return 'u'
    case 'boolean':
      return value ? 't' : 'f'
    case 'number':
      return 'n' + (value === 0 ? '0' : String(value))
    case 'bigint':
      return 'b' + String(value)
    case 'string':
      return 's' + JSON.stringify(value)
    case 'object':
      if (value === null) return 'z'
      if (ancestors.has(value)) {
        throw conmapError(ErrorCode.INVALID_ARGUMENT, 'cannot compare a cyclic value: it cannot be stored in a map')
      }
      ancestors.add(value)
      try {
        return encodeObject(value, ancestors)
      } finally {
        ancestors.delete(value)
      }
    default:
      throw conmapError(ErrorCode.INVALID_ARGUMENT, `cannot compare a ${typeof value}: it cannot be stored in a map`)
  }
}

function encodeObject(value: object, ancestors: Set<object>): string {
  if (Array.isArray(value)) {
    const items: string[] = []
    for (let i = 0; i < value.length; i++) items.push(encode(value[i], ancestors))
    return 'a[' + items.join(',') + ']'
  }
  if (value instanceof Date) return 'D' + String(value.getTime())
  if (value instanceof RegExp) return 'R' + JSON.stringify(value.source) + value.flags
  if (value instanceof Error) return 'E' + JSON.stringify(value.name) + JSON.stringify(value.message)
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => encode(k, ancestors) + '=>' + encode(v, ancestors))
    return 'M{' + entries.sort().join(',') + '}'
  }
  if (value instanceof Set) {
    const items = [...value].map((item) => encode(item, ancestors))
    return 'S{' + items.sort().join(',') + '}'
  }
  if (ArrayBuffer.isView(value)) {
    const name = value instanceof Uint8Array ? 'Uint8Array' : value.constructor.name
    const elements = value instanceof DataView ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : value
    return name + '(' + Array.prototype.join.call(elements, ',') + ')'
  }
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
    return value.constructor.name + '(' + new Uint8Array(value).join(',') + ')'
  }
  const record = value as Record<string, unknown>
  const fields = Object.keys(record)
    .sort()
    .map((k) => JSON.stringify(k) + ':' + encode(record[k], ancestors))
  return 'o{' + fields.join(',') + '}'
}
