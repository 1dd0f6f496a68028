/**
 * The 'structured' codec, the default: MessagePack through msgpackr, with its structured-clone
 * extensions.
 *
 * What round-trips: objects, arrays, strings, numbers (NaN, ±Infinity), booleans, null, undefined
 * (top-level too: `map.set(k, undefined)` stores it, and get returns it, as Map does), bigints of
 * any size, Date (invalid ones included), Map (any keys), Set, RegExp, ArrayBuffer, DataView,
 * every typed array, Error (its name, message and cause), and cycles and shared references inside
 * one value. Array holes come back as undefined, a Buffer as a Uint8Array, and subclasses of
 * Array, Set, Date and Error as the base class. Instances of other classes, Map subclasses among
 * them, are stored as plain objects of their own enumerable properties (or of their toJSON()).
 *
 * An own property named "__proto__" (JSON.parse makes one from a request body) comes back as an
 * own data property, in its place, on an object whose prototype is Object.prototype: see
 * "__proto__" below.
 *
 * Rejected with ERR_INVALID_VALUE (cause attached): functions anywhere in the value (msgpackr would
 * silently store undefined), Promises and thenables anywhere (msgpackr would store {}), symbols,
 * anything whose getters or toJSON throw, and an object with an
 * own "__proto__" property that contains itself or sits where the stand-in walk below does not
 * reach (inside a class instance, an Error or a toJSON result).
 *
 * Known differences from structuredClone, all msgpackr's:
 *  - -0 is stored as 0 (in typed arrays it is kept);
 *  - a string with an unpaired surrogate comes back with U+FFFD characters in its place;
 *  - only when msgpackr's native addon is unavailable (or MSGPACKR_NATIVE_ACCELERATION_DISABLED
 *    is set): a string of more than 64 UTF-8 bytes that starts with U+FEFF loses that character,
 *    because msgpackr's JavaScript path decodes it with a default TextDecoder, which strips a BOM.
 *
 * Options, and why:
 *  - structuredClone: cycles and shared references. moreTypes (Map, Set, Error, RegExp, typed
 *    arrays, bigints beyond 64 bits) would follow from it; it is spelled out because we rely on it.
 *  - records stay on (msgpackr's default) with neither `structures` nor `sequential`, so every
 *    encoding carries its own record definitions: any thread's Packr decodes any value (one with an
 *    own "__proto__" property only through this codec), and equal values give equal bytes
 *    whatever the Packr encoded before. With `useRecords: false` objects and Maps both become
 *    MessagePack maps and one of them cannot come back.
 *  - copyBuffers: binary data is copied out of the source instead of viewed.
 *  - writeFunction: throw instead of storing undefined for a function.
 *  - useRecords, as a function that answers yes: msgpackr calls it for every object it writes as a
 *    record, which is how an own "__proto__" is noticed without walking every value.
 *
 * "__proto__": msgpackr's decoder renames that key to "__proto_" in every object it builds (its
 * guard against prototype pollution), so such an object cannot travel as a record. When the
 * useRecords hook meets one, encode packs a copy of the value instead, in which each such plain
 * object is a ProtoKeyed holding its entries in a Map (msgpackr keeps Map keys exactly), written as
 * extension PROTO_KEY_TYPE. Only containers that lead to one are copied, so every other object is
 * packed itself and shared references survive. Decoding the extension defines the property with
 * Object.defineProperty, never by assignment (which would run Object.prototype's __proto__ setter).
 * Values without the key encode to the same bytes as before and decode on msgpackr's path alone.
 */
import { addExtension, isNativeAccelerationEnabled, Packr } from 'msgpackr'
import { isConmapError } from '../errors/index.js'
import { cannotDecode, cannotEncode, reasonOf, type Codec } from './codec.js'
import { isThenable, thenableRefused } from './thenable.js'

/** Thrown by the useRecords hook, so that a pack meeting an own "__proto__" stops at once. */
const PROTO_KEY_MET = Symbol('own __proto__ property')

const packr = new Packr({
  structuredClone: true,
  moreTypes: true,
  copyBuffers: true,
  writeFunction: () => {
    throw new TypeError('functions cannot be stored')
  },
  useRecords: (object: object) => {
    if (Object.hasOwn(object, '__proto__')) throw PROTO_KEY_MET
    // msgpackr would write a nested Promise as {}.
    if (isThenable(object)) throw thenableRefused(object, ' inside the value')
    return true
  },
})

/** '_': in the range msgpackr leaves to applications (1-100), and unused by msgpackr itself. */
const PROTO_KEY_TYPE = 0x5f

/** What is packed in place of a plain object with an own "__proto__" property. */
class ProtoKeyed {
  constructor(readonly entries: Map<string, unknown>) {}
}

/**
 * Objects built from PROTO_KEY_TYPE during the current decode, "__proto__" still an accessor.
 * msgpackr decodes an object that contains itself into a placeholder and fills that with
 * Object.assign, whose assignment to "__proto__" would replace the placeholder's prototype: the
 * accessor tells that this happened (encode never writes such a value, so the bytes were made by
 * hand) and returns undefined, which that assignment ignores.
 */
const unsettled: { readonly object: object; readonly value: unknown; copied: boolean }[] = []
let decoding = false

addExtension({
  Class: ProtoKeyed,
  type: PROTO_KEY_TYPE,
  write: (standIn: ProtoKeyed) => standIn.entries,
  read(entries: unknown): object {
    // Registered process-wide: another Unpackr would hand out the accessor and never settle it.
    if (!decoding) throw new TypeError(`extension ${PROTO_KEY_TYPE} is conmap's and decodes only through its 'structured' codec`)
    if (!(entries instanceof Map)) throw new TypeError(`extension ${PROTO_KEY_TYPE} holds no Map`)
    const object: Record<string, unknown> = {}
    for (const [key, value] of entries as Map<unknown, unknown>) {
      if (typeof key !== 'string') throw new TypeError(`extension ${PROTO_KEY_TYPE} has a key that is not a string`)
      if (key !== '__proto__') {
        object[key] = value
        continue
      }
      const entry = { object, value, copied: false }
      unsettled.push(entry)
      Object.defineProperty(object, key, {
        get: () => {
          entry.copied = true
          return undefined
        },
        enumerable: true,
        configurable: true,
      })
    }
    return object
  },
})

export const structuredCodec: Codec<unknown> = {
  name: 'structured',

  encode(value: unknown): Uint8Array {
    try {
      // pack returns a view of msgpackr's write buffer; msgpackr never writes that range again.
      return packr.pack(value)
    } catch (err) {
      if (err === PROTO_KEY_MET) return encodeProtoKeyed(value)
      throw isConmapError(err) ? err : cannotEncode('structured', value, reasonOf(err), err)
    }
  },

  decode(bytes: Uint8Array): unknown {
    decoding = true
    try {
      const value: unknown = packr.unpack(decodable(bytes))
      if (unsettled.length !== 0) settle()
      return value
    } catch (err) {
      unsettled.length = 0
      throw cannotDecode('structured', bytes, reasonOf(err), err)
    } finally {
      decoding = false
    }
  },
}

function encodeProtoKeyed(value: unknown): Uint8Array {
  try {
    return packr.pack(withStandIns(value))
  } catch (err) {
    if (err === PROTO_KEY_MET) {
      throw cannotEncode('structured', value, 'an own "__proto__" property is kept only in plain objects reached through plain objects, arrays, Maps and Sets')
    }
    throw isConmapError(err) ? err : cannotEncode('structured', value, reasonOf(err), err)
  }
}

/** Turns each "__proto__" accessor of this decode into the data property it stands for. */
function settle(): void {
  for (const { object, value, copied } of unsettled.splice(0)) {
    if (copied) throw new TypeError('an object with an own "__proto__" property contains itself')
    Object.defineProperty(object, '__proto__', { value, writable: true, enumerable: true, configurable: true })
  }
}

/** A container the stand-in walk can copy, with its contents in the order msgpackr writes them. */
interface Container {
  readonly kind: 'object' | 'protoKeyed' | 'array' | 'map' | 'set'
  readonly prototype: object | null
  /** Property names, for 'object' and 'protoKeyed'. */
  readonly keys: readonly string[]
  /** Property values, elements, members, or a Map's keys and values alternating. */
  readonly contents: readonly unknown[]
  readonly holders: Container[]
  leadsToProtoKey: boolean
  copy: unknown
  filling: boolean
}

/**
 * value with each plain object that has an own "__proto__" property replaced by a ProtoKeyed, and
 * each container that leads to one by a copy. Read once, then built: a container is copied only if
 * one of those objects is reachable from it, which takes the whole graph to know when it has cycles.
 */
function withStandIns(value: unknown): unknown {
  const containers = new Map<unknown, Container>()
  const leading: Container[] = []
  const read = (value: unknown, holder: Container | undefined): void => {
    let container = containers.get(value)
    if (container === undefined) {
      const found = containerOf(value)
      if (found === undefined) return
      container = found
      containers.set(value, container)
      if (container.leadsToProtoKey) leading.push(container)
      for (const item of container.contents) read(item, container)
    }
    if (holder !== undefined) container.holders.push(holder)
  }
  read(value, undefined)
  for (let i = 0; i < leading.length; i++) {
    for (const holder of leading[i]!.holders) {
      if (holder.leadsToProtoKey) continue
      holder.leadsToProtoKey = true
      leading.push(holder)
    }
  }
  const build = (value: unknown): unknown => {
    const container = containers.get(value)
    if (container === undefined || !container.leadsToProtoKey) return value
    if (container.copy !== undefined) {
      // msgpackr would write a reference back into the ProtoKeyed being written: see `unsettled`.
      if (container.filling && container.kind === 'protoKeyed') {
        throw cannotEncode('structured', value, 'an object with an own "__proto__" property contains itself')
      }
      return container.copy
    }
    container.filling = true
    const { keys, contents } = container
    switch (container.kind) {
      case 'object': {
        const copy = Object.create(container.prototype) as Record<string, unknown>
        container.copy = copy
        keys.forEach((key, i) => (copy[key] = build(contents[i])))
        break
      }
      case 'protoKeyed': {
        const entries = new Map<string, unknown>()
        container.copy = new ProtoKeyed(entries)
        keys.forEach((key, i) => entries.set(key, build(contents[i])))
        break
      }
      case 'array': {
        const copy: unknown[] = []
        container.copy = copy
        for (const item of contents) copy.push(build(item))
        break
      }
      case 'map': {
        const copy = new Map<unknown, unknown>()
        container.copy = copy
        for (let i = 0; i < contents.length; i += 2) {
          const key = build(contents[i])
          copy.set(key, build(contents[i + 1]))
        }
        break
      }
      case 'set': {
        const copy = new Set<unknown>()
        container.copy = copy
        for (const item of contents) copy.add(build(item))
        break
      }
    }
    container.filling = false
    return container.copy
  }
  return build(value)
}

/**
 * The containers msgpackr writes from their contents alone, by its own tests: exact Arrays, Maps
 * and Sets, and objects it writes as records (a copy with the same prototype and own properties
 * takes the same path). Anything else is packed as it is; an own "__proto__" inside it reaches
 * the useRecords hook.
 */
function containerOf(value: unknown): Container | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const prototype = Object.getPrototypeOf(value) as object | null
  const { constructor } = value as { constructor?: unknown }
  const container = (kind: Container['kind'], keys: readonly string[], contents: readonly unknown[]): Container => ({
    kind, prototype, keys, contents, holders: [], leadsToProtoKey: kind === 'protoKeyed', copy: undefined, filling: false,
  })
  if (Array.isArray(value)) return constructor === Array ? container('array', [], Array.from(value)) : undefined
  if (value instanceof Map) return constructor === Map ? container('map', [], [...value].flat(1)) : undefined
  if (value instanceof Set) return constructor === Set ? container('set', [], [...value]) : undefined
  const record = value as Record<string, unknown>
  if ((prototype !== Object.prototype && prototype !== null) || (constructor !== Object && record['toJSON'])) return undefined
  const keys = Object.keys(record)
  return container(Object.hasOwn(record, '__proto__') ? 'protoKeyed' : 'object', keys, keys.map((key) => record[key]))
}
/**
 * The source msgpackr should read. msgpackr's native string extractor refuses a SharedArrayBuffer
 * and msgpackr falls back after catching that error, on every call: about five times slower than
 * copying first, and the fallback has the BOM flaw described above. A Buffer source would make
 * binary values decode as Buffer, so other views are re-viewed as plain Uint8Array.
 */
function decodable(bytes: Uint8Array): Uint8Array {
  if (isNativeAccelerationEnabled && bytes.buffer instanceof SharedArrayBuffer) return new Uint8Array(bytes)
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
