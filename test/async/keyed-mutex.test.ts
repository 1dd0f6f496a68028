// KeyedMutex among the async tasks of one thread, with real timers: no two holders of
// a key at once under 1000 tasks with random awaits (and the read-await-write
// increments they make come out exact), FIFO grants, hand-off that keeps a re-locking
// task from starving its siblings, multi-key requests in opposite orders that never
// deadlock, timeouts and aborts that leave no trace, guards that refuse a second
// release, and no memory kept for idle keys.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KeyedMutex, type KeyedGuard } from '../../src/index.js'
import { compareKeys, orderedKeys } from '../../src/async/key-order.js'
import { sleep, stillPending, withCode } from '../helpers/workers.js'

const LIMIT = { timeout: 60_000 }

/** A deterministic pseudo-random source, so that a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

/** Lets queued microtasks and zero-delay timers run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

test('1000 tasks with random awaits: never two holders of a key, and every increment counted', LIMIT, async () => {
  const locks = new KeyedMutex<string>()
  const next = random(14)
  const keys = ['a', 'b', 'c', 'd', 'e']
  const holders = new Map<string, number>()
  const counts = new Map<string, number>()
  let overlaps = 0
  const task = async (i: number): Promise<void> => {
    const key = keys[Math.floor(next() * keys.length)] as string
    const pause = Math.floor(next() * 3)
    await sleep(pause)
    await locks.runExclusive(key, async () => {
      if ((holders.get(key) ?? 0) !== 0) overlaps++
      holders.set(key, (holders.get(key) ?? 0) + 1)
      const n = counts.get(key) ?? 0
      if (i % 3 === 0) await sleep(pause)
      else await Promise.resolve()
      counts.set(key, n + 1)
      holders.set(key, (holders.get(key) ?? 0) - 1)
    })
  }
  await Promise.all(Array.from({ length: 1000 }, (_, i) => task(i)))
  assert.equal(overlaps, 0, 'two tasks held one key at once')
  assert.equal([...counts.values()].reduce((a, b) => a + b, 0), 1000, 'a racy read-await-write increment was lost')
  assert.equal(locks.size, 0, 'every key is freed at the end')
})

test('a key is granted in exactly the order it was requested', LIMIT, async () => {
  const locks = new KeyedMutex()
  const first = await locks.lock('k')
  const order: number[] = []
  const waiters = Array.from({ length: 50 }, (_, i) =>
    locks.runExclusive('k', async () => {
      order.push(i)
      await sleep(i % 2)
    }),
  )
  await turn()
  first.release()
  await Promise.all(waiters)
  assert.deepEqual(order, Array.from({ length: 50 }, (_, i) => i))
})

test('hand-off: a task that locks again right after unlocking queues behind its siblings', LIMIT, async () => {
  const locks = new KeyedMutex()
  const grants: string[] = []
  const greedy = async (): Promise<void> => {
    for (let round = 0; round < 5; round++) {
      const guard = await locks.lock('k')
      grants.push('greedy')
      await Promise.resolve()
      guard.release()
    }
  }
  const sibling = async (name: string): Promise<void> => {
    for (let round = 0; round < 5; round++) {
      await locks.runExclusive('k', () => void grants.push(name))
    }
  }
  await Promise.all([greedy(), sibling('s1'), sibling('s2')])
  assert.deepEqual(grants.slice(0, 6), ['greedy', 's1', 's2', 'greedy', 's1', 's2'])
  for (let i = 0; i + 3 <= grants.length; i += 3) assert.equal(new Set(grants.slice(i, i + 3)).size, 3, `round ${i / 3} gave each task one turn: ${grants.join(' ')}`)
})

test('several keys: sorted, deduplicated, and requests in opposite orders never deadlock', LIMIT, async () => {
  const locks = new KeyedMutex()
  const guard = await locks.lock(['b', 'a', 'b', 2, 1n, 0, -0, NaN, NaN, 10, 'A'])
  assert.deepEqual(guard.keys, ['A', 'a', 'b', 0, 2, 10, NaN, 1n])
  guard.release()
  assert.equal(locks.size, 0)
  const next = random(7)
  const pool = ['x', 'y', 'z', 1, 2, 3n]
  let held = 0
  await Promise.all(
    Array.from({ length: 300 }, async () => {
      const picked = pool.filter(() => next() < 0.5)
      const keys = picked.length === 0 ? ['x'] : picked.sort(() => next() - 0.5)
      await locks.runExclusive(keys, async (g) => {
        held++
        assert.deepEqual([...g.keys], orderedKeys(keys))
        await sleep(next() < 0.2 ? 1 : 0)
      })
    }),
  )
  assert.equal(held, 300)
  assert.equal(locks.size, 0)
})

test('the key order is total over strings, numbers and bigints, and equal means SameValueZero', () => {
  const keys = [3n, -1n, 'b', '', 'a\uD800', 'a', 2, -Infinity, Infinity, NaN, -0, 0.5]
  const sorted = [...keys].sort(compareKeys)
  assert.deepEqual(sorted, ['', 'a', 'a\uD800', 'b', -Infinity, -0, 0.5, 2, Infinity, NaN, -1n, 3n])
  assert.equal(compareKeys(0, -0), 0)
  assert.equal(compareKeys(NaN, NaN), 0)
  assert.notEqual(compareKeys(1, '1'), 0)
  assert.notEqual(compareKeys(1, 1n), 0)
  for (const a of keys) for (const b of keys) assert.equal(Math.sign(compareKeys(a, b)) + Math.sign(compareKeys(b, a)), 0, 'antisymmetric')
})

test('timeout: ERR_LOCK_TIMEOUT, and the request leaves no trace in the queue', LIMIT, async () => {
  const locks = new KeyedMutex()
  const holder = await locks.lock('k')
  const began = performance.now()
  await assert.rejects(locks.lock('k', { timeout: 30 }), withCode('ERR_LOCK_TIMEOUT'))
  assert.ok(performance.now() - began >= 25)
  await assert.rejects(locks.lock('k', { timeout: 0 }), withCode('ERR_LOCK_TIMEOUT'))
  const next = locks.lock('k')
  holder.release()
  const guard = await next
  assert.deepEqual(guard.keys, ['k'], 'the timed-out requests were skipped')
  guard.release()
  assert.equal(locks.size, 0)
  await assert.rejects(locks.lock('k', { timeout: -1 }), withCode('ERR_INVALID_ARGUMENT'))
})

test('a multi-key request that times out releases the keys it already held', LIMIT, async () => {
  const locks = new KeyedMutex()
  const holdsB = await locks.lock('b')
  const both = locks.lock(['a', 'b'], { timeout: 30 })
  await turn()
  assert.equal(locks.isLocked('a'), true, 'a is held while b is awaited')
  const waitsForA = locks.lock('a')
  assert.equal(await stillPending(waitsForA, 5), true)
  await assert.rejects(both, (err: unknown) => withCode('ERR_LOCK_TIMEOUT')(err) && /key string "b"/.test((err as Error).message))
  const a = await waitsForA
  a.release()
  holdsB.release()
  assert.equal(locks.size, 0)
})

test('abort: rejects with signal.reason, before or while waiting, and leaves no trace', LIMIT, async () => {
  const locks = new KeyedMutex()
  const reason = new Error('gone')
  await assert.rejects(locks.lock('k', { signal: AbortSignal.abort(reason) }), (err) => err === reason)
  assert.equal(locks.size, 0, 'an aborted signal takes nothing')
  const holdsB = await locks.lock('b')
  const controller = new AbortController()
  const waiting = locks.lock(['a', 'b', 'c'], { signal: controller.signal })
  const behind = locks.lock('b')
  await turn()
  controller.abort(reason)
  await assert.rejects(waiting, (err) => err === reason)
  assert.equal(locks.isLocked('a'), false, 'the key already taken is released')
  holdsB.release()
  const b = await behind
  assert.equal(locks.isLocked('c'), false)
  b.release()
  assert.equal(locks.size, 0)
  const late = new AbortController()
  const guard = await locks.lock('k', { signal: late.signal })
  late.abort()
  assert.equal(guard.released, false, 'an abort after the grant changes nothing')
  guard.release()
})

test('guards: a second release throws ERR_GUARD_RELEASED; disposal after release does nothing', LIMIT, async () => {
  const locks = new KeyedMutex()
  const guard = await locks.lock('k')
  guard.release()
  assert.throws(() => guard.release(), withCode('ERR_GUARD_RELEASED'))
  assert.throws(() => guard.assertHeld(), withCode('ERR_GUARD_RELEASED'))
  guard[Symbol.dispose]()
  await guard[Symbol.asyncDispose]()
  let inner: KeyedGuard | undefined
  {
    await using held = await locks.lock('k')
    inner = held
    assert.equal(locks.isLocked('k'), true)
  }
  assert.equal(inner.released, true)
  assert.equal(locks.isLocked('k'), false)
  const early = await locks.runExclusive('k', (g) => {
    g.release()
    return 'released early'
  })
  assert.equal(early, 'released early')
  await assert.rejects(
    locks.runExclusive('k', async () => {
      throw new Error('boom')
    }),
    /boom/,
  )
  assert.equal(locks.size, 0, 'a rejecting fn releases its key')
  await assert.rejects(locks.lock([]), withCode('ERR_INVALID_ARGUMENT'))
  await assert.rejects(locks.lock({} as never), withCode('ERR_INVALID_KEY'))
})

test('a million distinct keys locked once each leave nothing behind', LIMIT, async () => {
  const locks = new KeyedMutex<number>()
  for (let i = 0; i < 1_000_000; i++) (await locks.lock(i)).release()
  assert.equal(locks.size, 0)
  const guards = await Promise.all(Array.from({ length: 1000 }, (_, i) => locks.lock(i)))
  assert.equal(locks.size, 1000)
  for (const g of guards) g.release()
  assert.equal(locks.size, 0)
})
