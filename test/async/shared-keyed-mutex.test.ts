// SharedKeyedMutex across real worker threads: racy read-await-write increments on a
// SharedMap come out exact under the lock (and lose updates without it), multi-key
// requests in random orders from several workers never deadlock even when keys share
// stripes, a worker killed holding a key hands it on with ownerDied, timeouts and
// aborts leave no trace, guards refuse a second release, the handle travels through
// share()/attachShared(), and threads take turns on a hot key.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { SharedKeyedMutex, SharedMap, attachShared, share } from '../../src/index.js'
import { Gate, start, stillPending, withCode, type Started } from '../helpers/workers.js'

const workerFile = fileURLToPath(new URL('./keyed-worker.js', import.meta.url))
const LIMIT = { timeout: 120_000 }
const ALIVE_MS = 300

function run(scenario: string, data: Record<string, unknown>): Started {
  return start(scenario, data, workerFile)
}

function holders(keys: readonly string[]): SharedArrayBuffer {
  return new SharedArrayBuffer(keys.length * 4)
}

/** A key whose stripe is not held now: while a worker holds `held`, it is on another stripe. */
function freeKey(locks: SharedKeyedMutex<string>, prefix: string): string {
  for (let i = 0; ; i++) if (!locks.isLocked(`${prefix}${i}`)) return `${prefix}${i}`
}

async function holding(locks: SharedKeyedMutex<string>, keys: readonly string[]): Promise<{ holder: Started; gate: Gate }> {
  const gate = new Gate()
  const holder = run('hold', { locks: locks.handle, keys, gate: gate.buffer })
  await holder.event('holding')
  return { holder, gate }
}

test('4 workers x 8 tasks of racy read-await-write increments: exact under the lock, never two holders; lost without it', LIMIT, async () => {
  const locks = new SharedKeyedMutex<string>()
  const counts = new SharedMap<string, number>({ codec: 'number' })
  const keys = ['a', 'b', 'c']
  const data = { locks: locks.handle, counts: counts.handle, keys, holders: holders(keys), tasks: 8, rounds: 150, locked: true }
  const results = await Promise.all(Array.from({ length: 4 }, (_, seed) => run('increment', { ...data, seed: seed + 1 }).result))
  assert.deepEqual(results, Array.from({ length: 4 }, () => ({ overlaps: 0 })))
  const total = keys.reduce((sum, key) => sum + (counts.get(key) ?? 0), 0)
  assert.equal(total, 4 * 8 * 150)
  assert.equal(keys.some((key) => locks.isLocked(key)), false)

  const racy = new SharedMap<string, number>({ codec: 'number' })
  await Promise.all(Array.from({ length: 2 }, (_, seed) => run('increment', { ...data, counts: racy.handle, locked: false, seed: seed + 1 }).result))
  const racyTotal = keys.reduce((sum, key) => sum + (racy.get(key) ?? 0), 0)
  assert.ok(racyTotal < 2 * 8 * 150, `without the lock, ${racyTotal} of ${2 * 8 * 150} increments were counted: the control must lose some`)
})

test('multi-key requests in random orders from 4 workers, keys sharing 2 stripes: no deadlock, never two holders', LIMIT, async () => {
  const locks = new SharedKeyedMutex<string>({ stripes: 2 })
  const keys = ['a', 'b', 'c', 'd', 'e', 'f']
  const data = { locks: locks.handle, keys, holders: holders(keys), tasks: 6, rounds: 100, timeout: 30_000 }
  const results = await Promise.all(Array.from({ length: 4 }, (_, seed) => run('multi', { ...data, seed: seed + 7 }).result))
  assert.deepEqual(results, Array.from({ length: 4 }, () => ({ overlaps: 0 })))
  assert.equal(keys.some((key) => locks.isLocked(key)), false)
})

test('two keys on one stripe are taken once: a lone stripe never waits for itself', LIMIT, async () => {
  const locks = new SharedKeyedMutex<string>({ stripes: 1 })
  const guard = await locks.lock(['b', 'a', 'b'], { timeout: 1_000 })
  assert.deepEqual(guard.keys, ['a', 'b'])
  const other = locks.lock('c', { timeout: 5_000 })
  assert.equal(await stillPending(other, 50), true, "'c' shares the stripe, so it waits")
  guard.release()
  ;(await other).release()
  assert.equal(locks.isLocked('a'), false)
})

test('a worker killed holding keys: the waiting worker takes them over with ownerDied, the next holder is not told again', LIMIT, async () => {
  const locks = new SharedKeyedMutex<string>()
  const { holder } = await holding(locks, ['k', 'j'])
  const waiter = run('take', { locks: locks.handle, keys: ['j'], timeout: 20_000 })
  await waiter.event('waiting')
  assert.equal(await stillPending(waiter.result, ALIVE_MS), true, 'the waiter must not get in while the holder is alive')
  await holder.worker.terminate()
  assert.deepEqual(await waiter.result, { ownerDied: true })
  const guard = await locks.lock('k', { timeout: 5_000 })
  assert.equal(guard.ownerDied, true, "'k' was the dead worker's too")
  guard.release()
  const again = await locks.lock(['k', 'j'], { timeout: 1_000 })
  assert.equal(again.ownerDied, false)
  again.release()
})

test('timeout: ERR_LOCK_TIMEOUT naming the key, and the keys taken meanwhile are released', LIMIT, async () => {
  const locks = new SharedKeyedMutex<string>()
  const { holder, gate } = await holding(locks, ['busy'])
  const free = freeKey(locks, 'free')
  await assert.rejects(locks.lock([free, 'busy'], { timeout: 100 }), (err: Error) => withCode('ERR_LOCK_TIMEOUT')(err) && /key string "busy"/.test(err.message))
  assert.equal(locks.isLocked(free), false, 'the other key was released')
  await assert.rejects(locks.lock('busy', { timeout: 0 }), withCode('ERR_LOCK_TIMEOUT'))
  gate.open()
  await holder.result
  const guard = await locks.lock([free, 'busy'], { timeout: 0 })
  guard.release()
})

test('abort: rejects with signal.reason, before or while waiting, and leaves no trace', LIMIT, async () => {
  const locks = new SharedKeyedMutex<string>()
  const { holder, gate } = await holding(locks, ['busy'])
  const free = freeKey(locks, 'free')
  const reason = new Error('user left')
  await assert.rejects(locks.lock('busy', { signal: AbortSignal.abort(reason) }), (err) => err === reason)
  const controller = new AbortController()
  const waiting = locks.lock([free, 'busy'], { signal: controller.signal })
  assert.equal(await stillPending(waiting, 100), true)
  controller.abort(reason)
  await assert.rejects(waiting, (err) => err === reason)
  assert.equal(locks.isLocked(free), false)
  // A task of this thread queued behind the aborted one is not left behind.
  const behind = locks.lock('busy', { timeout: 20_000 })
  gate.open()
  await holder.result
  ;(await behind).release()
  ;(await locks.lock([free, 'busy'], { timeout: 0 })).release()
})

test('guards: a second release throws ERR_GUARD_RELEASED, assertHeld after release too; runExclusive releases on a throw', LIMIT, async () => {
  const locks = new SharedKeyedMutex<string>()
  const guard = await locks.lock('g')
  guard.assertHeld()
  guard.release()
  assert.throws(() => guard.release(), withCode('ERR_GUARD_RELEASED'))
  assert.throws(() => guard.assertHeld(), withCode('ERR_GUARD_RELEASED'))
  const boom = new Error('boom')
  await assert.rejects(locks.runExclusive('g', () => Promise.reject(boom)), (err) => err === boom)
  assert.equal(locks.isLocked('g'), false)
})

test('through share()/attachShared(): 2 workers attach the same objects and count exactly under the lock', LIMIT, async () => {
  const locks = new SharedKeyedMutex<string>({ stripes: 64 })
  const counts = new SharedMap<string, number>({ codec: 'number' })
  const conmap = share({ locks, counts })
  const keys = ['x', 'y']
  const data = { conmap, keys, holders: holders(keys), tasks: 4, rounds: 100, locked: true }
  const results = await Promise.all(Array.from({ length: 2 }, (_, seed) => run('shared', { ...data, seed: seed + 3 }).result))
  assert.deepEqual(results, [
    { overlaps: 0, same: true, stripes: 64 },
    { overlaps: 0, same: true, stripes: 64 },
  ])
  assert.equal((counts.get('x') ?? 0) + (counts.get('y') ?? 0), 2 * 4 * 100)
  const here = attachShared(conmap)
  assert.ok(here.locks instanceof SharedKeyedMutex && here.locks.stripes === 64)
})

test('bad input: stripes that are no power of two, foreign handles and bad keys are refused with their codes', async () => {
  for (const stripes of [0, 3, 1.5, 2 ** 21, Number.NaN]) assert.throws(() => new SharedKeyedMutex({ stripes }), withCode('ERR_INVALID_ARGUMENT'))
  assert.throws(() => SharedKeyedMutex.attach({ conmap: 'Mutex' } as never), withCode('ERR_INVALID_HANDLE'))
  const map = new SharedMap()
  assert.throws(() => SharedKeyedMutex.attach(map.handle as never), withCode('ERR_INVALID_HANDLE'))
  const locks = new SharedKeyedMutex()
  assert.throws(() => locks.isLocked({} as never), withCode('ERR_INVALID_KEY'))
  await assert.rejects(locks.lock([]), withCode('ERR_INVALID_ARGUMENT'))
  await assert.rejects(locks.lock('k', { timeout: -1 }), withCode('ERR_INVALID_ARGUMENT'))
  await assert.rejects(locks.lock(null as never), withCode('ERR_INVALID_KEY'))
})

test('an attach in the same thread shares its queues: two views of one mutex exclude each other', LIMIT, async () => {
  const locks = new SharedKeyedMutex<string>()
  const view = SharedKeyedMutex.attach<string>(locks.handle)
  const guard = await locks.lock('v')
  const other = view.lock('v', { timeout: 5_000 })
  assert.equal(await stillPending(other, 50), true)
  guard.release()
  ;(await other).release()
})

test('fairness: 4 workers x 4 tasks re-locking one hot key take turns; no worker is starved', LIMIT, async () => {
  const locks = new SharedKeyedMutex<string>()
  const total = 8000
  const log = new SharedArrayBuffer((2 + total) * 4)
  const results = (await Promise.all(Array.from({ length: 4 }, (_, index) => run('fairness', { locks: locks.handle, log, index, tasks: 4, workers: 4 }).result))) as Array<{ grants: number }>
  const grants = results.map((result) => result.grants)
  assert.equal(grants.reduce((a, b) => a + b, 0), total)
  const order = new Int32Array(log, 8)
  let longest = 0
  for (let i = 0, run = 0; i < total; i++) {
    run = i > 0 && order[i] === order[i - 1] ? run + 1 : 1
    longest = Math.max(longest, run)
  }
  console.log(`grants per worker ${grants.join(' / ')}, longest run by one worker ${longest}`)
  // Starvation, not a share: Mutex.lockAsync, with no hand-off, leaves some worker with 0 grants in most rounds of
  // scripts/keyed-fairness.mjs; how even the shares are is measured there, not asserted on a loaded machine.
  for (const got of grants) assert.ok(got > 0, `grants per worker ${grants.join(' / ')}: one worker was starved`)
})
