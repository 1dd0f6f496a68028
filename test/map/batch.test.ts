// SharedMap's batches, synchronous: getMany in order, setMany and deleteMany atomic per
// key; bad input writes nothing; a full map part-way keeps what was written before.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SharedMap } from '../../src/index.js'

const withCode = (code: string) => (err: unknown) => (err as { code?: string }).code === code

test('getMany, setMany, deleteMany', () => {
  const map = new SharedMap<string | number, unknown>()
  map.setMany([
    ['a', 1],
    [2, { two: true }],
  ])
  assert.deepEqual(map.getMany(['a', 'x', 2]), [1, undefined, { two: true }])
  assert.equal(map.deleteMany(['a', 'x']), 1)
  assert.deepEqual([...map.keys()], [2])
  map.checkInvariants()
})

test('bad input in a batch writes nothing', () => {
  const map = new SharedMap<string, unknown>()
  map.set('kept', 1)
  assert.throws(() => map.setMany([['a', 1], [{} as never, 2]]), withCode('ERR_INVALID_KEY'))
  assert.throws(() => map.setMany([['a', 1], ['b', () => 2]]), withCode('ERR_INVALID_VALUE'))
  assert.throws(() => map.setMany([['a', 1]], { ttl: 10 }), withCode('ERR_INVALID_ARGUMENT'))
  assert.throws(() => map.deleteMany(['kept', null as never]), withCode('ERR_INVALID_KEY'))
  assert.throws(() => map.getMany(['kept', Symbol() as never]), withCode('ERR_INVALID_KEY'))
  assert.deepEqual([...map.entries()], [['kept', 1]])
})

test('a map that fills up part-way through setMany keeps the entries written before (atomic per key, not as a whole)', () => {
  const map = new SharedMap<number, Uint8Array>({ codec: 'bytes', maxBytes: 64 * 1024 })
  const entries = Array.from({ length: 64 }, (_, i): [number, Uint8Array] => [i, new Uint8Array(4096).fill(i)])
  assert.throws(() => map.setMany(entries), withCode('ERR_MAP_FULL'))
  const written = map.size
  assert.ok(written > 0 && written < entries.length, `${written} entries written`)
  for (let i = 0; i < written; i++) assert.equal(map.get(i)?.[0], i)
  map.checkInvariants()
})
