import { test } from 'node:test'
import assert from 'node:assert/strict'
import { canonicalEncoding } from '../../src/check/index.js'

const same = (a: unknown, b: unknown) => canonicalEncoding(a) === canonicalEncoding(b)

test('equal structures encode equally', () => {
  assert.ok(same({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }))
  assert.ok(same(-0, 0))
  assert.ok(same(Number.NaN, Number.NaN))
  assert.ok(same(new Map([['a', 1], ['b', 2]]), new Map([['b', 2], ['a', 1]])))
  assert.ok(same(new Set([1, 'x']), new Set(['x', 1])))
  assert.ok(same(new Date(7), new Date(7)))
  assert.ok(same([1, , 3], [1, undefined, 3]))
  assert.ok(same(Buffer.from([1, 2]), new Uint8Array([1, 2])))
  assert.ok(same(new Float64Array([-0, Number.NaN]), new Float64Array([0, Number.NaN])))
  assert.ok(same(/a+/g, /a+/g))
  assert.ok(same(new (class Point { x = 1 })(), { x: 1 }))
  const shared = { n: 1 }
  assert.ok(same([shared, shared], [{ n: 1 }, { n: 1 }]), 'shared references are not cycles')
})

test('different values encode differently', () => {
  const distinct: unknown[] = [
    undefined, null, true, false, 0, 1, 1n, '1', '', 'u', [], {}, [undefined], { a: undefined },
    new Map(), new Set(), new Map([[1, 1]]), new Map([['1', 1]]), new Set([1]), new Set(['1']),
    new Date(0), new Date(1), /a/, /a/i, new Uint8Array([1]), new Int8Array([1]), new Uint8Array([1, 0]),
    new ArrayBuffer(1), new Error('x'), Infinity, -Infinity, 'a,b', ['a', 'b'], { 'a,b': 1 }, { a: 1, b: 1 },
    '"', '\\"', { '"': 1 },
  ]
  const encodings = distinct.map((v) => canonicalEncoding(v))
  assert.equal(new Set(encodings).size, distinct.length, encodings.join('\n'))
})

test('values a map cannot hold are rejected', () => {
  const cyclic: Record<string, unknown> = {}
  cyclic['self'] = cyclic
  for (const bad of [() => 1, Symbol('s'), cyclic, [cyclic]]) {
    assert.throws(() => canonicalEncoding(bad), { code: 'ERR_INVALID_ARGUMENT' })
  }
})
