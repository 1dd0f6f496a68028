// Guards: a held lock as a value. `using` / `await using` release at scope end (also
// on throw), release is idempotent (a stale guard never unlocks a later hold, in this
// thread or another), and a guard refuses use after release: seed 004's bug, a timer
// or closure made inside the critical section that writes after the unlock, becomes
// ERR_GUARD_RELEASED instead of a silent race.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Mutex, RWMutex, Semaphore, type Guard } from '../../src/index.js'
import { Gate, sleep, start, withCode } from '../helpers/workers.js'

/** A failing test fails within this, instead of hanging until the runner's timeout. */
const LIMIT = { timeout: 30_000 }

/** Whether a worker's try-form takes the lock right now. */
async function freeElsewhere(kind: string, handle: unknown): Promise<boolean> {
  return (await start('try', { kind, handle }).result) as boolean
}

test('using: the guard holds the Mutex for the block and releases it at the block end', LIMIT, async () => {
  const mutex = new Mutex()
  {
    using guard = mutex.acquire()
    assert.equal(guard.released, false)
    assert.equal(await freeElsewhere('mutex', mutex.handle), false, 'held inside the block')
  }
  assert.equal(mutex.locked, false)
  assert.equal(await freeElsewhere('mutex', mutex.handle), true, 'released after the block')
})

test('using: a throw out of the block releases the Mutex and the RWMutex', LIMIT, () => {
  const mutex = new Mutex()
  const rw = new RWMutex()
  assert.throws(() => {
    using write = mutex.acquire()
    using read = rw.acquireRead()
    assert.ok(!write.released && !read.released)
    throw new Error('boom')
  }, /boom/)
  assert.equal(mutex.locked, false)
  assert.equal(rw.readers, 0)
})

test('await using: acquireAsync guards of Mutex, RWMutex (both sides) and Semaphore release at scope end', LIMIT, async () => {
  const mutex = new Mutex()
  const rw = new RWMutex()
  const sem = new Semaphore(3)
  {
    await using m = await mutex.acquireAsync()
    await using r = await rw.acquireReadAsync()
    await using s = await sem.acquireAsync(2)
    assert.equal(mutex.locked, true)
    assert.equal(rw.readers, 1)
    assert.equal(sem.available, 1)
    assert.equal(await freeElsewhere('rwmutex-write', rw.handle), false)
    assert.ok(!m.released && !r.released && !s.released)
  }
  assert.equal(mutex.locked, false)
  assert.equal(rw.readers, 0)
  assert.equal(sem.available, 3)
  {
    await using w = await rw.acquireAsync()
    assert.equal(rw.writeLocked, true)
    assert.equal(await freeElsewhere('rwmutex-read', rw.handle), false)
    assert.equal(w.ownerDied, false)
  }
  assert.equal(rw.writeLocked, false)
  await assert.rejects(async () => {
    await using m = await mutex.acquireAsync()
    assert.equal(m.released, false)
    throw new Error('async boom')
  }, /async boom/)
  assert.equal(mutex.locked, false)
})

test('release is idempotent: a stale guard does not unlock a later hold of this thread', LIMIT, async () => {
  const mutex = new Mutex()
  const first = mutex.acquire()
  first.release()
  assert.equal(first.released, true)
  const second = mutex.acquire()
  first.release()
  first[Symbol.dispose]()
  await first[Symbol.asyncDispose]()
  assert.equal(mutex.locked, true, 'the second hold survives the stale guard')
  assert.equal(await freeElsewhere('mutex', mutex.handle), false)
  second.release()
  assert.equal(await freeElsewhere('mutex', mutex.handle), true)

  const sem = new Semaphore(2)
  const permits = sem.acquire(2)
  permits.release()
  const again = sem.acquire(1)
  permits.release()
  assert.equal(sem.available, 1, 'a double release would have returned permits the thread no longer holds')
  again.release()
  assert.equal(sem.available, 2)
})

test('release is idempotent: a stale guard does not unlock another thread\'s later hold', LIMIT, async () => {
  const mutex = new Mutex()
  const guard = mutex.acquire()
  guard.release()
  const gate = new Gate()
  const holder = start('hold', { kind: 'mutex', handle: mutex.handle, gate: gate.buffer })
  await holder.event('holding')
  guard.release()
  assert.equal(mutex.locked, true)
  assert.equal(mutex.tryLock(), false)
  gate.open()
  assert.equal(await holder.result, 'released', 'the worker still held the lock and released it itself')
})

test('assertHeld() and run() throw ERR_GUARD_RELEASED after release, and run() does not call fn', LIMIT, () => {
  const guards: Guard[] = [new Mutex().acquire(), new RWMutex().acquire(), new RWMutex().acquireRead(), new Semaphore(1).acquire()]
  for (const guard of guards) {
    guard.assertHeld()
    assert.equal(guard.run(() => 42), 42)
    guard.release()
    assert.throws(() => guard.assertHeld(), withCode('ERR_GUARD_RELEASED'))
    let called = false
    assert.throws(() => guard.run(() => (called = true)), withCode('ERR_GUARD_RELEASED'))
    assert.equal(called, false)
  }
})

test('seed 004: a timer made inside the critical section that fires after the unlock is refused', LIMIT, async () => {
  const mutex = new Mutex()
  const shared = { balance: 0 }
  const late = new Promise<unknown>((resolve) => {
    using guard = mutex.acquire()
    shared.balance += 10
    // Go's time.AfterFunc inside a locked function: the callback outlives the lock.
    setTimeout(() => {
      try {
        guard.run(() => (shared.balance += 1))
        resolve('wrote without the lock')
      } catch (err) {
        resolve(err)
      }
    }, 20)
  })
  assert.equal(mutex.locked, false, 'the lock was released at the end of the block, before the timer')
  const outcome = await late
  withCode('ERR_GUARD_RELEASED')(outcome)
  assert.equal(shared.balance, 10, 'the late write did not happen')
})

test('seed 004: a deferred closure of a read-locked section cannot write after runlock', LIMIT, async () => {
  const rw = new RWMutex()
  const deferred: Array<() => void> = []
  {
    using read = rw.acquireRead()
    deferred.push(() => read.assertHeld())
  }
  await sleep(1)
  assert.throws(() => deferred[0]?.(), withCode('ERR_GUARD_RELEASED'))
})

test('runExclusive / runExclusiveAsync / runRead / runReadAsync release the lock when fn throws or rejects', LIMIT, async () => {
  const mutex = new Mutex()
  assert.throws(() => mutex.runExclusive(() => { throw new Error('sync fail') }), /sync fail/)
  assert.equal(mutex.locked, false)
  await assert.rejects(mutex.runExclusiveAsync(async () => {
    await sleep(5)
    throw new Error('async fail')
  }), /async fail/)
  assert.equal(mutex.locked, false)
  await assert.rejects(mutex.runExclusiveAsync(() => { throw new Error('sync throw in async') }), /sync throw in async/)
  assert.equal(mutex.locked, false)
  assert.equal(await mutex.runExclusiveAsync(async () => 7), 7)
  assert.equal(mutex.runExclusive(() => 8), 8)
  assert.equal(await freeElsewhere('mutex', mutex.handle), true)

  const rw = new RWMutex()
  assert.throws(() => rw.runExclusive(() => { throw new Error('w') }), /w/)
  assert.throws(() => rw.runRead(() => { throw new Error('r') }), /r/)
  await assert.rejects(rw.runExclusiveAsync(async () => {
    await sleep(5)
    throw new Error('async w')
  }), /async w/)
  await assert.rejects(rw.runReadAsync(async () => {
    await sleep(5)
    throw new Error('async r')
  }), /async r/)
  await assert.rejects(rw.runReadAsync(() => { throw new Error('sync throw in async r') }), /sync throw in async r/)
  assert.equal(rw.writeLocked, false)
  assert.equal(rw.readers, 0)
  assert.equal(await rw.runExclusiveAsync(async () => rw.writeLocked), true, 'fn runs holding the write lock')
  assert.equal(await rw.runReadAsync(async () => rw.readers), 1, 'fn runs holding a read lock')
  assert.equal(rw.writeLocked, false)
  assert.equal(rw.readers, 0)
  assert.equal(await freeElsewhere('rwmutex-write', rw.handle), true)
})
