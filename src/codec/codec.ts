/**
 * The value codec contract: how a map turns values into the bytes it keeps in shared memory and
 * back. Every codec, built-in or user-supplied, keeps it:
 *
 *  - encode(value) returns bytes that stay unchanged until the map has copied them into shared
 *    memory, which it does before any user code runs again; they may be a view into a larger
 *    buffer. A value the codec cannot represent throws ERR_INVALID_VALUE before anything is written.
 *  - decode(bytes) is handed a view of shared memory that the map reuses after the call, so what it
 *    returns must not alias those bytes (copy where a library would keep a view).
 *  - Values the codec treats as equal encode to equal bytes, because compareAndSwap and
 *    compareAndDelete compare encodings (bytesEqual). For 'structured' and 'json' that includes
 *    the order of an object's keys.
 *  - name identifies the format: the map records codecId(option) in its shareable handle, so a
 *    thread attaching with a different codec fails instead of misreading values.
 */
import { conmapError, ErrorCode, type ConmapError } from '../errors/index.js'
import { describeValue } from './preview.js'

export interface Codec<V> {
  readonly name: string
  encode(value: V): Uint8Array
  decode(bytes: Uint8Array): V
}

export type BuiltInCodecName = 'structured' | 'json' | 'string' | 'number' | 'bytes'

export type CodecOption = BuiltInCodecName | Codec<unknown>

/** ERR_INVALID_VALUE for a value the named codec cannot encode. */
export function cannotEncode(codec: string, value: unknown, reason: string, cause?: unknown): ConmapError {
  return conmapError(ErrorCode.INVALID_VALUE, `the '${codec}' codec cannot encode ${describeValue(value)}: ${reason}`, cause)
}

/** ERR_INVALID_VALUE for stored bytes the named codec cannot decode (corrupt memory or a codec mix-up). */
export function cannotDecode(codec: string, bytes: Uint8Array, reason: string, cause?: unknown): ConmapError {
  return conmapError(ErrorCode.INVALID_VALUE, `the '${codec}' codec cannot decode ${bytes.length} stored bytes: ${reason}`, cause)
}

/** The message of a caught error, for wrapping it as a cause. */
export function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : describeValue(err)
}
