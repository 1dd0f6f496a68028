// Deaths nobody watched. A worker dies holding a shard, a Mutex or a WaitGroup
// obligation, and the test thread, already blocked in a synchronous call, can run no
// 'exit' listener: the death must be found from shared memory (the dying thread's
// exit hook, or its beacons once terminate() tore it down). Each test first shows
// the holder alive: a short lockTimeout fails naming it, and changes nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { Mutex, SharedMap, WaitGroup, isConmapError, type Concurrency } from '../../src/index.js'
import { GateState } from '../../src/map/failpoints.js'
import { Gate, mapWorkerFile, reached, start, withCode } from '../helpers/workers.js'

const dyingWorkerFile = fileURLToPath(new URL('./dying-worker.js', import.meta.url))
const LIMIT = { timeout: 60_000 }
/** A death must be found within this: teardown takes 5-30 ms, a wait slice 50 ms; the rest is a loaded 2-core machine. */
const RECOVERY_MS = 3000
const LOCKING: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex']

/** A validator: ERR_LOCK_TIMEOUT whose message names threadId as `state`. */
function timeoutNaming(threadId: number, state: string): (err: unknown) => true {
  return (err) => {
    assert.ok(isConmapError(err, 'ERR_LOCK_TIMEOUT'), `expected ERR_LOCK_TIMEOUT, got ${String(err)}`)
    assert.match(err.message, new RegExp(`thread ${threadId} \\(${state}`))
    return true
  }
}

/** Runs a synchronous call and returns how long it blocked. */
function timed(call: () => void): number {
  const began = performance.now()
  call()
  return performance.now() - began
}

for (const concurrency of LOCKING) {
  test(`'${concurrency}': terminate() not awaited, the next set, blocked in a synchronous wait, takes the shard over`, LIMIT, async () => {
    const map = new SharedMap<string, string>({ concurrency, shards: 4, lockTimeout: 200 })
    map.set('k', 'before')
    const holder = start('holdInUpdate', { handle: map.handle, key: 'k', gate: new Gate().buffer }, dyingWorkerFile)
    await holder.event('holding')
    const { threadId } = holder.worker
    assert.throws(() => map.set('k', 'during'), timeoutNaming(threadId, 'alive'))
    const patient = SharedMap.attach<string, string>(map.handle, { lockTimeout: 30_000 })
    void holder.worker.terminate()
    const took = timed(() =>
      patient.update('k', (value) => {
        assert.equal(value, 'before', 'neither the timed-out set nor the dead update changed the map')
        return 'after'
      }),
    )
    assert.ok(took < RECOVERY_MS, `recovery took ${took.toFixed(0)} ms`)
    assert.equal(map.get('k'), 'after')
    assert.ok(map.stats().recoveries >= 1, 'the shard was repaired')
    map.checkInvariants()
  })

  test(`'${concurrency}': process.exit() inside an update() callback; the blocked next call recovers`, LIMIT, async () => {
    const map = new SharedMap<string, string>({ concurrency, shards: 4, lockTimeout: 30_000 })
    map.set('k', 'before')
    const gate = new Gate()
    const holder = start('exitInUpdate', { handle: map.handle, key: 'k', gate: gate.buffer }, dyingWorkerFile)
    await holder.event('holding')
    gate.open()
    const took = timed(() => map.set('k', 'after'))
    assert.ok(took < RECOVERY_MS, `recovery took ${took.toFixed(0)} ms`)
    assert.equal(map.get('k'), 'after')
    await assert.rejects(holder.result, /exited with code 3/)
    map.checkInvariants()
  })
}

test("'optimistic': a get spinning on a shard whose writer was terminated mid-write (not awaited) repairs it; behind a live one it gives up after lockTimeout", LIMIT, async () => {
  const map = new SharedMap<string, string>({ concurrency: 'optimistic', shards: 4, readCache: 0 })
  map.set('k', 'old')
  const gate = new SharedArrayBuffer(4)
  const writer = start('parked', { handle: map.handle, op: 'set', key: 'k', value: 'new', point: 'put:replaced', gate }, mapWorkerFile)
  assert.equal(await reached(gate, 10_000), true, 'the writer parked inside its change')
  const impatient = SharedMap.attach<string, string>(map.handle, { lockTimeout: 200, readCache: 0 })
  assert.throws(() => impatient.get('k'), timeoutNaming(writer.worker.threadId, 'alive'))
  void writer.worker.terminate()
  let value: string | undefined
  const took = timed(() => {
    value = map.get('k')
  })
  assert.ok(took < RECOVERY_MS, `the read took ${took.toFixed(0)} ms`)
  assert.ok(value === 'old' || value === 'new', `read ${String(value)}`)
  assert.ok(map.stats().recoveries >= 1)
  assert.notEqual(Atomics.load(new Int32Array(gate), 0), GateState.RELEASED, 'the writer never went on')
  map.checkInvariants()
})

test('Mutex: a worker crashing inside the locked section; lock() with no timeout, already blocked, takes over (ownerDied)', LIMIT, async () => {
  const mutex = new Mutex()
  const gate = new Gate()
  const holder = start('crashInMutex', { handle: mutex.handle, gate: gate.buffer }, dyingWorkerFile)
  await holder.event('holding')
  assert.throws(() => mutex.lock({ timeout: 150 }), timeoutNaming(holder.worker.threadId, 'alive'))
  gate.open()
  let ownerDied = false
  const took = timed(() => {
    const guard = mutex.acquire()
    ownerDied = guard.ownerDied
    guard.release()
  })
  assert.ok(took < RECOVERY_MS, `recovery took ${took.toFixed(0)} ms`)
  assert.equal(ownerDied, true)
  await assert.rejects(holder.result, { message: 'crash inside the locked section' })
})

test("WaitGroup: Go's wg.add(1, w); wg.wait() with a worker that crashes owing done(): ERR_OWNER_DIED, not a hang", LIMIT, async () => {
  const wg = new WaitGroup()
  const gate = new Gate()
  const worker = start('crashOwing', { handle: wg.handle, gate: gate.buffer }, dyingWorkerFile)
  wg.add(1, worker.worker)
  await worker.event('holding')
  gate.open()
  const took = timed(() => assert.throws(() => wg.wait(), withCode('ERR_OWNER_DIED')))
  assert.ok(took < RECOVERY_MS, `wait() took ${took.toFixed(0)} ms`)
  assert.equal(wg.count, 0)
})

test('a thread that never ran conmap code is unknown, not alive; its exit, learnt once the waiter is back in its event loop, ends the wait', LIMIT, async () => {
  const wg = new WaitGroup()
  const parked = new Int32Array(new SharedArrayBuffer(4))
  const { Worker } = await import('node:worker_threads')
  const worker = new Worker('const { workerData } = require("node:worker_threads"); Atomics.wait(workerData, 0, 0)', { eval: true, workerData: parked })
  await new Promise((resolve) => worker.once('online', resolve))
  wg.add(1, worker)
  assert.throws(() => wg.wait({ timeout: 200 }), timeoutNaming(worker.threadId, 'unknown'))
  // Nobody called watch(worker): conmap watches every Worker created after it loaded.
  await worker.terminate()
  await assert.rejects(wg.waitAsync({ timeout: RECOVERY_MS }), withCode('ERR_OWNER_DIED'))
})
