// Dead owners. A worker takes a primitive, says so, and is killed (worker.terminate(),
// or an uncaught exception). Once the worker is watched (watch(worker)), the threads
// waiting for what it held take it over within a bound and are told (guard.ownerDied,
// ERR_OWNER_DIED). Each test first checks that the waiter really waits while the holder
// lives, so a take-over that ignores liveness fails too. Deaths nobody watched are in
// unwatched-death.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { Mutex, Once, RWMutex, Semaphore, WaitGroup, markThreadDead, watch } from '../../src/index.js'
import { Gate, sleep, start, stillPending, withCode, type Started } from '../helpers/workers.js'

/** A failing test fails within this, instead of hanging until the runner's timeout. */
const LIMIT = { timeout: 30_000 }

/** A watched dead owner's primitive must be taken over within this (a wait slice is 50 ms). */
const RECOVERY_MS = 3000
/** How long a waiter is watched to stay blocked while the holder lives (several wait slices). */
const ALIVE_MS = 300

async function watchedHolder(kind: string, handle: unknown, extra: Record<string, unknown> = {}): Promise<Started> {
  const holder = start('hold', { kind, handle, gate: new Gate().buffer, ...extra })
  watch(holder.worker)
  await holder.event('holding')
  return holder
}

/** Kills `holder` and returns how long `waiting` then took to settle. */
async function killAndTime(holder: Started, waiting: Promise<unknown>): Promise<number> {
  assert.equal(await stillPending(waiting, ALIVE_MS), true, 'the waiter must not get in while the holder is alive')
  const killedAt = performance.now()
  await holder.worker.terminate()
  await waiting.catch(() => undefined)
  const took = performance.now() - killedAt
  assert.ok(took < RECOVERY_MS, `recovery took ${took.toFixed(0)} ms`)
  return took
}

test('Mutex: a killed holder is taken over by a waiting worker, then by the parent; ownerDied tells the first', LIMIT, async () => {
  const mutex = new Mutex()
  const holder = await watchedHolder('mutex', mutex.handle)
  const waiter = start('take', { kind: 'mutex', handle: mutex.handle, timeout: 20_000 })
  await waiter.event('waiting')
  await killAndTime(holder, waiter.result)
  assert.deepEqual(await waiter.result, { ownerDied: true })
  // The waiter released normally: the next holder is not told again.
  const guard = mutex.acquire({ timeout: 1000 })
  assert.equal(guard.ownerDied, false)
  guard.release()
  assert.equal(mutex.locked, false)
})

test('Mutex: the parent waiting in acquireAsync takes over from a killed holder', LIMIT, async () => {
  const mutex = new Mutex()
  const holder = await watchedHolder('mutex', mutex.handle)
  const acquiring = mutex.acquireAsync({ timeout: 20_000 })
  await killAndTime(holder, acquiring)
  const guard = await acquiring
  assert.equal(guard.ownerDied, true)
  assert.equal(mutex.ownerDied, true, 'the mutex reports the take-over while the new holder holds it')
  guard.release()
  assert.equal(mutex.ownerDied, false)
  assert.equal(mutex.tryLock(), true)
  mutex.unlock()
})

test('Mutex: a worker that dies of an uncaught exception while holding it is taken over', LIMIT, async () => {
  const mutex = new Mutex()
  const crasher = start('holdAndCrash', { handle: mutex.handle })
  watch(crasher.worker)
  const exitCode = new Promise((resolve) => crasher.worker.once('exit', resolve))
  await crasher.event('holding')
  // The worker really died of the exception (its 'error' event, exit code 1), not by a clean return.
  await assert.rejects(crasher.result, { message: 'crash while holding the lock' })
  assert.equal(await exitCode, 1)
  const guard = await mutex.acquireAsync({ timeout: RECOVERY_MS })
  assert.equal(guard.ownerDied, true)
  guard.release()
})

test('markThreadDead(): a thread the registry cannot probe (it never ran conmap code) is declared dead by hand', LIMIT, async () => {
  const wg = new WaitGroup()
  const parked = new Int32Array(new SharedArrayBuffer(4))
  const worker = new Worker('const { workerData } = require("node:worker_threads"); Atomics.wait(workerData, 0, 0)', { eval: true, workerData: parked })
  await once(worker, 'online')
  wg.add(1, worker)
  assert.throws(() => wg.wait({ timeout: 200 }), withCode('ERR_LOCK_TIMEOUT'))
  markThreadDead(worker.threadId)
  assert.throws(() => wg.wait({ timeout: RECOVERY_MS }), withCode('ERR_OWNER_DIED'))
  await worker.terminate()
})

test('RWMutex write lock: a killed writer is taken over by the next writer (ownerDied), and readers after it are warned until a clean write', LIMIT, async () => {
  const rw = new RWMutex()
  const holder = await watchedHolder('rwmutex-write', rw.handle)
  const writing = rw.acquireAsync({ timeout: 20_000 })
  await killAndTime(holder, writing)
  const write = await writing
  assert.equal(write.ownerDied, true)
  write.release()
  // Its write unlock counts as the repair: later readers are not warned.
  const read = rw.acquireRead({ timeout: 1000 })
  assert.equal(read.ownerDied, false)
  read.release()
})

test('RWMutex write lock: readers waiting behind a killed writer get in, with ownerDied on their guards', LIMIT, async () => {
  const rw = new RWMutex()
  const holder = await watchedHolder('rwmutex-write', rw.handle)
  const reader = start('take', { kind: 'rwmutex-read', handle: rw.handle, timeout: 20_000 })
  await reader.event('waiting')
  const reading = rw.acquireReadAsync({ timeout: 20_000 })
  await killAndTime(holder, Promise.all([reader.result, reading]))
  assert.deepEqual(await reader.result, { ownerDied: true })
  const read = await reading
  assert.equal(read.ownerDied, true)
  read.release()
  // The data stays suspect until a writer has unlocked cleanly.
  const write = rw.acquire({ timeout: 1000 })
  assert.equal(write.ownerDied, true, 'no write has repaired the data yet')
  write.release()
  const after = rw.acquireRead({ timeout: 1000 })
  assert.equal(after.ownerDied, false)
  after.release()
  assert.equal(rw.readers, 0)
})

test('RWMutex read lock: a writer waits for a live reader worker, and gets in once that reader is killed', LIMIT, async () => {
  const rw = new RWMutex()
  const holder = await watchedHolder('rwmutex-read', rw.handle)
  const writer = start('take', { kind: 'rwmutex-write', handle: rw.handle, timeout: 20_000 })
  await writer.event('waiting')
  // Two writers wait: whichever gets in first must let the other in after it.
  const writing = rw.acquireAsync({ timeout: 20_000 }).then((guard) => {
    guard.release()
    return guard.ownerDied
  })
  await killAndTime(holder, Promise.all([writer.result, writing]))
  // A reader cannot half-write the data: nobody is told the owner died.
  assert.deepEqual(await writer.result, { ownerDied: false })
  assert.equal(await writing, false)
  assert.equal(rw.readers, 0)
  assert.equal(rw.writeLocked, false)
})

test('RWMutex read lock: a writer reclaims a killed reader while live readers keep retrying behind it', LIMIT, async () => {
  const rw = new RWMutex()
  const holder = await watchedHolder('rwmutex-read', rw.handle)
  const writing = rw.acquireAsync({ timeout: 2 * RECOVERY_MS })
  // Each reader backing out at the end of its wait slice wakes the writer: three, out
  // of phase, wake it far more often than once a slice.
  const readers: Array<Promise<void>> = []
  for (let i = 0; i < 3; i++) {
    readers.push(rw.rlockAsync({ timeout: 20_000 }))
    await sleep(17)
  }
  await killAndTime(holder, writing)
  const write = await writing
  assert.equal(write.ownerDied, false)
  write.release()
  await Promise.all(readers)
  assert.equal(rw.readers, 3)
  for (let i = 0; i < 3; i++) rw.runlock()
  assert.equal(await start('try', { kind: 'rwmutex-write', handle: rw.handle }).result, true)
})

test('Semaphore: permits of a killed worker come back to the waiters', LIMIT, async () => {
  const sem = new Semaphore(3)
  const holder = await watchedHolder('semaphore', sem.handle, { permits: 2 })
  assert.equal(sem.available, 1)
  const waiter = start('take', { kind: 'semaphore', handle: sem.handle, permits: 3, timeout: 20_000 })
  await waiter.event('waiting')
  // Either waiter may be first in the queue: each gives its permits back at once.
  const acquiring = sem.acquireAsync(2, { timeout: 20_000 }).then((guard) => guard.release())
  await killAndTime(holder, Promise.all([waiter.result, acquiring]))
  await waiter.result
  await acquiring
  assert.equal(sem.available, 3)
  assert.equal(sem.tryAcquire(3), true)
  sem.release(3)
})

test('Semaphore: tryAcquire is not blocked by a waiter killed in the queue, nor by permits a killed holder kept', LIMIT, async () => {
  const sem = new Semaphore(3)
  const mine = sem.acquire(2)
  const holder = await watchedHolder('semaphore', sem.handle, { permits: 1 })
  const waiter = start('semQueue', { handle: sem.handle, permits: 2, order: new SharedArrayBuffer(4) })
  watch(waiter.worker)
  await waiter.event('queued')
  await waiter.worker.terminate()
  mine.release()
  assert.equal(sem.tryAcquire(2), true, 'the dead waiter at the head of the queue keeps the free permits from tryAcquire')
  sem.release(2)
  await holder.worker.terminate()
  assert.equal(sem.tryAcquire(3), true, 'the dead holder keeps its permit from tryAcquire')
  sem.release(3)
  assert.equal(await start('try', { kind: 'semaphore', handle: sem.handle, permits: 3 }).result, true)
  assert.equal(sem.available, 3)
})

test('Once: the runner dies mid-fn; a waiting caller then runs fn itself, and only it', LIMIT, async () => {
  const once = new Once()
  const holder = await watchedHolder('once', once.handle)
  let runs = 0
  const doing = once.doAsync(() => {
    runs++
  }, { timeout: 20_000 })
  const other = start('take', { kind: 'once', handle: once.handle, timeout: 20_000 })
  await other.event('waiting')
  await killAndTime(holder, Promise.all([doing, other.result]))
  await doing
  const { ran } = (await other.result) as { ran: boolean }
  assert.equal(runs + (ran ? 1 : 0), 1, 'exactly one of the survivors ran fn')
  assert.equal(once.done, true)
  once.do(() => {
    runs += 10
  })
  assert.ok(runs <= 1, 'fn does not run again once done')
})

test('WaitGroup: add(1, worker) obligations of a live worker are kept; killed without done(), wait() throws ERR_OWNER_DIED', LIMIT, async () => {
  const wg = new WaitGroup()
  // The obligation is recorded before the worker has run any conmap code.
  const holder = start('hold', { kind: 'waitgroup', handle: wg.handle, gate: new Gate().buffer })
  watch(holder.worker)
  wg.add(1, holder.worker)
  const waiting = wg.waitAsync({ timeout: 20_000 })
  await holder.event('holding')
  const waiter = start('take', { kind: 'waitgroup', handle: wg.handle, timeout: 20_000 })
  await waiter.event('waiting')
  await killAndTime(holder, Promise.all([waiting, waiter.result]))
  await assert.rejects(waiting, withCode('ERR_OWNER_DIED'))
  await assert.rejects(waiter.result, withCode('ERR_OWNER_DIED'))
  assert.equal(wg.count, 0)
  // A new round starts clean.
  wg.add(1)
  wg.done()
  wg.wait({ timeout: 1000 })
})

test('WaitGroup: with a plain add(n), a dead worker\'s count stays (Go semantics) until someone pays it', LIMIT, async () => {
  const wg = new WaitGroup()
  wg.add(1)
  const holder = await watchedHolder('waitgroup', wg.handle)
  await holder.worker.terminate()
  await assert.rejects(wg.waitAsync({ timeout: 200 }), withCode('ERR_LOCK_TIMEOUT'))
  assert.throws(() => wg.wait({ timeout: 200 }), withCode('ERR_LOCK_TIMEOUT'))
  assert.equal(wg.count, 1)
  wg.done()
  wg.wait({ timeout: 1000 })
})
