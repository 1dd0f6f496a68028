// Bad input and what SharedMap guarantees about it: a ConmapError with a stable code, and the map
// as it was (size, snapshot and invariants checked before and after every refused call).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  ConmapError,
  ErrorCode,
  InvalidArgumentError,
  Mutex,
  SharedMap,
  isConmapError,
  type Codec,
  type Concurrency,
  type SharedMapHandle,
  type SharedMapOptions,
} from '../../src/index.js'

type K = string | number | bigint

const CONCURRENCIES: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex', 'none']

function assertThrowsCode(fn: () => unknown, code: ErrorCode, what: string): ConmapError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  assert.ok(caught !== undefined, `${what}: expected ${code}, but nothing was thrown`)
  assert.ok(isConmapError(caught, code), `${what}: expected ${code}, got ${String(caught)}`)
  assert.ok(caught.message.length > 0)
  return caught
}

/** The map's observable state, for before/after comparisons. */
function state(map: SharedMap<K, unknown>): { size: number; entries: Map<K, unknown> } {
  return { size: map.size, entries: map.snapshot() }
}

function assertUnchanged(map: SharedMap<K, unknown>, before: ReturnType<typeof state>, what: string): void {
  const after = state(map)
  assert.equal(after.size, before.size, `${what}: size changed`)
  assert.deepStrictEqual(after.entries, before.entries, `${what}: entries changed`)
  map.checkInvariants()
}

function populated(options: SharedMapOptions = {}): SharedMap<K, unknown> {
  const map = new SharedMap<K, unknown>({ shards: 4, initialCapacity: 8, ...options })
  map.set('a', { v: 1 })
  map.set(1, 'one')
  map.set(1n, [1n])
  map.set('', 0)
  return map
}

// ---- invalid keys ----

const INVALID_KEYS: ReadonlyArray<[string, unknown]> = [
  ['an object', { id: 1 }],
  ['an array', ['a']],
  ['a symbol', Symbol('k')],
  ['undefined', undefined],
  ['null', null],
  ['true', true],
  ['false', false],
  ['a function', () => 'k'],
  ['a boxed string', Object('a')],
  ['a boxed number', Object(1)],
  ['a Date', new Date(0)],
]

/** Every method that takes a key, called with key (typed loosely on purpose). */
function keyCalls(map: SharedMap<K, unknown>, key: unknown, called: { count: number }): ReadonlyArray<[string, () => unknown]> {
  const k = key as K
  const callback = () => {
    called.count++
    return 'computed'
  }
  return [
    ['get', () => map.get(k)],
    ['has', () => map.has(k)],
    ['set', () => map.set(k, 'v')],
    ['delete', () => map.delete(k)],
    ['loadOrStore', () => map.loadOrStore(k, 'v')],
    ['loadAndDelete', () => map.loadAndDelete(k)],
    ['swap', () => map.swap(k, 'v')],
    ['compareAndSwap', () => map.compareAndSwap(k, 'v', 'w')],
    ['compareAndDelete', () => map.compareAndDelete(k, 'v')],
    ['update', () => map.update(k, callback)],
    ['getOrCompute', () => map.getOrCompute(k, callback)],
  ]
}

for (const concurrency of CONCURRENCIES) {
  test(`invalid keys: ERR_INVALID_KEY from every method taking a key, map unchanged ('${concurrency}')`, () => {
    const map = populated({ concurrency })
    const before = state(map)
    const called = { count: 0 }
    for (const [name, key] of INVALID_KEYS) {
      for (const [method, call] of keyCalls(map, key, called)) {
        const err = assertThrowsCode(call, ErrorCode.INVALID_KEY, `${method}(${name})`)
        assert.ok(err instanceof InvalidArgumentError)
      }
    }
    assert.equal(called.count, 0, 'no callback may run for an invalid key')
    assertUnchanged(map, before, 'after invalid keys')
    // And the map still works (for 'none': nothing was poisoned).
    map.set('after', 1)
    assert.equal(map.get('after'), 1)
  })
}

// ---- values the codec cannot encode ----

const cycle: Record<string, unknown> = { name: 'cycle' }
cycle['self'] = cycle

const UNENCODABLE: ReadonlyArray<[SharedMapOptions['codec'], string, unknown]> = [
  ['structured', 'a function', () => 1],
  ['structured', 'a symbol', Symbol('v')],
  ['structured', 'an object holding a function', { f: () => 1 }],
  ['structured', 'an object with a throwing getter', Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('getter') } })],
  ['json', 'a bigint', 1n],
  ['json', 'an object holding a bigint', { n: [2n] }],
  ['json', 'undefined', undefined],
  ['json', 'a cycle', cycle],
  ['json', 'a function', () => 1],
  ['json', 'a symbol', Symbol('v')],
  ['string', 'a number', 1],
  ['string', 'an object', { s: 'x' }],
  ['string', 'undefined', undefined],
  ['number', 'a string', '1'],
  ['number', 'a bigint', 1n],
  ['number', 'null', null],
  ['bytes', 'a string', 'bytes'],
  ['bytes', 'an array of numbers', [1, 2]],
  ['bytes', 'an ArrayBuffer', new ArrayBuffer(4)],
]

/** A valid value for each codec, to pair with an invalid one. */
function validValue(codec: SharedMapOptions['codec']): unknown {
  switch (codec) {
    case 'string':
      return 's'
    case 'number':
      return 7
    case 'bytes':
      return new Uint8Array([7])
    default:
      return { ok: true }
  }
}

for (const [codec, name, bad] of UNENCODABLE) {
  test(`unencodable values: '${String(codec)}' codec refuses ${name} with ERR_INVALID_VALUE on every write, map unchanged`, () => {
    for (const concurrency of ['optimistic', 'none'] as const) {
      const good = validValue(codec)
      const map = new SharedMap<K, unknown>({ concurrency, codec, shards: 2, initialCapacity: 4 })
      map.set('present', good)
      map.set(2, good)
      const before = state(map)
      for (const key of ['present', 'absent']) {
        const calls: Array<[string, () => unknown]> = [
          ['set', () => map.set(key, bad)],
          ['loadOrStore', () => map.loadOrStore(key, bad)],
          ['swap', () => map.swap(key, bad)],
          ['compareAndSwap (bad next)', () => map.compareAndSwap(key, good, bad)],
          ['compareAndSwap (bad old)', () => map.compareAndSwap(key, bad, good)],
          ['compareAndDelete (bad old)', () => map.compareAndDelete(key, bad)],
        ]
        // (update and getOrCompute treat a callback's undefined as "delete" / "store nothing".)
        if (bad !== undefined) calls.push(['update (callback returns it)', () => map.update(key, () => bad)])
        for (const [method, call] of calls) assertThrowsCode(call, ErrorCode.INVALID_VALUE, `${concurrency} ${method}(${key})`)
      }
      if (bad !== undefined) {
        assertThrowsCode(() => map.getOrCompute('absent', () => bad), ErrorCode.INVALID_VALUE, `${concurrency} getOrCompute (factory returns it)`)
      }
      assertUnchanged(map, before, `${concurrency} after unencodable values`)
      // The shard was released and, under 'none', nothing was poisoned.
      map.set('present', good)
      map.set('absent', good)
      assert.deepStrictEqual(map.get('absent'), good)
      map.checkInvariants()
    }
  })
}

// ---- callbacks that throw ----

for (const concurrency of CONCURRENCIES) {
  test(`callbacks that throw: the error propagates, the map is unchanged, the shard is released ('${concurrency}')`, () => {
    const map = populated({ concurrency })
    const before = state(map)
    const boom = new Error('boom')
    for (const key of ['a', 'missing', 1, 1n] as const) {
      assert.throws(
        () =>
          map.update(key, () => {
            throw boom
          }),
        (err) => err === boom,
        `update(${String(key)}) must rethrow the callback's own error`,
      )
      assert.throws(
        () =>
          map.getOrCompute(`absent ${String(key)}`, () => {
            throw boom
          }),
        (err) => err === boom,
      )
      // A non-Error thrown value propagates as it is, too.
      assert.throws(
        () =>
          map.update(key, () => {
            throw 42
          }),
        (err) => err === 42,
      )
    }
    assertUnchanged(map, before, 'after throwing callbacks')
    // The same shards can be written again: the locks were released (a lock still held by this
    // thread would be ERR_DEADLOCK; under 'none', a writer left inside would be a poisoning
    // 'concurrent map writes').
    for (const key of ['a', 'missing', 1, 1n] as const) {
      map.set(key, 'after')
      assert.equal(map.update(key, (v) => `${String(v)}!`), 'after!')
      assert.equal(map.get(key), 'after!')
    }
    assert.equal(map.getOrCompute('absent a', () => 'computed'), 'computed')
    map.checkInvariants()
  })
}

// ---- re-entry ----

for (const concurrency of CONCURRENCIES) {
  test(`re-entry from a callback: ERR_RECURSIVE_UPDATE, map unchanged; another map works ('${concurrency}')`, () => {
    const map = populated({ concurrency })
    const same = SharedMap.attach<K, unknown>(map.handle)
    const other = new SharedMap<K, unknown>({ concurrency, shards: 2 })
    const before = state(map)
    const reentries: ReadonlyArray<[string, () => unknown]> = [
      ['get', () => map.get('a')],
      ['has', () => map.has('zzz')],
      ['set', () => map.set('a', 2)],
      ['set (another key)', () => map.set('elsewhere', 2)],
      ['delete', () => map.delete('a')],
      ['loadOrStore', () => map.loadOrStore('new', 1)],
      ['loadAndDelete', () => map.loadAndDelete(1)],
      ['swap', () => map.swap(1n, 1)],
      ['compareAndSwap', () => map.compareAndSwap('a', { v: 1 }, 3)],
      ['compareAndDelete', () => map.compareAndDelete('a', { v: 1 })],
      ['update', () => map.update('a', () => 4)],
      ['getOrCompute', () => map.getOrCompute('new', () => 5)],
      ['size', () => map.size],
      ['clear', () => map.clear()],
      ['keys()', () => map.keys().next()],
      ['entries()', () => [...map.entries()]],
      ['values()', () => [...map.values()]],
      ['for-of', () => [...map]],
      ['forEach', () => map.forEach(() => undefined)],
      ['range', () => map.range(() => true)],
      ['snapshot', () => map.snapshot()],
      ['stats', () => map.stats()],
      ['checkInvariants', () => map.checkInvariants()],
      ['the same map attached again', () => same.set('a', 6)],
      ['the same map attached again (read)', () => same.get('a')],
    ]
    for (const [name, reenter] of reentries) {
      for (const [outer, run] of [
        ['update', (fn: () => unknown) => map.update('a', fn)],
        ['update (absent key)', (fn: () => unknown) => map.update('absent', fn)],
        ['getOrCompute', (fn: () => unknown) => map.getOrCompute('absent', fn)],
      ] as const) {
        // Uncaught inside the callback: the update fails and changes nothing.
        assertThrowsCode(
          () =>
            run(() => {
              reenter()
              return 'should not be stored'
            }),
          ErrorCode.RECURSIVE_UPDATE,
          `${name} inside ${outer}`,
        )
        assertUnchanged(map, before, `${name} inside ${outer}`)
      }
    }
    // Caught inside the callback: the re-entering call did nothing, the update itself goes through.
    const codes: string[] = []
    const result = map.update('a', (current) => {
      for (const [, reenter] of reentries) {
        try {
          reenter()
          codes.push('no error')
        } catch (err) {
          codes.push(isConmapError(err) ? err.code : String(err))
        }
      }
      return { v: (current as { v: number }).v + 1 }
    })
    assert.deepStrictEqual(result, { v: 2 })
    assert.deepStrictEqual(new Set(codes), new Set([ErrorCode.RECURSIVE_UPDATE]))
    assert.deepStrictEqual(map.get('a'), { v: 2 })
    assert.equal(map.size, before.size)
    // A different map inside the callback works, nested callbacks included.
    other.set('seen', 0)
    const stored = map.getOrCompute('computed', (key) => {
      other.set('inside', key)
      const n = other.update('seen', (v) => (v as number) + 1) as number
      other.getOrCompute('nested', () => 2)
      assert.deepStrictEqual([...other.keys()].sort(), ['inside', 'nested', 'seen'])
      return `from other: ${n}`
    })
    assert.equal(stored, 'from other: 1')
    assert.equal(map.get('computed'), 'from other: 1')
    assert.equal(other.get('inside'), 'computed')
    assert.equal(other.get('nested'), 2)
    // And once the callback is over, the map is usable from this thread again.
    map.set('a', 'done')
    assert.equal(same.get('a'), 'done')
    map.checkInvariants()
    other.checkInvariants()
  })
}

test('getOrCompute runs the factory once per absent key and never for a present one', () => {
  for (const concurrency of CONCURRENCIES) {
    const map = new SharedMap<K, unknown>({ concurrency, shards: 4, initialCapacity: 2 })
    const calls = new Map<K, number>()
    const factory = (key: K) => {
      calls.set(key, (calls.get(key) ?? 0) + 1)
      return { made: String(key) }
    }
    const keys: K[] = ['x', '', 0, -0, NaN, 1n, 2n ** 100n, '1', 1]
    for (let round = 0; round < 3; round++) {
      for (const key of keys) assert.deepStrictEqual(map.getOrCompute(key, factory), { made: String(key === -0 ? 0 : key) })
    }
    // -0 and 0 are one key (SameValueZero): its factory ran for whichever came first.
    assert.deepStrictEqual([...calls.values()], Array.from({ length: calls.size }, () => 1))
    assert.equal(calls.size, keys.length - 1)
    assert.equal(map.size, keys.length - 1)
    // Present (even holding undefined): no call.
    map.set('u', undefined)
    assert.equal(map.getOrCompute('u', () => assert.fail('factory called for a present key')), undefined)
    // After a delete the key is absent again: one more call.
    map.delete('x')
    assert.deepStrictEqual(map.getOrCompute('x', factory), { made: 'x' })
    assert.equal(calls.get('x'), 2)
    // A factory returning undefined stores nothing (as update does), so the key stays absent
    // and the next getOrCompute runs its factory again.
    let undefinedCalls = 0
    const none = () => {
      undefinedCalls++
      return undefined
    }
    assert.equal(map.getOrCompute('nothing', none), undefined)
    assert.equal(map.has('nothing'), false)
    assert.equal(map.getOrCompute('nothing', none), undefined)
    assert.equal(undefinedCalls, 2)
    map.checkInvariants()
  }
})

// ---- options ----

test('bad options: ERR_INVALID_ARGUMENT', () => {
  const bad: ReadonlyArray<[string, unknown]> = [
    ['shards 3', { shards: 3 }],
    ['shards 0', { shards: 0 }],
    ['shards -4', { shards: -4 }],
    ['shards 1.5', { shards: 1.5 }],
    ['shards NaN', { shards: NaN }],
    ['shards 2048', { shards: 2048 }],
    ["shards '4'", { shards: '4' }],
    ["concurrency 'fast'", { concurrency: 'fast' }],
    ["concurrency ''", { concurrency: '' }],
    ['concurrency 1', { concurrency: 1 }],
    ["concurrency 'Optimistic'", { concurrency: 'Optimistic' }],
    ["concurrency 'toString'", { concurrency: 'toString' }],
    ["concurrency 'constructor'", { concurrency: 'constructor' }],
    ["concurrency '__proto__'", { concurrency: '__proto__' }],
    ['maxBytes 0', { maxBytes: 0 }],
    ['maxBytes 100', { maxBytes: 100 }],
    ['maxBytes 4095', { maxBytes: 4095 }],
    ['maxBytes -1', { maxBytes: -1 }],
    ['maxBytes 1.5 KiB', { maxBytes: 1536.5 }],
    ['maxBytes 8 GiB', { maxBytes: 2 ** 33 }],
    ['maxBytes Infinity', { maxBytes: Infinity }],
    ['initialCapacity -1', { initialCapacity: -1 }],
    ['initialCapacity 1.5', { initialCapacity: 1.5 }],
    ['initialCapacity NaN', { initialCapacity: NaN }],
    ['initialCapacity Infinity', { initialCapacity: Infinity }],
    ['readerSlots 0', { readerSlots: 0 }],
    ["codec 'yaml'", { codec: 'yaml' }],
    ["codec 'toString'", { codec: 'toString' }],
    ['codec 42', { codec: 42 }],
    ['codec without a name', { codec: { encode: () => new Uint8Array(), decode: () => 1 } }],
    ['codec with an empty name', { codec: { name: '', encode: () => new Uint8Array(), decode: () => 1 } }],
    ['codec without functions', { codec: { name: 'x' } }],
    ['options null', null],
    ['options a string', 'optimistic'],
  ]
  for (const [name, options] of bad) {
    assertThrowsCode(() => new SharedMap(options as SharedMapOptions), ErrorCode.INVALID_ARGUMENT, name)
  }
})

test('options at their limits are accepted', () => {
  const good: ReadonlyArray<SharedMapOptions> = [
    { shards: 1 },
    { shards: 1024, maxBytes: 2 ** 22 },
    { initialCapacity: 0 },
    { maxBytes: 4096, shards: 1, initialCapacity: 0 },
    // maxBytes need not be a multiple of 8.
    { maxBytes: 4100, shards: 1, initialCapacity: 0 },
    { maxBytes: 5001, shards: 2, initialCapacity: 1 },
    { maxBytes: 2 ** 20 + 3, shards: 1 },
  ]
  for (const options of good) {
    for (const concurrency of CONCURRENCIES) {
      const map = new SharedMap<K, unknown>({ ...options, concurrency })
      map.set('k', 'v')
      assert.equal(map.get('k'), 'v', JSON.stringify(options))
      assert.ok(map.stats().bytes.max <= (options.maxBytes ?? 2 ** 30))
      map.checkInvariants()
    }
  }
})

test('options that cannot fit in maxBytes: a clear ConmapError at construction', () => {
  for (const options of [{ maxBytes: 4096, shards: 64 }, { maxBytes: 4096, initialCapacity: 1024 }, { initialCapacity: 1e12 }] as SharedMapOptions[]) {
    assertThrowsCode(() => new SharedMap(options), ErrorCode.INVALID_ARGUMENT, JSON.stringify(options))
  }
})

// ---- maxBytes exhaustion ----

for (const concurrency of CONCURRENCIES) {
  for (const shards of [1, 4]) {
    test(`maxBytes: ERR_MAP_FULL changes nothing, reads keep working, deletes make room again ('${concurrency}', ${shards} shard${shards > 1 ? 's' : ''})`, () => {
      // Value sizes for which the map fills up at a table's growth, and at a record's allocation.
      for (const pad of [0, 4, 12, 36]) exhaust(concurrency, shards, pad)
    })
  }
}

function exhaust(concurrency: Concurrency, shards: number, pad: number): void {
  const maxBytes = 64 * 1024
  const what = `${pad}-character padding`
  const map = new SharedMap<K, unknown>({ concurrency, shards, initialCapacity: 0, maxBytes })
  // Fixed widths: every record has the same size, so a freed one fits any later entry.
  const key = (i: number) => `key:${String(i).padStart(6, '0')}`
  const value = (i: number) => `${String(i).padStart(6, '0')}${'v'.repeat(pad)}`
  let full: ConmapError | undefined
  let n = 0
  for (; n < 100_000; n++) {
    try {
      map.set(key(n), value(n))
    } catch (err) {
      assert.ok(isConmapError(err, ErrorCode.MAP_FULL), `${what}: expected ERR_MAP_FULL, got ${String(err)}`)
      full = err
      break
    }
  }
  assert.ok(full !== undefined, `${what}: a 64 KiB map never filled up`)
  assert.ok(n > 100, `${what}: only ${n} entries fit in 64 KiB`)
  const stats = map.stats()
  assert.ok(stats.bytes.used <= maxBytes && stats.bytes.reserved <= maxBytes && stats.bytes.max === maxBytes)
  // The failed key is absent, every earlier key reads back.
  const before = state(map)
  assert.equal(before.size, n)
  assert.equal(map.has(key(n)), false)
  assert.equal(map.get(key(n)), undefined)
  for (let i = 0; i < n; i++) assert.equal(map.get(key(i)), value(i))
  assert.equal([...map.keys()].length, n)
  map.checkInvariants()
  // Failing again, by any write, still changes nothing.
  const big = 'x'.repeat(64 * 1024)
  assertThrowsCode(() => map.set(key(n), value(n)), ErrorCode.MAP_FULL, `${what}: set again`)
  assertThrowsCode(() => map.set('huge', big), ErrorCode.MAP_FULL, `${what}: set of a huge value`)
  assertThrowsCode(() => map.swap(key(0), big), ErrorCode.MAP_FULL, `${what}: swap to a huge value`)
  assertThrowsCode(() => map.update(key(1), () => big), ErrorCode.MAP_FULL, `${what}: update to a huge value`)
  assertThrowsCode(() => map.loadOrStore('huge', big), ErrorCode.MAP_FULL, `${what}: loadOrStore of a huge value`)
  assertThrowsCode(() => map.getOrCompute('huge', () => big), ErrorCode.MAP_FULL, `${what}: getOrCompute of a huge value`)
  assertThrowsCode(() => map.compareAndSwap(key(2), value(2), big), ErrorCode.MAP_FULL, `${what}: compareAndSwap to a huge value`)
  assertUnchanged(map, before, `${what}: after ERR_MAP_FULL`)
  // Deleting half makes room: the failed key can be stored now, and some of the deleted ones
  // again (the tables cannot grow any more: the deleted slots are tombstones, reused by the
  // inserts whose probes reach them).
  for (let i = 0; i < n; i += 2) assert.equal(map.delete(key(i)), true)
  const half = map.size
  assert.equal(half, n - Math.ceil(n / 2))
  map.checkInvariants()
  map.set(key(n), value(n)) // needs a slot: the table cannot grow, so reserveLocked lets it take one
  let restored = 0
  for (let i = 0; i < n; i += 8, restored++) map.set(key(i), value(i))
  assert.equal(map.size, half + 1 + restored)
  for (let i = 0; i <= n; i++) assert.equal(map.get(key(i)), i % 2 === 0 && i % 8 !== 0 && i !== n ? undefined : value(i))
  map.checkInvariants()
  // Emptying the map frees everything: it fills up to about the same count again.
  map.clear()
  assert.equal(map.size, 0)
  let again = 0
  for (; again < 100_000; again++) {
    try {
      map.set(key(again), value(again))
    } catch (err) {
      assert.ok(isConmapError(err, ErrorCode.MAP_FULL), `${what}: expected ERR_MAP_FULL, got ${String(err)}`)
      break
    }
  }
  assert.ok(again >= n * 0.9, `${what}: after clear() only ${again} entries fit, first time ${n}`)
  for (let i = 0; i < again; i++) assert.equal(map.get(key(i)), value(i))
  map.checkInvariants()
}

// ---- handles ----

test('attach: forged and foreign handles are refused with ERR_INVALID_HANDLE', () => {
  const map = new SharedMap<K, unknown>({ shards: 2 })
  map.set('k', 'v')
  const handle = map.handle
  const growable = (bytes: number) => new SharedArrayBuffer(bytes, { maxByteLength: bytes * 2 })
  const mapMagic = new Int32Array(handle.buffer, 0, 1)[0] ?? 0
  const forgedBuffer = (buffer: SharedArrayBuffer, words: number) => {
    new Int32Array(buffer)[0] = mapMagic
    // Copy the header's first words too, so that only the deeper checks can refuse it.
    new Int32Array(buffer).set(new Int32Array(handle.buffer, 0, words))
    return buffer
  }
  const mutex = new Mutex()
  const forged: ReadonlyArray<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['a string', 'SharedMap'],
    ['an empty object', {}],
    ['a Mutex handle', mutex.handle],
    ['a Mutex handle relabelled as a SharedMap', { ...mutex.handle, conmap: 'SharedMap', concurrency: 'optimistic', codec: 'builtin:structured' }],
    ['another version', { ...handle, version: 2 }],
    ['a plain ArrayBuffer', { ...handle, buffer: new ArrayBuffer(handle.buffer.byteLength) }],
    ['a different, zeroed SharedArrayBuffer', { ...handle, buffer: new SharedArrayBuffer(handle.buffer.byteLength) }],
    ['a different growable SharedArrayBuffer', { ...handle, buffer: growable(handle.buffer.byteLength) }],
    ['a fixed-size buffer with the magic and header', { ...handle, buffer: forgedBuffer(new SharedArrayBuffer(handle.buffer.byteLength), 20) }],
    ['a truncated copy of the header', { ...handle, buffer: forgedBuffer(growable(128), 20) }],
    ['a header with another layout version', { ...handle, buffer: (() => {
      const buffer = forgedBuffer(growable(handle.buffer.byteLength), 20)
      new Int32Array(buffer)[1] = 99
      return buffer
    })() }],
    ['a byteOffset into the map', { ...handle, byteOffset: 8 }],
    ['a negative byteOffset', { ...handle, byteOffset: -8 }],
    ['a registry that is not shared memory', { ...handle, registry: new ArrayBuffer(64) }],
    ['another concurrency', { ...handle, concurrency: 'mutex' }],
    ['an unknown concurrency', { ...handle, concurrency: 'toString' }],
  ]
  for (const [name, h] of forged) assertThrowsCode(() => SharedMap.attach(h as SharedMapHandle), ErrorCode.INVALID_HANDLE, name)
  // None of this touched the real map.
  assert.equal(map.get('k'), 'v')
  map.checkInvariants()
})

test('attach: codecs must match (a user codec must be passed again, by the same name)', () => {
  const upper: Codec<unknown> = {
    name: 'upper',
    encode: (value) => new TextEncoder().encode(String(value).toUpperCase()),
    decode: (bytes) => new TextDecoder().decode(bytes),
  }
  const custom = new SharedMap<K, unknown>({ codec: upper, shards: 2 })
  custom.set('k', 'shout')
  assertThrowsCode(() => SharedMap.attach(custom.handle), ErrorCode.INVALID_ARGUMENT, 'user codec not passed')
  assertThrowsCode(() => SharedMap.attach(custom.handle, { codec: { ...upper, name: 'lower' } }), ErrorCode.INVALID_ARGUMENT, 'user codec of another name')
  assertThrowsCode(() => SharedMap.attach(custom.handle, { codec: 'structured' }), ErrorCode.INVALID_ARGUMENT, 'a built-in codec for a user one')
  assertThrowsCode(() => SharedMap.attach(custom.handle, { codec: { ...upper, name: 'builtin:upper' } }), ErrorCode.INVALID_ARGUMENT, "a user codec named like the id")
  assertThrowsCode(() => SharedMap.attach(custom.handle, { codec: 'nope' as 'json' }), ErrorCode.INVALID_ARGUMENT, 'an unknown built-in codec')
  // A handle that lies about its codec is caught by the codec word in the map's header.
  assertThrowsCode(() => SharedMap.attach({ ...custom.handle, codec: 'builtin:string' }), ErrorCode.INVALID_HANDLE, 'a handle naming another codec')
  // A user codec named 'json' is not the built-in 'json'.
  const json = new SharedMap<K, unknown>({ codec: 'json', shards: 2 })
  assertThrowsCode(() => SharedMap.attach(json.handle, { codec: { ...upper, name: 'json' } }), ErrorCode.INVALID_ARGUMENT, "user codec named 'json'")
  assertThrowsCode(() => SharedMap.attach(json.handle, { codec: 'structured' }), ErrorCode.INVALID_ARGUMENT, 'another built-in codec')
  const again = SharedMap.attach<K, unknown>(custom.handle, { codec: upper })
  assert.equal(again.get('k'), 'SHOUT')
  custom.checkInvariants()
})

test('attach with the same built-in codec (in this thread, through a structured clone) sees the same data', () => {
  for (const codec of ['structured', 'json', 'string', 'number', 'bytes'] as const) {
    for (const concurrency of CONCURRENCIES) {
      const map = new SharedMap<K, unknown>({ codec, concurrency, shards: 4, initialCapacity: 2 })
      const value = validValue(codec)
      map.set('k', value)
      const clone = structuredClone(map.handle)
      const attached = [SharedMap.attach<K, unknown>(clone), SharedMap.attach<K, unknown>(clone, { codec })]
      for (const other of attached) {
        assert.equal(other.concurrency, concurrency)
        assert.deepStrictEqual(other.get('k'), value)
      }
      const [first, second] = attached as [SharedMap<K, unknown>, SharedMap<K, unknown>]
      // Writes through one are seen by the others, growth included.
      for (let i = 0; i < 200; i++) first.set(i, value)
      assert.equal(map.size, 201)
      assert.equal(second.size, 201)
      assert.deepStrictEqual(map.get(199), value)
      second.delete('k')
      assert.equal(map.has('k'), false)
      map.checkInvariants()
    }
  }
})
