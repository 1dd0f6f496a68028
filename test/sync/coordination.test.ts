// WaitGroup, Once and Semaphore coordinating real worker threads.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Once, Semaphore, WaitGroup, watch } from '../../src/index.js'
import { Gate, start, stillPending } from '../helpers/workers.js'

/** A failing test fails within this, instead of hanging until the runner's timeout. */
const LIMIT = { timeout: 30_000 }

const N = 4

function workers(wg: WaitGroup, done: SharedArrayBuffer) {
  // Uneven work, longer than a wait slice, so that wait() really waits for the slowest.
  return Array.from({ length: N }, (_, i) => start('waitGroupWork', { handle: wg.handle, done, workMs: 40 + 60 * i }))
}

test('WaitGroup: wait() returns only after all N workers called done()', LIMIT, async () => {
  const wg = new WaitGroup()
  const done = new SharedArrayBuffer(4)
  wg.add(N)
  const running = workers(wg, done)
  await null // lets the start line open before this thread blocks (helpers/workers.ts)
  wg.wait({ timeout: 20_000 })
  assert.equal(Atomics.load(new Int32Array(done), 0), N, 'every worker had finished its work when wait() returned')
  assert.equal(wg.count, 0)
  await Promise.all(running.map((w) => w.result))
})

test('WaitGroup: waitAsync() resolves only after all N workers called done()', LIMIT, async () => {
  const wg = new WaitGroup()
  const done = new SharedArrayBuffer(4)
  wg.add(N)
  const running = workers(wg, done)
  await wg.waitAsync({ timeout: 20_000 })
  assert.equal(Atomics.load(new Int32Array(done), 0), N)
  await Promise.all(running.map((w) => w.result))
})

test('WaitGroup: owned obligations (add(1, worker)) of live, busy workers are waited for, not declared dead', LIMIT, async () => {
  const wg = new WaitGroup()
  const done = new SharedArrayBuffer(4)
  const running = workers(wg, done)
  for (const { worker } of running) {
    watch(worker)
    wg.add(1, worker)
  }
  await wg.waitAsync({ timeout: 20_000 })
  assert.equal(Atomics.load(new Int32Array(done), 0), N)
  await Promise.all(running.map((w) => w.result))
})

test('Once: N workers call do(fn) at once; fn runs exactly once and every caller returns after it finished', LIMIT, async () => {
  const once = new Once()
  const runs = new SharedArrayBuffer(8)
  const callers = Array.from({ length: N }, () => start('onceRun', { handle: once.handle, runs }))
  const finishedSeen = (await Promise.all(callers.map((c) => c.result))) as number[]
  assert.equal(new Int32Array(runs)[0], 1, 'fn ran exactly once')
  assert.deepEqual(finishedSeen, Array(N).fill(1), 'each caller returned after fn had finished')
  assert.equal(once.done, true)
})

test('Once: fn throwing reaches its caller, does not count, and a later do() runs fn again', LIMIT, async () => {
  const once = new Once()
  const failure = new Error('init failed')
  assert.throws(() => once.do(() => { throw failure }), (err) => err === failure)
  assert.equal(once.done, false)
  await assert.rejects(once.doAsync(async () => { throw failure }), (err) => err === failure)
  assert.equal(once.done, false)
  let runs = 0
  once.do(() => { runs++ })
  once.do(() => { runs++ })
  await once.doAsync(() => { runs++ })
  assert.equal(runs, 1)
  assert.equal(once.done, true)
})

test('Once: when the runner thread\'s fn throws, its caller gets the error and a waiting thread runs fn', LIMIT, async () => {
  const once = new Once()
  const gate = new Gate()
  const runner = start('onceThrow', { handle: once.handle, gate: gate.buffer })
  await runner.event('running')
  let ranHere = 0
  const waiting = once.doAsync(() => { ranHere++ }, { timeout: 20_000 })
  assert.equal(await stillPending(waiting, 150), true, 'a caller waits while fn runs elsewhere')
  gate.open()
  await assert.rejects(runner.result, { message: 'fn failed' })
  await waiting
  assert.equal(ranHere, 1)
  assert.equal(once.done, true)
})

test('Semaphore is fair and weighted: a small request queued behind a large one does not overtake it', LIMIT, async () => {
  const sem = new Semaphore(3)
  sem.acquire(3)
  const order = new SharedArrayBuffer(4)
  const big = start('semQueue', { handle: sem.handle, permits: 3, order, holdMs: 50 })
  await big.event('queued')
  const small = start('semQueue', { handle: sem.handle, permits: 1, order, holdMs: 0 })
  await small.event('queued')
  // One permit comes free: enough for the small request, but the large one is first.
  sem.release(1)
  assert.equal(await stillPending(small.result, 300), true, 'the 1-permit waiter must not overtake the 3-permit waiter')
  assert.equal(Atomics.load(new Int32Array(order), 0), 0)
  assert.equal(sem.tryAcquire(1), false, 'tryAcquire does not overtake the queue either')
  sem.release(2)
  assert.equal(await big.result, 1, 'the large request went first')
  assert.equal(await small.result, 2)
  assert.equal(sem.available, 3)
})

test('Semaphore bounds concurrency: never more than capacity inside, and capacity is reached', LIMIT, async () => {
  const capacity = 2
  const sem = new Semaphore(capacity)
  const inside = new SharedArrayBuffer(8)
  const runs = Array.from({ length: N }, () => start('semaphoreBound', { handle: sem.handle, inside, iterations: 5000 }))
  const maxima = (await Promise.all(runs.map((r) => r.result))) as number[]
  assert.ok(maxima.every((m) => m <= capacity), `maxima ${maxima.join(', ')}`)
  assert.equal(Atomics.load(new Int32Array(inside), 1), capacity, 'the workers did run side by side')
  assert.equal(sem.available, capacity)
})
