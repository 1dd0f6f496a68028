// concurrency 'none': no locks, and Go's misuse detection. Two threads writing at
// once, a read or an iteration overlapping a write, are reported with Go's
// messages, and the map is poisoned for every thread afterwards. One thread at a
// time is fine (no false positives).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConcurrentMapError, SharedMap, isConmapError } from '../../src/index.js'
import { mapWorkerFile, start } from '../helpers/workers.js'

const LIMIT = 5_000_000

function misuse(map: SharedMap<string, number>, op: string, seed: number, stop: SharedArrayBuffer) {
  return start('misuse', { handle: map.handle, op, seed, limit: LIMIT, stop }, mapWorkerFile)
}

test("two writers: 'concurrent map writes', then the map is poisoned on every thread", async () => {
  const map = new SharedMap<string, number>({ concurrency: 'none' })
  const stop = new SharedArrayBuffer(4)
  const codes = (await Promise.all([misuse(map, 'set', 1, stop), misuse(map, 'set', 2, stop)].map((w) => w.result))) as string[]
  assert.ok(codes.includes('ERR_CONCURRENT_MAP_WRITES'), `codes: ${codes.join(', ')}`)
  assert.ok(codes.every((c) => c === 'ERR_CONCURRENT_MAP_WRITES' || c === 'ERR_MAP_POISONED' || c === 'none'))
  assert.throws(() => map.get('m:1'), (e) => isConmapError(e, 'ERR_MAP_POISONED') && e instanceof ConcurrentMapError)
  assert.throws(() => map.set('x', 1), (e) => isConmapError(e, 'ERR_MAP_POISONED'))
  assert.equal(await start('afterPoison', { handle: map.handle }, mapWorkerFile).result, 'ERR_MAP_POISONED')
})

test("a reader overlapping a writer: 'concurrent map read and map write'", async () => {
  const map = new SharedMap<string, number>({ concurrency: 'none' })
  for (let i = 0; i < 64; i++) map.set(`m:${i}`, i)
  const stop = new SharedArrayBuffer(4)
  const codes = (await Promise.all([misuse(map, 'set', 3, stop), misuse(map, 'get', 4, stop)].map((w) => w.result))) as string[]
  assert.ok(codes.includes('ERR_CONCURRENT_MAP_READ_WRITE'), `codes: ${codes.join(', ')}`)
  assert.throws(() => map.size, (e) => isConmapError(e, 'ERR_MAP_POISONED'))
})

test("an iteration overlapping a writer: 'concurrent map iteration and map write'", async () => {
  const map = new SharedMap<string, number>({ concurrency: 'none', shards: 16 })
  for (let i = 0; i < 64; i++) map.set(`m:${i}`, i)
  const stop = new SharedArrayBuffer(4)
  const codes = (await Promise.all([misuse(map, 'set', 5, stop), misuse(map, 'iterate', 6, stop)].map((w) => w.result))) as string[]
  assert.ok(codes.includes('ERR_CONCURRENT_MAP_ITERATION_WRITE'), `codes: ${codes.join(', ')}`)
})

test('one thread at a time, even several threads in turn, is never reported', async () => {
  const map = new SharedMap<string, number>({ concurrency: 'none' })
  for (let round = 0; round < 3; round++) {
    const stop = new SharedArrayBuffer(4)
    const code = await start('misuse', { handle: map.handle, op: round === 1 ? 'iterate' : 'set', seed: round + 7, limit: 20_000, stop }, mapWorkerFile).result
    assert.equal(code, 'none')
    for (let i = 0; i < 1000; i++) map.set(`main:${i}`, i)
  }
  for (const [key, value] of map) assert.equal(typeof value, 'number', key)
  map.checkInvariants()
})
