// The option types say `?: T | undefined` (a user's `{ timeout: cfg.timeout }` with
// cfg.timeout undefined type-checks under exactOptionalPropertyTypes), so at run time
// an option present as undefined must mean what an absent one means: the default.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Mutex, Once, RWMutex, Semaphore, SharedMap, WaitGroup } from '../../src/index.js'

test('every SharedMap option, entry option and attach option given as undefined is its default', async () => {
  const map = new SharedMap<string, number>({
    concurrency: undefined,
    shards: undefined,
    initialCapacity: undefined,
    maxBytes: undefined,
    codec: undefined,
    readerSlots: undefined,
    readCache: undefined,
    sweeper: undefined,
    ttl: undefined,
    maxEntries: undefined,
    eviction: undefined,
  })
  assert.equal(map.concurrency, 'optimistic')
  map.set('a', 1, { ttl: undefined })
  assert.deepEqual(map.loadOrStore('a', 2, { ttl: undefined }), { value: 1, loaded: true })
  assert.equal(map.update('a', (n) => (n ?? 0) + 1, { ttl: undefined }), 2)
  const again = SharedMap.attach(map.handle, { codec: undefined, readCache: undefined, sweeper: undefined })
  assert.equal(again.get('a'), 2)
  assert.equal(map.stats().readCache.capacity > 0, true, 'readCache: undefined keeps the default cache')

  const cache = new SharedMap<string, number>({ ttl: 60_000 })
  assert.equal(await cache.getOrComputeAsync('k', async () => 7, { signal: undefined, ttl: undefined, timeout: undefined }), 7)
  assert.equal(cache.sweep({ budget: undefined }), 0)
})

test('every primitive option and wait option given as undefined is its default', async () => {
  const mutex = new Mutex()
  mutex.lock({ timeout: undefined })
  mutex.unlock()
  await mutex.lockAsync({ timeout: undefined, signal: undefined })
  mutex.unlock()
  const rw = new RWMutex({ readerSlots: undefined })
  assert.equal(await rw.runReadAsync(() => rw.readers, { timeout: undefined, signal: undefined }), 1)
  const sem = new Semaphore(2, { holderSlots: undefined, queueSize: undefined })
  sem.acquire(2, { timeout: undefined }).release()
  assert.equal(sem.available, 2)
  const wg = new WaitGroup({ ownerSlots: undefined })
  wg.wait({ timeout: undefined })
  let ran = 0
  new Once().do(() => ran++, { timeout: undefined })
  assert.equal(ran, 1)
})
