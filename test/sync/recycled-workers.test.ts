// A pool's life: 6,000 short-lived workers (more than the registry's 4096 slots), a few
// alive at once, none watched, each attaching a Mutex and taking it (so its id lands in
// lock words and the registry) before dying one of four ways: a normal end,
// process.exit(), an uncaught error, or terminate() (which runs no exit hook). Every
// thousandth dies holding the Mutex. The workers are started by a spawner thread that
// never loads conmap, so no thread watches them either way: only exit hooks and beacons
// free their registry slots. Before slots of dead threads were reused, the 4097th such
// worker failed with ERR_TOO_MANY_THREADS.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { Mutex } from '../../src/index.js'
import { ThreadRegistry } from '../../src/sync/threads.js'

const WORKERS = 6_000
const AT_ONCE = 4

const child = `
const { parentPort, workerData } = require('node:worker_threads')
import(workerData.mutexModule).then(({ Mutex }) => {
  const mutex = Mutex.attach(workerData.handle)
  const cell = new Int32Array(workerData.cell)
  const park = () => {
    parentPort.postMessage('parked')
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
  }
  const guard = mutex.acquire()
  if (guard.ownerDied) Atomics.add(cell, 1, 1)
  cell[0] = cell[0] + 1
  if (workerData.index % 1000 === 500) park()
  guard.release()
  const way = workerData.index % 4
  if (way === 1) process.exit(0)
  if (way === 2) setImmediate(() => { throw new Error('expected crash') })
  if (way === 3) park()
})
`

const spawner = `
const { Worker, parentPort, workerData } = require('node:worker_threads')
const { count, atOnce, child, shared } = workerData
const errors = []
let next = 0
async function lane() {
  while (next < count) {
    const index = next++
    const worker = new Worker(child, { eval: true, workerData: { ...shared, index } })
    worker.on('error', (err) => { if (err.message !== 'expected crash') errors.push(index + ': ' + err.message) })
    worker.on('message', () => void worker.terminate())
    await new Promise((resolve) => worker.once('exit', resolve))
  }
}
Promise.all(Array.from({ length: atOnce }, lane)).then(() => parentPort.postMessage({ errors }))
`

test(`${WORKERS} recycled, unwatched workers never exhaust the thread registry`, { timeout: 1_200_000 }, async (t) => {
  const mutex = new Mutex()
  const cell = new SharedArrayBuffer(8)
  const mutexModule = new URL('../../src/sync/mutex.js', import.meta.url).href
  const began = performance.now()
  const pool = new Worker(spawner, { eval: true, workerData: { count: WORKERS, atOnce: AT_ONCE, child, shared: { handle: mutex.handle, cell, mutexModule } } })
  const [{ errors }] = (await once(pool, 'message')) as [{ errors: string[] }]
  const seconds = (performance.now() - began) / 1000
  t.diagnostic(`${WORKERS} workers, ${AT_ONCE} at once: ${seconds.toFixed(1)} s (${((seconds * 1000) / WORKERS).toFixed(1)} ms each)`)
  assert.deepEqual(errors.slice(0, 5), [], `${errors.length} workers failed`)
  const counts = new Int32Array(cell)
  assert.equal(counts[0], WORKERS, 'every worker took the Mutex once, one at a time')
  assert.equal(counts[1], WORKERS / 1000, 'each worker that died holding it was taken over from, once')
  assert.equal(mutex.tryLock(), true)
  mutex.unlock()
  const registered = ThreadRegistry.local().registered()
  assert.ok(registered <= 64 + AT_ONCE, `${registered} threads still registered: dead ones' slots are reused`)
})
