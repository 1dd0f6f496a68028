// Timeouts and aborts. A worker holds each primitive; the parent's timed waits give up
// with ERR_LOCK_TIMEOUT on time (not early, not much late), aborted async waits reject
// with exactly `signal.reason`, and afterwards the primitive is clean: another thread
// takes it with a try-form, and no waiter misses the release.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Mutex, Once, RWMutex, Semaphore, WaitGroup } from '../../src/index.js'
import { assertTimedOut, expectTimeout, Gate, start, stillPending, type Started } from '../helpers/workers.js'

/** A failing test fails within this, instead of hanging until the runner's timeout. */
const LIMIT = { timeout: 30_000 }

const TIMEOUT = 150

interface Holding {
  readonly holder: Started
  /** Lets the holder release, and waits until it has. */
  release(): Promise<void>
}

async function heldByWorker(kind: string, handle: unknown, extra: Record<string, unknown> = {}): Promise<Holding> {
  const gate = new Gate()
  const holder = start('hold', { kind, handle, gate: gate.buffer, ...extra })
  await holder.event('holding')
  return {
    holder,
    async release() {
      gate.open()
      await holder.result
    },
  }
}

/** Another thread's try-form succeeds (and gives back what it took). */
async function takenElsewhere(kind: string, handle: unknown, extra: Record<string, unknown> = {}): Promise<void> {
  assert.equal(await start('try', { kind, handle, ...extra }).result, true, `a worker's try-form should take the ${kind} now`)
}

/** Snapshot of a primitive's shared words (white-box: proves a call left no trace). */
function wordsOf(handle: { buffer: SharedArrayBuffer; byteOffset: number }, count: number): number[] {
  return Array.from(new Int32Array(handle.buffer, handle.byteOffset, count))
}

function reasonIs(reason: unknown): (err: unknown) => true {
  return (err) => {
    assert.equal(err, reason, 'the rejection must be signal.reason itself')
    return true
  }
}

/** reasonIs for a signal that has not aborted yet: compares with its reason once it has. */
function reasonOf(signal: AbortSignal): (err: unknown) => true {
  return (err) => {
    assert.equal(signal.aborted, true)
    assert.notEqual(signal.reason, undefined)
    return reasonIs(signal.reason)(err)
  }
}

test('Mutex: lock, lockAsync, acquire, acquireAsync, runExclusive(Async) time out on time and leave it clean', LIMIT, async () => {
  const mutex = new Mutex()
  const held = await heldByWorker('mutex', mutex.handle)
  let ran = false
  await expectTimeout(() => mutex.lock({ timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => mutex.lockAsync({ timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => mutex.acquire({ timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => mutex.acquireAsync({ timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => mutex.runExclusive(() => (ran = true), { timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => mutex.runExclusiveAsync(() => (ran = true), { timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => mutex.lock({ timeout: 0 }), 0)
  assert.equal(ran, false)
  assert.equal(mutex.locked, true, 'the holder still holds it')
  await held.release()
  assert.equal(mutex.locked, false)
  await takenElsewhere('mutex', mutex.handle)
  assert.equal(mutex.tryLock(), true)
  mutex.unlock()
})

test('RWMutex: rlock/rlockAsync/lock/lockAsync/runReadAsync/runExclusiveAsync time out behind a writer; the write forms time out behind a reader, without keeping readers out', LIMIT, async () => {
  const rw = new RWMutex()
  const writer = await heldByWorker('rwmutex-write', rw.handle)
  await expectTimeout(() => rw.rlock({ timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => rw.rlockAsync({ timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => rw.acquireRead({ timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => rw.lock({ timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => rw.lockAsync({ timeout: TIMEOUT }), TIMEOUT)
  let ran = false
  await expectTimeout(() => rw.runReadAsync(() => (ran = true), { timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => rw.runExclusiveAsync(() => (ran = true), { timeout: TIMEOUT }), TIMEOUT)
  assert.equal(ran, false)
  assert.equal(rw.readers, 0, 'timed-out readers left no read lock behind')
  await writer.release()
  await takenElsewhere('rwmutex-write', rw.handle)

  const reader = await heldByWorker('rwmutex-read', rw.handle)
  await expectTimeout(() => rw.lock({ timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => rw.lockAsync({ timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => rw.acquire({ timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => rw.runExclusiveAsync(() => (ran = true), { timeout: TIMEOUT }), TIMEOUT)
  assert.equal(ran, false)
  assert.equal(await rw.runReadAsync(() => rw.readers, { timeout: TIMEOUT }), 2, 'readers share the lock with the worker')
  // A writer that gave up must not keep new readers waiting.
  assert.equal(rw.writeLocked, false)
  await takenElsewhere('rwmutex-read', rw.handle)
  assert.equal(rw.tryRLock(), true)
  rw.runlock()
  await reader.release()
  await takenElsewhere('rwmutex-write', rw.handle)
})

test('Semaphore: acquire/acquireAsync time out while the permits are held; the queue is left clean', LIMIT, async () => {
  const sem = new Semaphore(2)
  const held = await heldByWorker('semaphore', sem.handle, { permits: 2 })
  await expectTimeout(() => sem.acquire(1, { timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => sem.acquireAsync(2, { timeout: TIMEOUT }), TIMEOUT)
  assert.equal(sem.available, 0)
  await held.release()
  assert.equal(sem.available, 2)
  // Nobody is left queued ahead: a try-form (which never overtakes a queue) succeeds.
  await takenElsewhere('semaphore', sem.handle, { permits: 2 })
  assert.equal(sem.tryAcquire(2), true)
  sem.release(2)
})

test('WaitGroup: wait/waitAsync time out while the counter is above 0, and return once it reaches 0', LIMIT, async () => {
  const wg = new WaitGroup()
  wg.add(1)
  await expectTimeout(() => wg.wait({ timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => wg.waitAsync({ timeout: TIMEOUT }), TIMEOUT)
  assert.equal(wg.count, 1)
  const waiter = start('take', { kind: 'waitgroup', handle: wg.handle, timeout: 10_000 })
  await waiter.event('waiting')
  wg.done()
  await waiter.result
  wg.wait({ timeout: 0 })
})

test('Once: do/doAsync time out while another thread runs fn; fn is not run by them', LIMIT, async () => {
  const once = new Once()
  const runner = await heldByWorker('once', once.handle)
  let ran = false
  await expectTimeout(() => once.do(() => (ran = true), { timeout: TIMEOUT }), TIMEOUT)
  await expectTimeout(() => once.doAsync(() => (ran = true), { timeout: TIMEOUT }), TIMEOUT)
  assert.equal(ran, false)
  assert.equal(once.done, false)
  await runner.release()
  assert.equal(once.done, true)
  once.do(() => (ran = true))
  assert.equal(ran, false)
})

test('aborts: AbortSignal.timeout and AbortController reject lockAsync/acquireAsync with exactly signal.reason, on time', LIMIT, async () => {
  const mutex = new Mutex()
  const held = await heldByWorker('mutex', mutex.handle)

  const timeoutSignal = AbortSignal.timeout(TIMEOUT)
  let began = performance.now()
  await assert.rejects(mutex.lockAsync({ signal: timeoutSignal }), reasonOf(timeoutSignal))
  assertTimedOut(performance.now() - began, TIMEOUT)
  assert.equal((timeoutSignal.reason as Error).name, 'TimeoutError')

  const controller = new AbortController()
  const reason = { why: 'the user went away' }
  setTimeout(() => controller.abort(reason), TIMEOUT)
  began = performance.now()
  await assert.rejects(mutex.acquireAsync({ signal: controller.signal }), reasonIs(reason))
  assertTimedOut(performance.now() - began, TIMEOUT)

  // A signal that never fires does not disturb a lock that does come.
  const idle = new AbortController()
  const later = mutex.acquireAsync({ signal: idle.signal, timeout: 10_000 })
  await held.release()
  const guard = await later
  idle.abort('too late to matter')
  assert.equal(mutex.locked, true)
  guard.release()
  await takenElsewhere('mutex', mutex.handle)
})

test('aborts: every async form of RWMutex, Semaphore, WaitGroup and Once rejects with signal.reason and leaves the primitive usable', LIMIT, async () => {
  const abortSoon = () => {
    const controller = new AbortController()
    const reason = new Error('cancelled by the test')
    setTimeout(() => controller.abort(reason), 50)
    return { signal: controller.signal, reason }
  }

  const rw = new RWMutex()
  const writer = await heldByWorker('rwmutex-write', rw.handle)
  for (const form of ['rlockAsync', 'acquireReadAsync', 'lockAsync', 'acquireAsync'] as const) {
    const { signal, reason } = abortSoon()
    await assert.rejects(rw[form]({ signal }), reasonIs(reason), form)
  }
  await writer.release()
  const reader = await heldByWorker('rwmutex-read', rw.handle)
  {
    // A writer aborted while waiting for readers to leave must reopen the lock to readers.
    const { signal, reason } = abortSoon()
    await assert.rejects(rw.lockAsync({ signal }), reasonIs(reason))
    assert.equal(rw.writeLocked, false)
    await takenElsewhere('rwmutex-read', rw.handle)
  }
  await reader.release()
  await takenElsewhere('rwmutex-write', rw.handle)

  const sem = new Semaphore(2)
  const permits = await heldByWorker('semaphore', sem.handle, { permits: 2 })
  {
    const { signal, reason } = abortSoon()
    await assert.rejects(sem.acquireAsync(2, { signal }), reasonIs(reason))
  }
  await permits.release()
  await takenElsewhere('semaphore', sem.handle, { permits: 2 })

  const wg = new WaitGroup()
  wg.add(1)
  {
    const { signal, reason } = abortSoon()
    await assert.rejects(wg.waitAsync({ signal }), reasonIs(reason))
  }
  wg.done()
  await wg.waitAsync({ timeout: 1000 })

  const once = new Once()
  const runner = await heldByWorker('once', once.handle)
  {
    const { signal, reason } = abortSoon()
    let ran = false
    await assert.rejects(once.doAsync(() => (ran = true), { signal }), reasonIs(reason))
    assert.equal(ran, false)
  }
  await runner.release()
  assert.equal(once.done, true)
})

test('an already-aborted signal rejects without touching the primitive, free or held', LIMIT, async () => {
  const reason = new Error('aborted before the call')
  const signal = AbortSignal.abort(reason)

  const free = new Mutex()
  await assert.rejects(free.lockAsync({ signal }), reasonIs(reason))
  await assert.rejects(free.acquireAsync({ signal }), reasonIs(reason))
  await assert.rejects(free.runExclusiveAsync(() => assert.fail('fn must not run'), { signal }), reasonIs(reason))
  assert.equal(free.locked, false, 'an aborted call must not take a free lock')

  const held = new Mutex()
  const holding = await heldByWorker('mutex', held.handle)
  const before = wordsOf(held.handle, 3)
  await assert.rejects(held.lockAsync({ signal }), reasonIs(reason))
  assert.deepEqual(wordsOf(held.handle, 3), before, 'not even the waiters bit was set')
  await holding.release()

  const rw = new RWMutex()
  await assert.rejects(rw.lockAsync({ signal }), reasonIs(reason))
  await assert.rejects(rw.rlockAsync({ signal }), reasonIs(reason))
  await assert.rejects(rw.runReadAsync(() => assert.fail('fn must not run'), { signal }), reasonIs(reason))
  await assert.rejects(rw.runExclusiveAsync(() => assert.fail('fn must not run'), { signal }), reasonIs(reason))
  assert.equal(rw.writeLocked, false)
  assert.equal(rw.readers, 0)

  const sem = new Semaphore(2)
  await assert.rejects(sem.acquireAsync(1, { signal }), reasonIs(reason))
  assert.equal(sem.available, 2)

  const once = new Once()
  await assert.rejects(once.doAsync(() => assert.fail('fn must not run'), { signal }), reasonIs(reason))
  assert.equal(once.done, false)

  const wg = new WaitGroup()
  wg.add(1)
  await assert.rejects(wg.waitAsync({ signal }), reasonIs(reason))
  assert.equal(wg.count, 1)
})

test('after an abort no wake-up is lost: a third waiter gets the lock promptly when the holder releases', LIMIT, async () => {
  const mutex = new Mutex()
  const held = await heldByWorker('mutex', mutex.handle)
  // The parent's waiter sleeps first, so a release's single wake-up would go to it.
  const controller = new AbortController()
  const aborted = mutex.lockAsync({ signal: controller.signal })
  const third = start('take', { kind: 'mutex', handle: mutex.handle, timeout: 20_000 })
  await third.event('waiting')
  assert.equal(await stillPending(third.result, 100), true)
  controller.abort('gone')
  await assert.rejects(aborted, reasonIs('gone'))
  const releasedAt = performance.now()
  await held.release()
  assert.deepEqual(await third.result, { ownerDied: false })
  const took = performance.now() - releasedAt
  assert.ok(took < 1500, `the third waiter got the lock ${took.toFixed(0)} ms after the release`)
  assert.equal(mutex.locked, false)
  assert.equal(mutex.tryLock(), true)
  mutex.unlock()
})

test('Semaphore: a waiter aborted while another thread is inside the semaphore still gives its place in the queue back', LIMIT, async () => {
  // White-box: the semaphore's internal lock word (word 1) is made to name a live
  // worker, as when that worker is inside acquire/release at the moment of the abort.
  const sem = new Semaphore(1)
  sem.acquire(1)
  const bystander = await heldByWorker('mutex', new Mutex().handle)
  const controller = new AbortController()
  const queued = sem.acquireAsync(1, { signal: controller.signal })
  await new Promise((resolve) => setTimeout(resolve, 20))
  const words = new Int32Array(sem.handle.buffer, sem.handle.byteOffset)
  assert.equal(Atomics.compareExchange(words, 1, 0, ((bystander.holder.worker.threadId + 1) << 1) | 1), 0)
  const bystanderLeft = new Promise<void>((resolve) =>
    setTimeout(() => {
      Atomics.store(words, 1, 0)
      Atomics.notify(words, 1)
      resolve()
    }, 100),
  )
  controller.abort('gone')
  await assert.rejects(queued, reasonIs('gone'))
  await bystanderLeft
  sem.release(1)
  assert.equal(sem.tryAcquire(1), true, 'the aborted ticket must not block the head of the queue')
  sem.release(1)
  await bystander.release()
})

test('ERR_LOCK_TIMEOUT names who holds what was waited for, by threadId, and that it is alive', LIMIT, async () => {
  const names = (threadId: number) => (err: unknown) => {
    assert.ok(err instanceof Error && (err as { code?: string }).code === 'ERR_LOCK_TIMEOUT', String(err))
    assert.match(err.message, new RegExp(`^timed out after \\d+ ms: .+ before the deadline; held by thread ${threadId} \\(alive\\)$`))
    return true
  }
  const mutex = new Mutex()
  const rw = new RWMutex()
  const sem = new Semaphore(2)
  const once = new Once()
  const cases: Array<[string, unknown, (threadId: number) => Promise<void>]> = [
    ['mutex', mutex.handle, async (id) => assert.throws(() => mutex.lock({ timeout: TIMEOUT }), names(id))],
    ['rwmutex-write', rw.handle, async (id) => await assert.rejects(rw.rlockAsync({ timeout: TIMEOUT }), names(id))],
    ['rwmutex-read', rw.handle, async (id) => assert.throws(() => rw.lock({ timeout: TIMEOUT }), names(id))],
    ['semaphore', sem.handle, async (id) => await assert.rejects(sem.acquireAsync(1, { timeout: TIMEOUT }), names(id))],
    ['once', once.handle, async (id) => assert.throws(() => once.do(() => undefined, { timeout: TIMEOUT }), names(id))],
  ]
  for (const [kind, handle, check] of cases) {
    const held = await heldByWorker(kind, handle, { permits: 2 })
    await check(held.holder.worker.threadId)
    await held.release()
  }
})
