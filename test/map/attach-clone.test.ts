// attach() takes what users pass: `map.handle`, the map itself, or the map's
// structured clone (`new Worker(file, { workerData: map })` clones the map to
// `{ handle }`, which is all a thread needs). Anything else is refused with a
// message that says what to pass.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Mutex, SharedMap, type SharedMapHandle } from '../../src/index.js'
import { mapWorkerFile, start, withCode } from '../helpers/workers.js'

const LIMIT = { timeout: 30_000 }

test('a SharedMap sent whole as workerData attaches in the worker: both threads read and write the one map', LIMIT, async () => {
  const map = new SharedMap<string, unknown>({ shards: 4 })
  map.set('parent', 'here')
  const clone = structuredClone(map)
  assert.deepEqual(Object.keys(clone), ['handle'], 'a clone keeps the public handle only')
  const worker = start('insert', { handle: map, prefix: 'w', count: 200 }, mapWorkerFile)
  assert.deepEqual(await worker.result, { inserted: 200, missing: 0 })
  assert.equal(map.size, 201)
  for (let i = 0; i < 200; i++) assert.equal(map.get(`w${i}`), i)
})

test('attach of the map or its clone in this thread is the same map, with the real handle', () => {
  const map = new SharedMap<string, number>({ codec: 'number', shards: 2 })
  const fromMap = SharedMap.attach(map)
  const fromClone = SharedMap.attach(structuredClone(map))
  fromMap.set('a', 1)
  fromClone.set('b', 2)
  assert.deepEqual([...map.snapshot()].sort(), [['a', 1], ['b', 2]])
  assert.deepEqual(Object.keys(fromClone.handle).sort(), Object.keys(map.handle).sort())
  assert.equal(fromClone.handle.conmap, 'SharedMap', 'its own handle is the handle, not the clone')
})

test('what is neither a handle nor holds one is refused, naming .handle', () => {
  const map = new SharedMap()
  const refused = (value: unknown, message: RegExp) =>
    assert.throws(() => SharedMap.attach(value as SharedMapHandle), (err: unknown) => withCode('ERR_INVALID_HANDLE')(err) && message.test((err as Error).message))
  refused({ sessions: map.handle }, /not a conmap handle: pass the SharedMap's \.handle \(or the SharedMap itself\)/)
  refused({}, /pass the SharedMap's \.handle/)
  refused(new Mutex(), /it is a Mutex handle/)
  refused({ handle: { handle: map.handle } }, /pass the SharedMap's \.handle/)
  assert.throws(() => SharedMap.attach(map, null as never), withCode('ERR_INVALID_ARGUMENT'))
})
