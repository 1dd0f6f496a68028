// concurrency 'none': no locks, and Go's misuse detection. Two threads writing at
// once, a read or an iteration overlapping a write, are reported with Go's
// messages, and the map is poisoned for every thread afterwards. One thread at a
// time is fine (no false positives).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConcurrentMapError, SharedMap, isConmapError, watch } from '../../src/index.js'
import { GateState } from '../../src/map/failpoints.js'
import { exited, mapWorkerFile, sleep, start } from '../helpers/workers.js'

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

/** Waits until a parked worker's gate says REACHED. */
async function parkedAt(gate: SharedArrayBuffer): Promise<void> {
  const word = new Int32Array(gate)
  const wait = Atomics.waitAsync(word, 0, GateState.WAITING, 20_000)
  if (wait.async) await wait.value
  assert.equal(Atomics.load(word, 0), GateState.REACHED, 'the worker parked at its crash point')
}

function release(gate: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(gate), 0, GateState.RELEASED)
  Atomics.notify(new Int32Array(gate), 0)
}

for (const readerWroteLast of [true, false]) {
  test(`a read overlapping another thread's write is reported (the reader ${readerWroteLast ? 'was' : 'was not'} the last writer)`, async () => {
    const map = new SharedMap<string, unknown>({ concurrency: 'none' })
    map.set('x', 'x')
    const readGate = new SharedArrayBuffer(4)
    const reader = start('parked', { handle: map.handle, point: 'read:begun', gate: readGate, op: 'get', key: 'x', first: readerWroteLast ? 'a' : undefined }, mapWorkerFile)
    await parkedAt(readGate)
    const writeGate = new SharedArrayBuffer(4)
    const writer = start('parked', { handle: map.handle, point: 'put:record-written', gate: writeGate, op: 'set', key: 'b', value: 2 }, mapWorkerFile)
    await parkedAt(writeGate)
    release(readGate)
    assert.deepEqual(await reader.result, { code: 'ERR_CONCURRENT_MAP_READ_WRITE' })
    release(writeGate)
    await writer.result
    assert.throws(() => map.get('x'), (e) => isConmapError(e, 'ERR_MAP_POISONED'))
  })
}

test('threads meeting a dead writer finish its write once, and none of them reports a misuse', async () => {
  const map = new SharedMap<string, unknown>({ concurrency: 'none', shards: 4 })
  for (let i = 0; i < 100; i++) map.set(`k${i}`, i)
  const writeGate = new SharedArrayBuffer(4)
  const writer = start('parked', { handle: map.handle, point: 'put:record-written', gate: writeGate, op: 'set', key: 'b', value: 2 }, mapWorkerFile)
  watch(writer.worker)
  await parkedAt(writeGate)
  await writer.worker.terminate()
  await exited(writer.worker)
  // The first reader parks inside its repair; the others meet the repair in progress.
  const repairGate = new SharedArrayBuffer(4)
  const repairer = start('parked', { handle: map.handle, point: 'repair:begun', gate: repairGate, op: 'get', key: 'k1' }, mapWorkerFile)
  await parkedAt(repairGate)
  // Readers only: a write racing the repairer's own read would be a real misuse.
  const others = ['get', 'has'].map((op) => start('parked', { handle: map.handle, point: 'repair:begun', gate: new SharedArrayBuffer(4), op, key: 'k2' }, mapWorkerFile))
  await Promise.all(others.map((other) => other.event('calling')))
  // Give both calls time to meet the repair in progress (they wait for it to end).
  await sleep(100)
  release(repairGate)
  assert.deepEqual(await repairer.result, { value: 1 })
  assert.deepEqual(await Promise.all(others.map((other) => other.result)), [{ value: 2 }, { value: true }])
  map.set('k3', 'written')
  assert.equal(map.get('k3'), 'written')
  assert.equal(map.stats().recoveries, 4, 'the dead write was finished once (each of the 4 shards repaired once)')
  map.checkInvariants()
})
