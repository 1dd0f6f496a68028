// share() and attachShared() across real worker threads: several kinds in one
// record, attached again on every call as pool tasks do (the same objects come
// back), options that differ from the first attach refused, and bad input refused
// with its code and the offending key, the map unchanged.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { Mutex, Once, RWMutex, Semaphore, SharedMap, WaitGroup, attachShared, share } from '../../src/index.js'
import { start, withCode } from '../helpers/workers.js'
import type { Objects } from './share-worker.js'
import type { ShareTaskResult } from './share-task.js'

const workerFile = fileURLToPath(new URL('./share-worker.js', import.meta.url))
const LIMIT = { timeout: 120_000 }

function objects(workers: number): Objects {
  const done = new WaitGroup()
  done.add(workers)
  return {
    counts: new SharedMap<string>({ codec: 'number' }),
    mutex: new Mutex(),
    rw: new RWMutex(),
    done,
    once: new Once(),
    permits: new Semaphore(2),
  }
}

test('4 workers x 500 calls of attachShared(): the same objects on every call, and every kind works on the one memory', LIMIT, async () => {
  const shared = objects(4)
  const conmap = share(shared)
  assert.deepEqual(structuredClone(conmap), conmap, 'the record is plain, structured-cloneable data')
  const results = await Promise.all(Array.from({ length: 4 }, () => start('work', { conmap, calls: 500 }, workerFile).result))
  shared.done.wait({ timeout: 10_000 })
  for (const result of results) assert.deepEqual({ ...(result as object), onceRan: undefined }, { calls: 500, sameObjects: true, onceRan: undefined })
  assert.equal(results.reduce((sum: number, result) => sum + (result as { onceRan: number }).onceRan, 0), 1, 'Once ran in one worker only')
  const { counts } = shared
  assert.deepEqual(Object.fromEntries([...counts].sort()), { locked: 2000, once: 1, permitted: 2000, rw: 2000, updates: 2000 })
  assert.equal(shared.permits.available, 2)
  assert.ok(shared.once.done && !shared.mutex.locked && !shared.rw.writeLocked)
})

test('a map attached again with other options is refused, naming the key and the option; the same options give the same map', LIMIT, async () => {
  const conmap = share(objects(1))
  const result = (await start('mismatch', { conmap }, workerFile).result) as Record<string, { code: string; message: string }>
  assert.equal(result.same, true)
  assert.equal(result.otherTimeout?.code, 'ERR_INVALID_ARGUMENT')
  assert.match(result.otherTimeout?.message ?? '', /'counts'.*lockTimeout 500, now 600/)
  assert.match(result.leftOut?.message ?? '', /'counts'.*readCache 16, now undefined/)
  assert.match(result.otherCodec?.message ?? '', /'counts'.*codec 'builtin:number', now 'builtin:json'/)
})

test('attachShared() refuses what is no share() record, with its code and the key at fault', LIMIT, async () => {
  const shared = objects(1)
  shared.counts.set('kept', 7)
  const result = (await start('badInput', { conmap: share(shared) }, workerFile).result) as Record<string, { code: string; message: string }>
  const expected: Record<string, [string, RegExp]> = {
    handle: ['ERR_INVALID_ARGUMENT', /takes what share\(\) returned, got plain object/],
    nothing: ['ERR_INVALID_ARGUMENT', /got undefined/],
    noBrand: ['ERR_INVALID_ARGUMENT', /takes what share\(\) returned/],
    version: ['ERR_INVALID_ARGUMENT', /version number 2/],
    forged: ['ERR_INVALID_HANDLE', /not a Mutex handle/],
    registry: ['ERR_INVALID_HANDLE', /handles\.registry is plain object, not the handle of a conmap object/],
    notHandle: ['ERR_INVALID_HANDLE', /handles\.counts is number 42/],
    unknownOption: ['ERR_INVALID_ARGUMENT', /name 'nope'/],
    primitiveOption: ['ERR_INVALID_ARGUMENT', /'mutex' is a Mutex, which takes no attach options/],
    optionNotObject: ['ERR_INVALID_ARGUMENT', /options\.counts must be a plain object, got number 5/],
  }
  for (const [name, [code, message]] of Object.entries(expected)) {
    assert.equal(result[name]?.code, code, name)
    assert.match(result[name]?.message ?? '', message, name)
  }
  assert.deepEqual([...shared.counts], [['kept', 7]], 'the map is unchanged')
  shared.counts.checkInvariants()
})

test('share() refuses anything but a plain object of conmap objects, naming the property', () => {
  const map = new SharedMap()
  assert.throws(() => share(map as never), withCode('ERR_INVALID_ARGUMENT'))
  assert.throws(() => share([map] as never), withCode('ERR_INVALID_ARGUMENT'))
  assert.throws(() => share({ map, handle: map.handle } as never), (err: unknown) => withCode('ERR_INVALID_ARGUMENT')(err) && /property 'handle' is plain object, not a conmap object/.test((err as Error).message))
  assert.throws(() => share({ map, clone: structuredClone(map) } as never), /property 'clone'/)
  assert.throws(() => share({ n: 1 } as never), /property 'n' is number 1/)
  assert.throws(() => share({ [Symbol('s')]: map } as never), /string keys only/)
  assert.deepEqual(share({}), { conmap: 'Shared', version: 1, handles: {} })
  assert.equal(share({ map }).handles.map, map.handle)
})

test('in the thread that made them, attachShared() attaches once too: a second SharedMap over the same memory', () => {
  const map = new SharedMap<string, number>()
  const conmap = share({ map })
  const { map: again } = attachShared(conmap)
  assert.notEqual(again, map)
  assert.equal(attachShared(structuredClone(conmap)).map === again, false, 'a clone brings new buffer objects: attached anew')
  assert.equal(attachShared(conmap).map, again)
  again.set('a', 1)
  assert.equal(map.get('a'), 1)
})

test('a piscina pool runs 400 tasks that each call attachShared(workerData.conmap): one attach per worker, exact counts', LIMIT, async () => {
  const hits = new SharedMap<string, number>()
  const mutex = new Mutex()
  const pool = new Piscina<string, ShareTaskResult>({
    filename: new URL('./share-task.js', import.meta.url).href,
    workerData: { conmap: share({ hits, mutex }) },
    minThreads: 2,
    maxThreads: 3,
  })
  try {
    const results = await Promise.all(Array.from({ length: 400 }, (_, i) => pool.run(`k${i % 8}`)))
    assert.ok(results.every((result) => result.sameObjects), 'every task of a worker got the objects its module attached')
    assert.ok(new Set(results.map((result) => result.threadId)).size >= 2, 'the tasks ran on several workers')
    for (let i = 0; i < 8; i++) assert.equal(hits.get(`k${i}`), 50)
    assert.equal(hits.get('serialized'), 400)
    assert.deepEqual(results.map((result) => result.count ?? 0).sort((a, b) => a - b), Array.from({ length: 400 }, (_, i) => Math.floor(i / 8) + 1))
  } finally {
    await pool.destroy()
  }
  hits.checkInvariants()
})
