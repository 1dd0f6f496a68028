// The 'json', 'string', 'number' and 'bytes' codecs, resolveCodec and codecId (built-in names,
// user codecs and the guard around them), and bytesEqual.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { bytesCodec, bytesEqual, codecId, jsonCodec, numberCodec, resolveCodec, stringCodec, structuredCodec, type Codec } from '../../src/codec/index.js'
import { ErrorCode, isConmapError } from '../../src/errors/index.js'
import { assertPrototypesUnchanged, assertThrowsCode, inSharedMemory, prototypeSnapshot } from './helpers.js'

function roundTrip<V>(codec: Codec<V>, value: V): V {
  const { view, memory } = inSharedMemory(codec.encode(value))
  const decoded = codec.decode(view)
  memory.fill(0xee)
  return decoded
}

test("'json' round-trips JSON values exactly, lone surrogates and a leading U+FEFF included", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      assert.deepStrictEqual(roundTrip(jsonCodec, value), JSON.parse(JSON.stringify(value)))
    }),
    { numRuns: 500 },
  )
  const text = '\ufeff' + 'lone \ud800 surrogate'
  assert.equal(roundTrip(jsonCodec, text), text)
  assert.deepStrictEqual(roundTrip(jsonCodec, { a: [1, 'é', null, true] }), { a: [1, 'é', null, true] })
})

test("'json' keeps JSON semantics inside a value", () => {
  assert.deepStrictEqual(roundTrip(jsonCodec, { gone: undefined, f: () => 1, list: [undefined, NaN], at: new Date(0) }), {
    list: [null, null],
    at: '1970-01-01T00:00:00.000Z',
  })
})

test("'json' rejects what JSON cannot hold with ERR_INVALID_VALUE", () => {
  const cycle: Record<string, unknown> = {}
  cycle['self'] = cycle
  const cases: [unknown, RegExp][] = [
    [undefined, /'json' codec cannot encode undefined: JSON has no representation/],
    [() => 1, /cannot encode function/],
    [Symbol('s'), /cannot encode symbol/],
    [10n, /cannot encode bigint 10n: .*BigInt/],
    [{ deep: [1n] }, /BigInt/],
    [cycle, /cannot encode plain object: .*circular/i],
    [{ toJSON: () => { throw new Error('toJSON failed') } }, /toJSON failed/],
  ]
  for (const [value, message] of cases) assertThrowsCode(() => jsonCodec.encode(value), ErrorCode.INVALID_VALUE, message)
  assertThrowsCode(() => jsonCodec.decode(new TextEncoder().encode('{"open":')), ErrorCode.INVALID_VALUE, /'json' codec cannot decode 8 stored bytes/)
})

test("'json' keeps an own \"__proto__\" property as own data, as JSON.parse makes it; no prototype changes", () => {
  const prototypes = prototypeSnapshot([Object, Array])
  const text = '{"__proto__": {"isAdmin": true}, "list": [{"__proto__": null}], "name": "m"}'
  for (const back of [roundTrip(jsonCodec, JSON.parse(text)), jsonCodec.decode(new TextEncoder().encode(text))]) {
    const value = back as { list: unknown[] }
    assert.deepStrictEqual(back, JSON.parse(text))
    for (const [object, proto] of [[value, { isAdmin: true }], [value.list[0], null]] as const) {
      assert.equal(Object.getPrototypeOf(object), Object.prototype)
      assert.deepStrictEqual(Object.getOwnPropertyDescriptor(object, '__proto__'), { value: proto, writable: true, enumerable: true, configurable: true })
    }
  }
  assert.equal(({} as Record<string, unknown>)['isAdmin'], undefined)
  assertPrototypesUnchanged([Object, Array], prototypes)
})

test("'string' stores UTF-8 and round-trips every well-formed string, a leading U+FEFF included", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary', minLength: 100, maxLength: 1000 })), (text) => {
      const bytes = stringCodec.encode(text)
      assert.deepStrictEqual(bytes, new TextEncoder().encode(text))
      assert.equal(roundTrip(stringCodec, text), text)
    }),
    { numRuns: 500 },
  )
  for (const text of ['', '\ufeff', '\ufeffbom', '😀'.repeat(100)]) assert.equal(roundTrip(stringCodec, text), text)
})

test("'string' rejects non-strings and strings UTF-8 cannot hold", () => {
  for (const value of [1, null, undefined, new String('boxed'), ['a']]) {
    assertThrowsCode(() => stringCodec.encode(value as string), ErrorCode.INVALID_VALUE, /'string' codec cannot encode .*: it stores strings only/)
  }
  for (const text of ['\ud800', 'a\udc00', 'end\ud83d']) {
    assertThrowsCode(() => stringCodec.encode(text), ErrorCode.INVALID_VALUE, /unpaired surrogate/)
  }
})

test("'number' stores 8 bytes and round-trips every number, -0 included; NaNs are canonical", () => {
  fc.assert(
    fc.property(fc.double(), (value) => {
      const bytes = numberCodec.encode(value)
      assert.equal(bytes.length, 8)
      assert.ok(Object.is(roundTrip(numberCodec, value), value))
    }),
    { numRuns: 500 },
  )
  assert.ok(Object.is(roundTrip(numberCodec, -0), -0))
  assert.ok(!bytesEqual(numberCodec.encode(-0), numberCodec.encode(0)), '-0 and 0 are different values')
  const payloadNaN = new Float64Array(new Uint32Array([0x1234, 0x7ff00001]).buffer)[0]!
  assert.ok(bytesEqual(numberCodec.encode(payloadNaN), numberCodec.encode(NaN)))
  const first = numberCodec.encode(1)
  numberCodec.encode(2)
  assert.equal(roundTrip(numberCodec, 1), 1)
  assert.equal(numberCodec.decode(first), 1, 'an encoding stays valid after the next encode')
})

test("'number' rejects non-numbers and wrong-sized stored bytes", () => {
  for (const value of ['1', 1n, null, undefined, new Number(1)]) {
    assertThrowsCode(() => numberCodec.encode(value as number), ErrorCode.INVALID_VALUE, /'number' codec cannot encode .*: it stores numbers only/)
  }
  assertThrowsCode(() => numberCodec.decode(new Uint8Array(5)), ErrorCode.INVALID_VALUE, /a number is 8 bytes/)
})

test("'bytes' round-trips Uint8Array and Buffer values into fresh, unshared Uint8Arrays", () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 10 }), fc.uint8Array({ minLength: 100, maxLength: 2000 })), (value) => {
      const back = roundTrip(bytesCodec, value)
      assert.deepStrictEqual(back, value)
      assert.ok(!(back.buffer instanceof SharedArrayBuffer))
    }),
    { numRuns: 300 },
  )
  const buffer = Buffer.from('buffer value')
  const encoded = bytesCodec.encode(buffer)
  assert.equal(encoded.constructor, Uint8Array, 'encode hands back a plain view, whose slice copies')
  const back = bytesCodec.decode(buffer)
  assert.equal(back.constructor, Uint8Array)
  buffer[0] = 0
  assert.equal(back[0], 'b'.charCodeAt(0), 'decode copies')
})

test("'bytes' rejects everything that is not a Uint8Array", () => {
  const values: unknown[] = ['text', [1, 2], new Uint16Array(2), new Uint8ClampedArray(2), new ArrayBuffer(2), new DataView(new ArrayBuffer(2)), null]
  for (const value of values) {
    assertThrowsCode(() => bytesCodec.encode(value as Uint8Array), ErrorCode.INVALID_VALUE, /'bytes' codec cannot encode .*: it stores Uint8Array and Buffer values only/)
  }
})

test('resolveCodec: the built-ins by name, structured by default', () => {
  assert.equal(resolveCodec(undefined), structuredCodec)
  assert.equal(resolveCodec('structured'), structuredCodec)
  assert.equal(resolveCodec('json'), jsonCodec)
  assert.equal(resolveCodec('string'), stringCodec)
  assert.equal(resolveCodec('number'), numberCodec)
  assert.equal(resolveCodec('bytes'), bytesCodec)
})

test('codecId: built-ins and custom codecs by name, never confusable', () => {
  assert.equal(codecId(undefined), 'builtin:structured')
  assert.equal(codecId('structured'), 'builtin:structured')
  assert.equal(codecId('bytes'), 'builtin:bytes')
  const custom: Codec<unknown> = { name: 'json', encode: (v) => jsonCodec.encode(v), decode: (b) => jsonCodec.decode(b) }
  assert.equal(codecId(custom), 'custom:json')
  assert.notEqual(codecId(custom), codecId('json'))
})

test('bad codec options throw ERR_INVALID_ARGUMENT saying what was wrong', () => {
  const encode = (): Uint8Array => new Uint8Array()
  const decode = (): unknown => undefined
  const cases: [unknown, RegExp][] = [
    ['xml', /unknown codec string "xml": expected 'structured', 'json'/],
    ['toString', /unknown codec string "toString"/],
    [42, /invalid codec number 42/],
    [null, /invalid codec null/],
    [{ encode, decode }, /custom codec needs a non-empty string name \(got undefined\)/],
    [{ name: '', encode, decode }, /non-empty string name \(got string ""\)/],
    [{ name: 'half', encode }, /custom codec 'half' needs encode and decode functions/],
  ]
  for (const [option, message] of cases) {
    assertThrowsCode(() => resolveCodec(option as Codec<unknown>), ErrorCode.INVALID_ARGUMENT, message)
    assertThrowsCode(() => codecId(option as Codec<unknown>), ErrorCode.INVALID_ARGUMENT, message)
  }
})

test('a custom codec is guarded: errors become ERR_INVALID_VALUE, non-bytes are refused, decode gets a private copy', () => {
  let seen: Uint8Array | undefined
  const viewKeeping: Codec<Uint8Array> = {
    name: 'raw-view',
    encode(value) {
      if (value.length === 0) throw new RangeError('empty values are not allowed')
      return value
    },
    decode(bytes) {
      seen = bytes
      return bytes
    },
  }
  const codec = resolveCodec(viewKeeping as Codec<unknown>)
  assert.equal(codec.name, 'raw-view')
  const { view, memory } = inSharedMemory(codec.encode(new Uint8Array([1, 2, 3])))
  const back = codec.decode(view) as Uint8Array
  memory.fill(0)
  assert.deepStrictEqual(Array.from(back), [1, 2, 3], 'the decoded value does not alias shared memory')
  assert.ok(seen !== undefined && !(seen.buffer instanceof SharedArrayBuffer))
  try {
    codec.encode(new Uint8Array())
    assert.fail('expected a throw')
  } catch (err) {
    assert.ok(isConmapError(err, ErrorCode.INVALID_VALUE))
    assert.match(err.message, /the 'raw-view' codec cannot encode object of class Uint8Array: empty values are not allowed/)
    assert.ok(err.cause instanceof RangeError)
  }
  const textual = resolveCodec({ name: 'lies', encode: () => 'not bytes' as unknown as Uint8Array, decode: () => 0 })
  assertThrowsCode(() => textual.encode(1), ErrorCode.INVALID_VALUE, /its encode returned string "not bytes", not a Uint8Array/)
})

test('bytesEqual compares contents, short and long, plain and shared', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 10 }), fc.uint8Array({ minLength: 60, maxLength: 300 })), fc.nat(), fc.integer({ min: 1, max: 255 }), (bytes, at, delta) => {
      const shared = inSharedMemory(bytes).view
      assert.equal(bytesEqual(bytes, shared), true)
      assert.equal(bytesEqual(shared, Uint8Array.from(bytes)), true)
      if (bytes.length > 0) {
        const changed = Uint8Array.from(bytes)
        const index = at % bytes.length
        changed[index] = (changed[index]! + delta) & 0xff
        assert.equal(bytesEqual(shared, changed), false)
        assert.equal(bytesEqual(bytes, bytes.subarray(1)), false)
      }
    }),
    { numRuns: 500 },
  )
})
