// A real piscina pool whose workers share one SharedMap (cache-task.ts), used the
// way the README's "Worker pools" recipe says: no watch(), no registration. Workers
// come and go (idleTimeout), tasks die inside update() callbacks (process.exit(), or
// an abort, on which piscina terminates the worker), and the map stays usable and
// exact.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Piscina } from 'piscina'
import { SharedMap, isConmapError } from '../../src/index.js'
import { ThreadRegistry } from '../../src/sync/threads.js'
import type { CacheTask } from './cache-task.js'

const taskFile = new URL('./cache-task.js', import.meta.url).href
const LIMIT = { timeout: 120_000 }
const RECOVERY_MS = 3000

function pool(cache: SharedMap<string, number>, options: { maxThreads: number; idleTimeout: number }): Piscina<CacheTask, number | undefined> {
  return new Piscina({ filename: taskFile, workerData: { cache: cache.handle }, minThreads: 0, ...options })
}

/** Resolves with the threadId of the worker once a task is inside its update() callback. */
async function inCallback(flag: SharedArrayBuffer): Promise<number> {
  const wait = Atomics.waitAsync(new Int32Array(flag), 0, 0, 20_000)
  if (wait.async) await wait.value
  return Atomics.load(new Int32Array(flag), 0) - 1
}

test('2,000 tasks over 20 generations of recycled pool workers: exact counters, and the registry keeps only the living', LIMIT, async () => {
  const cache = new SharedMap<string, number>()
  const workers = pool(cache, { maxThreads: 4, idleTimeout: 1 })
  const threads = new Set<number>()
  workers.on('workerCreate', () => {
    for (const worker of workers.threads) threads.add(worker.threadId)
  })
  for (let generation = 0; generation < 20; generation++) {
    await Promise.all(Array.from({ length: 100 }, (_, i) => workers.run({ op: 'count', key: `k${i % 10}` })))
    // Idle past idleTimeout: piscina terminates all workers but one, the next wave starts
    // new ones. Bounded: when piscina keeps more (a CI run waited here for good), the
    // next wave goes on; threads.size below still shows the recycling happened.
    const idleUntil = Date.now() + 3000
    while (workers.threads.length > 1 && Date.now() < idleUntil) await new Promise((resolve) => setTimeout(resolve, 5))
  }
  await workers.destroy()
  for (let i = 0; i < 10; i++) assert.equal(cache.get(`k${i}`), 200)
  assert.ok(threads.size >= 20, `only ${threads.size} workers were started`)
  assert.ok(ThreadRegistry.local().registered() <= 4, 'the dead workers left the registry')
})

test('a task aborted inside update() (piscina terminates its worker): the blocked next set takes the shard over', LIMIT, async () => {
  const cache = new SharedMap<string, number>({ lockTimeout: 200 })
  cache.set('held', 1)
  const workers = pool(cache, { maxThreads: 2, idleTimeout: 60_000 })
  const flag = new SharedArrayBuffer(4)
  const aborter = new AbortController()
  const hanging = workers.run({ op: 'hangInUpdate', key: 'held', flag }, { signal: aborter.signal })
  hanging.catch(() => undefined)
  const threadId = await inCallback(flag)
  assert.throws(
    () => cache.set('held', 2),
    (err: unknown) => isConmapError(err, 'ERR_LOCK_TIMEOUT') && err.message.includes(`thread ${threadId} (alive)`),
  )
  const patient = SharedMap.attach<string, number>(cache.handle, { lockTimeout: 30_000 })
  aborter.abort()
  const began = performance.now()
  patient.set('held', 3)
  const took = performance.now() - began
  assert.ok(took < RECOVERY_MS, `recovery took ${took.toFixed(0)} ms`)
  await assert.rejects(hanging)
  assert.equal(await workers.run({ op: 'count', key: 'held' }), 4, 'the pool and the map go on')
  assert.ok(cache.stats().recoveries >= 1)
  cache.checkInvariants()
  await workers.destroy()
})

test('a task calling process.exit() inside update(): the next task, on a new worker, finds the shard recovered', LIMIT, async () => {
  const cache = new SharedMap<string, number>()
  cache.set('held', 10)
  const workers = pool(cache, { maxThreads: 1, idleTimeout: 60_000 })
  await assert.rejects(workers.run({ op: 'exitInUpdate', key: 'held', flag: new SharedArrayBuffer(4) }))
  assert.equal(await workers.run({ op: 'count', key: 'held' }), 11)
  assert.equal(cache.get('held'), 11)
  cache.checkInvariants()
  await workers.destroy()
})
