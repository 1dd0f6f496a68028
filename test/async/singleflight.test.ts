// Singleflight among the async tasks of one thread, with real timers: 1000 concurrent
// callers make one call; a rejection reaches every caller; a caller's signal ends its
// own wait only; fn's signal aborts when the last caller left, and the abandoned
// flight is never rejoined; forget() and the end of a flight let the next caller start
// afresh.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Singleflight } from '../../src/index.js'
import { sleep, stillPending, withCode } from '../helpers/workers.js'

const LIMIT = { timeout: 30_000 }

/** A promise and its resolvers, for holding a flight open until the test says. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((yes, no) => {
    resolve = yes
    reject = no
  })
  return { promise, resolve, reject }
}

test('1000 concurrent callers: one call, one value for all, shared', LIMIT, async () => {
  const flights = new Singleflight<string, number>()
  let calls = 0
  const results = await Promise.all(
    Array.from({ length: 1000 }, async (_, i) => {
      await sleep(i % 3)
      return flights.do('k', async () => {
        calls++
        await sleep(30)
        return 42
      })
    }),
  )
  assert.equal(calls, 1)
  assert.ok(results.every((r) => r.value === 42 && r.shared))
  assert.equal(flights.size, 0, 'an ended flight is gone')
  const alone = await flights.do('k', () => 7)
  assert.deepEqual(alone, { value: 7, shared: false }, 'the next caller calls fn afresh')
})

test('a rejection (or a synchronous throw) reaches every caller of the flight', LIMIT, async () => {
  const flights = new Singleflight<string, number>()
  const error = new Error('backend down')
  const gate = deferred<number>()
  const callers = Array.from({ length: 20 }, () => flights.do('k', () => gate.promise))
  gate.reject(error)
  const settled = await Promise.allSettled(callers)
  assert.ok(settled.every((s) => s.status === 'rejected' && s.reason === error))
  await assert.rejects(flights.do('k', () => { throw error }), (err) => err === error)
  assert.equal(flights.size, 0)
  await assert.rejects(flights.do('k', 'not a function' as never), withCode('ERR_INVALID_ARGUMENT'))
})

test("a caller's abort ends its wait only; fn's signal aborts when the last caller left", LIMIT, async () => {
  const flights = new Singleflight<string, string>()
  const gate = deferred<string>()
  let inner: AbortSignal | undefined
  const first = new AbortController()
  const second = new AbortController()
  const a = flights.do('k', (signal) => ((inner = signal), gate.promise), { signal: first.signal })
  const b = flights.do('k', () => 'never called', { signal: second.signal })
  const reasonA = new Error('a left')
  first.abort(reasonA)
  await assert.rejects(a, (err) => err === reasonA)
  assert.equal(inner?.aborted, false, 'b still waits')
  assert.equal(await stillPending(b, 10), true)
  const reasonB = new Error('b left')
  second.abort(reasonB)
  await assert.rejects(b, (err) => err === reasonB)
  assert.equal(inner?.aborted, true, 'no caller left: the call is aborted')
  assert.equal(inner?.reason, reasonB)
  assert.equal(flights.size, 0, 'the abandoned flight is dropped at once')

  let fresh = 0
  const c = flights.do('k', async () => (fresh++, 'fresh'))
  gate.resolve('stale')
  assert.deepEqual(await c, { value: 'fresh', shared: false }, 'a later caller never joins the abandoned flight')
  assert.equal(fresh, 1)
  await sleep(1)
  assert.equal(flights.size, 0, 'the stale flight ending removes nothing of later flights')
  await assert.rejects(flights.do('k', () => 'x', { signal: AbortSignal.abort(reasonA) }), (err) => err === reasonA)
})

test('a caller without a signal keeps the flight alive for the others to leave', LIMIT, async () => {
  const flights = new Singleflight<string, number>()
  const gate = deferred<number>()
  let inner: AbortSignal | undefined
  const stays = flights.do('k', (signal) => ((inner = signal), gate.promise))
  const leaver = new AbortController()
  const leaves = flights.do('k', () => 0, { signal: leaver.signal })
  leaver.abort()
  await assert.rejects(leaves)
  assert.equal(inner?.aborted, false)
  gate.resolve(5)
  assert.deepEqual(await stays, { value: 5, shared: false }, 'one caller got it: not shared')
})

test('forget: later callers start afresh while earlier ones get the running call', LIMIT, async () => {
  const flights = new Singleflight<number, string>()
  const gate = deferred<string>()
  let calls = 0
  const early = flights.do(1, () => (calls++, gate.promise))
  assert.equal(flights.forget(1), true)
  assert.equal(flights.forget(1), false)
  const late = flights.do(1, async () => (calls++, 'new'))
  gate.resolve('old')
  assert.equal((await early).value, 'old')
  assert.equal((await late).value, 'new')
  assert.equal(calls, 2)
  assert.equal(flights.size, 0)
})

test('fn that calls do() for its own key joins its own flight instead of starting another', LIMIT, async () => {
  const flights = new Singleflight<string, number>()
  let calls = 0
  let nested: Promise<unknown> | undefined
  const outer = await flights.do('k', async () => {
    calls++
    nested = flights.do('k', () => -1)
    return 9
  })
  assert.deepEqual(outer, { value: 9, shared: true })
  assert.deepEqual(await nested, { value: 9, shared: true })
  assert.equal(calls, 1)
})

test("fn that aborts its first caller's signal: that caller leaves at once, and fn's signal aborts (it was the only one)", LIMIT, async () => {
  const flights = new Singleflight<string, number>()
  const caller = new AbortController()
  let inner: AbortSignal | undefined
  const held = deferred<number>()
  const call = flights.do(
    'k',
    (signal) => {
      inner = signal
      caller.abort(new Error('left from inside fn'))
      return held.promise
    },
    { signal: caller.signal },
  )
  await assert.rejects(call, /left from inside fn/)
  assert.equal(inner?.aborted, true)
  const next = flights.do('k', () => 2)
  assert.deepEqual(await next, { value: 2, shared: false }, 'the abandoned flight is not rejoined')
  held.resolve(1)
})
