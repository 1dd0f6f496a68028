// Mutual exclusion with real worker threads: workers increment a plain, non-atomic
// shared counter through a read-modify-write with a wide window. Without a lock the
// total comes out short (the first test proves the harness sees races); under every
// exclusive primitive it is exact.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Mutex, RWMutex, Semaphore } from '../../src/index.js'
import { start } from '../helpers/workers.js'

const WORKERS = 4
const ITERATIONS = 20_000

async function runIncrements(how: string, handle: unknown, scenario = 'increment'): Promise<number> {
  const cell = new SharedArrayBuffer(8)
  const runs = Array.from({ length: WORKERS }, () => start(scenario, { how, handle, cell, iterations: ITERATIONS }))
  await Promise.all(runs.map((r) => r.result))
  return new Int32Array(cell)[0] ?? 0
}

test('without a lock the racy increment loses updates (the harness can see races)', async () => {
  const total = await runIncrements('none', undefined)
  assert.ok(total < WORKERS * ITERATIONS, `expected lost updates, got the exact total ${total}`)
})

for (const how of ['mutex', 'mutex-try', 'mutex-guard', 'mutex-run'] as const) {
  test(`Mutex (${how}) keeps ${WORKERS} workers' increments exact`, async () => {
    const mutex = new Mutex()
    assert.equal(await runIncrements(how, mutex.handle), WORKERS * ITERATIONS)
    assert.equal(mutex.locked, false)
  })
}

test('Mutex.lockAsync keeps workers exact', async () => {
  const mutex = new Mutex()
  assert.equal(await runIncrements('mutex', mutex.handle, 'incrementAsync'), WORKERS * ITERATIONS)
})

test('RWMutex write lock keeps workers exact', async () => {
  const rw = new RWMutex()
  assert.equal(await runIncrements('rwmutex', rw.handle), WORKERS * ITERATIONS)
})

test('Semaphore(1) keeps workers exact', async () => {
  const sem = new Semaphore(1)
  assert.equal(await runIncrements('semaphore', sem.handle), WORKERS * ITERATIONS)
  assert.equal(sem.available, 1)
})

test('the main thread contends with workers through lockAsync without blocking its event loop', async () => {
  const mutex = new Mutex()
  const cell = new SharedArrayBuffer(8)
  const counter = new Int32Array(cell)
  const workers = Array.from({ length: 2 }, () => start('increment', { how: 'mutex', handle: mutex.handle, cell, iterations: ITERATIONS }))
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  const mine = 2000
  for (let i = 0; i < mine; i++) {
    await mutex.lockAsync()
    const seen = counter[0] ?? 0
    await Promise.resolve()
    counter[0] = seen + 1
    mutex.unlock()
  }
  await Promise.all(workers.map((w) => w.result))
  clearInterval(timer)
  assert.equal(counter[0], 2 * ITERATIONS + mine)
  assert.ok(ticks > 0, 'timers ran while the main thread waited for the lock')
})
