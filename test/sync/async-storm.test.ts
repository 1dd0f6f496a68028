// The async forms under a storm. In each of WORKERS workers, TASKS async tasks take
// one primitive through its async and try forms with random timeouts and aborts,
// often holding it across an await (fixture `asyncStorm`), while the parent kills
// workers mid-operation and starts new ones. Holders check in shared memory, all the
// time, that no two writers, no writer and reader, no more permits than exist are
// ever held at once, and that stray releases are refused. At the end every worker is
// killed where it stands, and the primitive must come back whole at once: no phantom
// reader keeps writers out, no dead waiter keeps tryAcquire from free permits.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Mutex, RWMutex, Semaphore, watch } from '../../src/index.js'
import { sleep, start, type Started } from '../helpers/workers.js'

/** A failing test fails within this, instead of hanging until the runner's timeout. */
const LIMIT = { timeout: 60_000 }

const WORKERS = 4
const TASKS = 4
/**
 * A storm lasts STORM_MS, and longer (up to 3 STORM_MS) until it has taken the
 * primitive MIN_OPS times and killed MIN_KILLS workers: on a loaded machine
 * workers boot slowly.
 */
const STORM_MS = 3000
const MIN_OPS = 300
const MIN_KILLS = 8
/** A kill every KILL_MS[0] to KILL_MS[1] ms, of a worker whose tasks are running. */
const KILL_MS = [60, 200] as const
/** Dead holders are taken over after a wait slice (50 ms): this is ample on a loaded machine. */
const RECOVERY_MS = 3000

/** Layouts shared with the fixture's asyncStorm. */
const STORM_ROW = 3
const Tally = { ops: 0, timeouts: 1, aborts: 2, violations: 3, probes: 4 } as const

async function storm(kind: string, handle: unknown, capacity = 1): Promise<void> {
  const rows = new Int32Array(new SharedArrayBuffer(WORKERS * STORM_ROW * 4))
  const tally = new Int32Array(new SharedArrayBuffer(Object.keys(Tally).length * 4))
  const fenced = new Int32Array(new SharedArrayBuffer(WORKERS * 4))
  const violations: string[] = []
  const workers: Started[] = []
  const spawn = (row: number) => {
    const started = start('asyncStorm', { kind, handle, capacity, rows: rows.buffer, row, tally: tally.buffer, fenced: fenced.buffer, tasks: TASKS })
    const { worker } = started
    // A killed worker's marks are fenced off before the kill (the fixture's checks skip
    // them): what it held may be taken over before this 'exit' event runs.
    worker.once('exit', () => {
      for (let at = row * STORM_ROW; at < (row + 1) * STORM_ROW; at++) Atomics.store(rows, at, 0)
      Atomics.store(fenced, row, 0)
    })
    watch(worker)
    worker.on('message', (message: { event?: string; value?: unknown }) => {
      if (message.event === 'violation') violations.push(`worker ${worker.threadId}: ${String(message.value)}`)
    })
    workers[row] = started
  }
  for (let row = 0; row < WORKERS; row++) spawn(row)
  let kills = 0
  const began = performance.now()
  for (;;) {
    const elapsed = performance.now() - began
    if (elapsed >= 3 * STORM_MS || (elapsed >= STORM_MS && (tally[Tally.ops] ?? 0) >= MIN_OPS && kills >= MIN_KILLS)) break
    await sleep(KILL_MS[0] + Math.random() * (KILL_MS[1] - KILL_MS[0]))
    const row = Math.floor(Math.random() * WORKERS)
    const victim = workers[row]
    await victim?.event('storming')
    Atomics.store(fenced, row, 1)
    await victim?.worker.terminate()
    kills++
    spawn(row)
  }
  await Promise.all(workers.map(({ worker }) => worker.terminate()))
  const result = {
    ops: tally[Tally.ops] ?? 0,
    timeouts: tally[Tally.timeouts] ?? 0,
    aborts: tally[Tally.aborts] ?? 0,
    probes: tally[Tally.probes] ?? 0,
    kills,
  }
  assert.equal(tally[Tally.violations], 0, `violations under the ${kind} storm (${JSON.stringify(result)}):\n${violations.join('\n')}`)
  // A storm that took nothing, or never timed out or aborted, would prove nothing.
  assert.ok(result.ops >= MIN_OPS && result.timeouts > 0 && result.aborts > 0 && result.probes > 0 && kills >= MIN_KILLS, JSON.stringify(result))
}

/** The primitive must be taken at once by another thread's try-form too. */
async function takenElsewhere(kind: string, handle: unknown, extra: Record<string, unknown> = {}): Promise<void> {
  assert.equal(await start('try', { kind, handle, ...extra }).result, true, `a worker's try-form should take the ${kind} now`)
}

test('Mutex under the async storm: one holder at a time; after the kills tryLock takes it at once', LIMIT, async () => {
  const mutex = new Mutex()
  await storm('mutex', mutex.handle)
  assert.equal(mutex.tryLock(), true, 'free, or held by a dead worker and taken over')
  mutex.unlock()
  await takenElsewhere('mutex', mutex.handle)
})

test('RWMutex under the async storm: writers alone, readers together; after the kills no phantom reader keeps writers out', LIMIT, async () => {
  const rw = new RWMutex()
  await storm('rwmutex', rw.handle)
  const write = await rw.acquireAsync({ timeout: RECOVERY_MS })
  assert.equal(rw.readers, 0)
  write.release()
  assert.equal(rw.tryRLock(), true)
  assert.equal(rw.readers, 1)
  rw.runlock()
  assert.equal(rw.readers, 0)
  await takenElsewhere('rwmutex-write', rw.handle)
})

test('Semaphore under the async storm: never more permits out than exist; after the kills tryAcquire takes every one', LIMIT, async () => {
  const sem = new Semaphore(3)
  await storm('semaphore', sem.handle, 3)
  for (let permit = 1; permit <= 3; permit++) assert.equal(sem.tryAcquire(1), true, `permit ${permit} of 3`)
  assert.equal(sem.available, 0)
  sem.release(3)
  assert.equal(sem.available, 3)
  await takenElsewhere('semaphore', sem.handle, { permits: 3 })
})
