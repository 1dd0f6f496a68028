// Misuse is reported with a stable code, not hung and not silently accepted, and the
// failed call changes nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Worker, threadId } from 'node:worker_threads'
import { Mutex, Once, RWMutex, Semaphore, WaitGroup, markThreadDead, watch } from '../../src/index.js'
import { Gate, start, withCode } from '../helpers/workers.js'

/** A failing test fails within this, instead of hanging until the runner's timeout. */
const LIMIT = { timeout: 30_000 }

async function misuseIn(op: string, handle: unknown): Promise<unknown> {
  return start('misuse', { op, handle }).result
}

test('unlock from a thread that does not hold the lock: ERR_NOT_LOCKED, and the lock stays held', LIMIT, async () => {
  const mutex = new Mutex()
  mutex.lock()
  assert.equal(await misuseIn('mutex.unlock', mutex.handle), 'ERR_NOT_LOCKED')
  assert.equal(mutex.locked, true)
  assert.equal(await start('try', { kind: 'mutex', handle: mutex.handle }).result, false)
  mutex.unlock()
  assert.throws(() => mutex.unlock(), withCode('ERR_NOT_LOCKED'))
  assert.equal(await misuseIn('mutex.unlock', mutex.handle), 'ERR_NOT_LOCKED')

  const rw = new RWMutex()
  rw.lock()
  assert.equal(await misuseIn('rwmutex.unlock', rw.handle), 'ERR_NOT_LOCKED')
  assert.equal(await misuseIn('rwmutex.runlock', rw.handle), 'ERR_NOT_LOCKED')
  assert.equal(rw.writeLocked, true)
  rw.unlock()
  rw.rlock()
  assert.equal(await misuseIn('rwmutex.runlock', rw.handle), 'ERR_NOT_LOCKED')
  assert.equal(await misuseIn('rwmutex.unlock', rw.handle), 'ERR_NOT_LOCKED')
  assert.equal(rw.readers, 1)
  rw.runlock()
})

test('a worker\'s unlock of a lock another worker holds: ERR_NOT_LOCKED, the holder keeps it', LIMIT, async () => {
  const mutex = new Mutex()
  const gate = new Gate()
  const holder = start('hold', { kind: 'mutex', handle: mutex.handle, gate: gate.buffer })
  await holder.event('holding')
  assert.equal(await misuseIn('mutex.unlock', mutex.handle), 'ERR_NOT_LOCKED')
  assert.throws(() => mutex.unlock(), withCode('ERR_NOT_LOCKED'))
  assert.equal(mutex.tryLock(), false)
  gate.open()
  assert.equal(await holder.result, 'released')
})

test('RWMutex: a stray runlock() while this thread waits in rlockAsync() is ERR_NOT_LOCKED, and writers still get in', LIMIT, async () => {
  const rw = new RWMutex()
  const gate = new Gate()
  const writer = start('hold', { kind: 'rwmutex-write', handle: rw.handle, gate: gate.buffer })
  await writer.event('holding')
  // The waiting reader marks this thread's slot; the mark is not a read lock.
  const reading = rw.rlockAsync({ timeout: 20_000 })
  assert.throws(() => rw.runlock(), withCode('ERR_NOT_LOCKED'))
  assert.equal(rw.readers, 0)
  gate.open()
  assert.equal(await writer.result, 'released')
  await reading
  assert.equal(rw.readers, 1)
  rw.runlock()
  assert.throws(() => rw.runlock(), withCode('ERR_NOT_LOCKED'))
  assert.equal(rw.readers, 0)
  assert.equal(await start('try', { kind: 'rwmutex-write', handle: rw.handle }).result, true)
})

test('Semaphore: release of permits the thread does not hold is ERR_NOT_LOCKED and returns nothing', LIMIT, async () => {
  const sem = new Semaphore(3)
  const guard = sem.acquire(2)
  assert.equal(await misuseIn('semaphore.release', sem.handle), 'ERR_NOT_LOCKED')
  assert.throws(() => sem.release(3), withCode('ERR_NOT_LOCKED'))
  assert.equal(sem.available, 1)
  guard.release()
  assert.throws(() => sem.release(1), withCode('ERR_NOT_LOCKED'))
  assert.equal(sem.available, 3)
})

test('blocking on a lock this thread holds is ERR_DEADLOCK, not a hang', LIMIT, () => {
  const mutex = new Mutex()
  mutex.lock()
  assert.throws(() => mutex.lock(), withCode('ERR_DEADLOCK'))
  assert.throws(() => mutex.acquire(), withCode('ERR_DEADLOCK'))
  assert.throws(() => mutex.runExclusive(() => assert.fail('must not run')), withCode('ERR_DEADLOCK'))
  mutex.unlock()
  assert.equal(mutex.locked, false, 'the failed calls did not add a hold')
  assert.throws(() => mutex.runExclusive(() => mutex.lock()), withCode('ERR_DEADLOCK'))
  assert.equal(mutex.locked, false)

  const rw = new RWMutex()
  rw.lock()
  assert.throws(() => rw.lock(), withCode('ERR_DEADLOCK'))
  assert.throws(() => rw.rlock({ timeout: 2000 }), withCode('ERR_DEADLOCK'))
  assert.throws(() => rw.acquireRead(), withCode('ERR_DEADLOCK'))
  assert.equal(rw.readers, 0)
  rw.unlock()
  rw.rlock()
  assert.throws(() => rw.lock({ timeout: 2000 }), withCode('ERR_DEADLOCK'))
  assert.equal(rw.writeLocked, false, 'a refused writer leaves readers free to enter')
  rw.runlock()

  const once = new Once()
  assert.throws(() => once.do(() => once.do(() => undefined)), withCode('ERR_DEADLOCK'))
  assert.equal(once.done, false, 'fn threw, so once is not done')
  once.do(() => undefined)
  assert.equal(once.done, true)
})

test('WaitGroup: a negative counter is ERR_NEGATIVE_COUNTER and changes nothing', LIMIT, async () => {
  const wg = new WaitGroup()
  assert.throws(() => wg.add(-1), withCode('ERR_NEGATIVE_COUNTER'))
  assert.throws(() => wg.done(), withCode('ERR_NEGATIVE_COUNTER'))
  assert.equal(wg.count, 0)
  wg.add(2)
  assert.throws(() => wg.add(-3), withCode('ERR_NEGATIVE_COUNTER'))
  assert.equal(wg.count, 2)
  wg.done()
  wg.done()
  assert.throws(() => wg.done(), withCode('ERR_NEGATIVE_COUNTER'))
  assert.equal(await misuseIn('waitgroup.done', wg.handle), 'ERR_NEGATIVE_COUNTER')
  assert.equal(wg.count, 0)
  wg.wait({ timeout: 0 })

  // Owned obligations: a worker's own count cannot go below 0 either.
  const gate = new Gate()
  const worker = start('hold', { kind: 'waitgroup', handle: wg.handle, gate: gate.buffer })
  watch(worker.worker)
  wg.add(1, worker.worker)
  assert.throws(() => wg.add(-2, worker.worker), withCode('ERR_NEGATIVE_COUNTER'))
  assert.equal(wg.count, 1)
  // The parent cannot pay the worker's obligation with done(): it has none, and no unowned count.
  assert.throws(() => wg.done(), withCode('ERR_NEGATIVE_COUNTER'))
  assert.equal(wg.count, 1)
  gate.open()
  assert.equal(await worker.result, 'done')
  wg.wait({ timeout: 1000 })
})

test('bad options and arguments are ERR_INVALID_ARGUMENT and leave the primitive as it was', LIMIT, async () => {
  const invalid = withCode('ERR_INVALID_ARGUMENT')
  const mutex = new Mutex()
  for (const timeout of [-1, Number.NaN, '100' as unknown as number, -Infinity]) {
    assert.throws(() => mutex.lock({ timeout }), invalid, `timeout ${String(timeout)}`)
    await assert.rejects(async () => mutex.lockAsync({ timeout }), invalid)
    await assert.rejects(async () => mutex.acquireAsync({ timeout }), invalid)
  }
  assert.equal(mutex.locked, false)

  for (const readerSlots of [0, -1, 1.5, 70_000]) assert.throws(() => new RWMutex({ readerSlots }), invalid)
  const rw = new RWMutex()
  assert.throws(() => rw.rlock({ timeout: -5 }), invalid)
  await assert.rejects(async () => rw.lockAsync({ timeout: Number.NaN }), invalid)
  assert.equal(rw.readers, 0)
  assert.equal(rw.writeLocked, false)

  for (const permits of [0, -1, 1.5, Number.NaN, 2 ** 30]) assert.throws(() => new Semaphore(permits), invalid)
  assert.throws(() => new Semaphore(2, { holderSlots: 0 }), invalid)
  assert.throws(() => new Semaphore(2, { queueSize: 0 }), invalid)
  const sem = new Semaphore(3)
  for (const n of [0, -1, 1.5, 4, Number.NaN]) {
    assert.throws(() => sem.acquire(n), invalid, `acquire(${n})`)
    assert.throws(() => sem.tryAcquire(n), invalid)
    assert.throws(() => sem.release(n), invalid)
    await assert.rejects(sem.acquireAsync(n), invalid)
  }
  assert.throws(() => sem.acquire(1, { timeout: -1 }), invalid)
  assert.equal(sem.available, 3)

  assert.throws(() => new WaitGroup({ ownerSlots: 0 }), invalid)
  const wg = new WaitGroup()
  for (const delta of [1.5, Number.NaN, Infinity]) assert.throws(() => wg.add(delta), invalid)
  assert.throws(() => wg.wait({ timeout: -1 }), invalid)
  assert.equal(wg.count, 0)

  const once = new Once()
  assert.throws(() => once.do(() => undefined, { timeout: -1 }), invalid)
  assert.equal(once.done, false)

  // Threads that have exited cannot be watched or given obligations; no thread declares itself dead.
  const worker = new Worker('', { eval: true })
  await new Promise((resolve) => worker.once('exit', resolve))
  assert.throws(() => watch(worker), invalid)
  assert.throws(() => wg.add(1, worker), invalid)
  assert.equal(wg.count, 0)
  assert.throws(() => markThreadDead(threadId), invalid)
})
