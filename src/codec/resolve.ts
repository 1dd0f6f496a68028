/**
 * From the map's `codec` option to a codec, and to the id the map records in its handle.
 *
 * Ids are 'builtin:<name>' and 'custom:<name>', so a user codec named 'json' can never pass for
 * the built-in one when a thread attaches. A user codec needs a non-empty `name` for that reason.
 *
 * resolveCodec wraps a user codec so it keeps the codec contract (codec.ts) whatever it does:
 * an error thrown by its encode becomes ERR_INVALID_VALUE (cause attached), an encode result that
 * is not a Uint8Array is refused, and its decode receives a private copy of the stored bytes, so
 * it may keep views of its input without ever aliasing shared memory.
 */
import { conmapError, ErrorCode, isConmapError } from '../errors/index.js'
import { bytesCodec } from './bytes.js'
import { cannotEncode, reasonOf, type BuiltInCodecName, type Codec, type CodecOption } from './codec.js'
import { jsonCodec } from './json.js'
import { numberCodec } from './number.js'
import { describeValue } from './preview.js'
import { stringCodec } from './string.js'
import { structuredCodec } from './structured.js'

const builtIns: Readonly<Record<BuiltInCodecName, Codec<unknown>>> = {
  structured: structuredCodec,
  json: jsonCodec,
  string: stringCodec,
  number: numberCodec,
  bytes: bytesCodec,
}

const DEFAULT_CODEC: BuiltInCodecName = 'structured'

export function resolveCodec(option: CodecOption | undefined): Codec<unknown> {
  const choice = option === undefined ? DEFAULT_CODEC : option
  return typeof choice === 'string' ? builtInCodec(choice) : guardCustom(checkCustom(choice))
}

export function codecId(option: CodecOption | undefined): string {
  const choice = option === undefined ? DEFAULT_CODEC : option
  return typeof choice === 'string' ? `builtin:${builtInCodec(choice).name}` : `custom:${checkCustom(choice).name}`
}

function builtInCodec(name: string): Codec<unknown> {
  if (Object.hasOwn(builtIns, name)) return builtIns[name as BuiltInCodecName]
  throw conmapError(
    ErrorCode.INVALID_ARGUMENT,
    `unknown codec ${describeValue(name)}: expected 'structured', 'json', 'string', 'number', 'bytes' or a { name, encode, decode } object`,
  )
}

function checkCustom(codec: unknown): Codec<unknown> {
  if (typeof codec !== 'object' || codec === null) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `invalid codec ${describeValue(codec)}: expected a built-in codec name or a { name, encode, decode } object`)
  }
  const { name, encode, decode } = codec as Partial<Record<keyof Codec<unknown>, unknown>>
  if (typeof name !== 'string' || name === '') {
    throw conmapError(
      ErrorCode.INVALID_ARGUMENT,
      `a custom codec needs a non-empty string name (got ${describeValue(name)}): the map records it so that attaching with another codec fails`,
    )
  }
  if (typeof encode !== 'function' || typeof decode !== 'function') {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `custom codec '${name}' needs encode and decode functions`)
  }
  return codec as Codec<unknown>
}

function guardCustom(codec: Codec<unknown>): Codec<unknown> {
  const name = codec.name
  return {
    name,
    encode(value: unknown): Uint8Array {
      let bytes: unknown
      try {
        bytes = codec.encode(value)
      } catch (err) {
        throw isConmapError(err) ? err : cannotEncode(name, value, reasonOf(err), err)
      }
      if (!(bytes instanceof Uint8Array)) throw cannotEncode(name, value, `its encode returned ${describeValue(bytes)}, not a Uint8Array`)
      return bytes
    },
    decode(bytes: Uint8Array): unknown {
      return codec.decode(new Uint8Array(bytes))
    },
  }
}
