// A Promise or thenable is never stored: every write path refuses it with
// ERR_INVALID_VALUE naming getOrComputeAsync (an async update/getOrCompute callback
// is the usual way to meet it), and leaves the map as it was, locks free.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SharedMap, isConmapError, type CodecOption } from '../../src/index.js'

const CODECS: ReadonlyArray<CodecOption> = ['structured', 'json', 'string', 'number', 'bytes', { name: 'user', encode: (v: unknown) => new TextEncoder().encode(JSON.stringify(v)), decode: (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as unknown }]

function refused(call: () => unknown, what: string): void {
  assert.throws(call, (err: unknown) => {
    assert.ok(isConmapError(err, 'ERR_INVALID_VALUE'), `${what}: ${String(err)}`)
    assert.match(err.message, /getOrComputeAsync/, what)
    return true
  })
}

for (const codec of CODECS) {
  const name = typeof codec === 'string' ? codec : 'a user codec'
  test(`${name}: Promises and thenables are refused by every write, which changes nothing`, () => {
    const map = new SharedMap<string, unknown>({ codec })
    const present = codec === 'number' ? 1 : codec === 'bytes' ? new Uint8Array([1]) : codec === 'string' ? 'one' : { one: 1 }
    map.set('k', present)
    const thenable = { then: (resolve: (v: unknown) => void) => resolve(2) }
    for (const value of [Promise.resolve(2), thenable]) {
      refused(() => map.set('k', value), 'set')
      refused(() => map.set('new', value), 'set of a new key')
      refused(() => map.loadOrStore('new', value), 'loadOrStore')
      refused(() => map.swap('k', value), 'swap')
      refused(() => map.compareAndSwap('k', present, value), 'compareAndSwap')
      refused(() => map.update('k', () => value), 'update returning a Promise')
      refused(() => map.getOrCompute('new', () => value), 'getOrCompute returning a Promise')
    }
    refused(() => map.update('k', async () => 3), 'an async update callback')
    refused(() => map.getOrCompute('new', async () => 3), 'an async getOrCompute callback')
    assert.deepEqual([...map.keys()], ['k'])
    assert.deepEqual(map.get('k'), present)
    // No lock was left held, nothing is in flight: writes go on.
    map.set('new', present)
    assert.deepEqual(map.get('new'), present)
    map.checkInvariants()
  })
}

test('a bounded map gives back the place an async callback took', () => {
  const map = new SharedMap<string, number>({ maxEntries: 2, codec: 'number' })
  map.set('a', 1)
  // The types refuse an async callback already; a JavaScript caller's gets here.
  refused(() => map.getOrCompute('b', (async () => 2) as unknown as () => number), 'getOrCompute')
  map.set('b', 2)
  assert.equal(map.size, 2)
  assert.equal(map.stats().evictions, 0, 'the refused call left its place in the bound free')
  map.checkInvariants()
})

test("'structured' refuses a Promise anywhere inside a value; range() refuses an async callback", () => {
  const map = new SharedMap<string, unknown>()
  map.set('k', { ok: true })
  for (const value of [{ user: Promise.resolve(1) }, [1, [Promise.resolve(2)]], new Map([['a', Promise.resolve(3)]])]) {
    assert.throws(() => map.set('k', value), (err: unknown) => isConmapError(err, 'ERR_INVALID_VALUE') && /inside the value/.test(err.message))
  }
  assert.deepEqual(map.get('k'), { ok: true })
  let visited = 0
  const walk = async () => {
    visited++
    return false
  }
  assert.throws(
    // The types refuse it already; a JavaScript caller's gets here.
    () => map.range(walk as unknown as () => boolean),
    (err: unknown) => isConmapError(err, 'ERR_INVALID_ARGUMENT') && /range\(\) callbacks are synchronous/.test(err.message),
  )
  assert.equal(visited, 1, 'the walk stopped at the first Promise')
  map.checkInvariants()
})
