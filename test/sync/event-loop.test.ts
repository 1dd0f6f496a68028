// Threads that must not block. On a browser-style thread (Atomics.wait throws, as on a
// browser main thread; the one platform mock of these tests) the blocking forms fail
// with ERR_WAIT_FORBIDDEN and the async forms work. On Node's main thread, the async
// forms wait without blocking the event loop.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Mutex, Once, RWMutex, Semaphore, WaitGroup } from '../../src/index.js'
import { Gate, start } from '../helpers/workers.js'

/** A failing test fails within this, instead of hanging until the runner's timeout. */
const LIMIT = { timeout: 30_000 }

test('browser-style thread: blocking forms throw ERR_WAIT_FORBIDDEN (cause kept); async forms work', LIMIT, async () => {
  const mutex = new Mutex()
  const rw = new RWMutex()
  const sem = new Semaphore(1)
  const wg = new WaitGroup()
  mutex.lock()
  rw.lock()
  sem.acquire(1)
  wg.add(1)
  const browser = start('forbiddenWait', { handle: mutex.handle, rw: rw.handle, sem: sem.handle, wg: wg.handle })
  await browser.event('tried')
  mutex.unlock()
  rw.unlock()
  sem.release(1)
  wg.done()
  const { blocking, asyncDone } = (await browser.result) as { blocking: Record<string, unknown>; asyncDone: boolean }
  const forbidden = { code: 'ERR_WAIT_FORBIDDEN', cause: 'Atomics.wait cannot be called in this context' }
  assert.deepEqual(blocking, {
    'Mutex.lock': forbidden,
    'RWMutex.rlock': forbidden,
    'Semaphore.acquire': forbidden,
    'WaitGroup.wait': forbidden,
  })
  assert.equal(asyncDone, true)
  assert.equal(mutex.locked, false)
  assert.equal(rw.readers, 0)
  assert.equal(sem.available, 1, 'the failed blocking acquire left no ticket in the queue')
})

/**
 * A worker holds a primitive until the main thread's interval timer has ticked
 * TICKS times while the main thread awaits the async form. If the await blocked the
 * event loop, the timer could not tick, the holder would never let go, and the
 * await's own timeout would fail the test.
 */
const TICKS = 5

async function awaitWhileTicking(kind: string, handle: unknown, wait: () => Promise<unknown>, extra: Record<string, unknown> = {}): Promise<void> {
  const gate = new Gate()
  const holder = start('hold', { kind, handle, gate: gate.buffer, ...extra })
  await holder.event('holding')
  let ticks = 0
  let acquired = false
  let ticksBeforeAcquired = 0
  const timer = setInterval(() => {
    ticks++
    if (!acquired) ticksBeforeAcquired = ticks
    if (ticks === TICKS) gate.open()
  }, 10)
  try {
    await wait()
    acquired = true
  } finally {
    clearInterval(timer)
  }
  assert.ok(ticksBeforeAcquired >= TICKS, `the event loop ticked ${ticksBeforeAcquired} times during the wait`)
  await holder.result
}

test('Node main thread: lockAsync, rlockAsync, acquireAsync, waitAsync and doAsync keep the event loop running while they wait', LIMIT, async () => {
  const options = { timeout: 10_000 }
  const mutex = new Mutex()
  await awaitWhileTicking('mutex', mutex.handle, async () => {
    await mutex.lockAsync(options)
    mutex.unlock()
  })
  const rw = new RWMutex()
  await awaitWhileTicking('rwmutex-write', rw.handle, async () => {
    await rw.rlockAsync(options)
    rw.runlock()
  })
  await awaitWhileTicking('rwmutex-read', rw.handle, async () => {
    await rw.lockAsync(options)
    rw.unlock()
  })
  const sem = new Semaphore(2)
  await awaitWhileTicking('semaphore', sem.handle, async () => (await sem.acquireAsync(2, options)).release(), { permits: 2 })
  const wg = new WaitGroup()
  wg.add(1)
  await awaitWhileTicking('waitgroup', wg.handle, () => wg.waitAsync(options))
  const once = new Once()
  let ran = false
  await awaitWhileTicking('once', once.handle, () => once.doAsync(() => (ran = true), options))
  assert.equal(ran, false, 'the worker ran fn; the main thread waited for it')
  assert.equal(once.done, true)
})
