// The CircuitBreaker's rules in one thread: trip by count and by rate over the
// window, open/half-open/closed, the generation rule, reset, and bad options.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CircuitBreaker, ErrorCode } from '../../src/index.js'
import { sleep, withCode } from '../helpers/workers.js'

function fail(breaker: CircuitBreaker, times = 1): void {
  for (let i = 0; i < times; i++) breaker.settle(breaker.admit(), 'failure')
}

function succeed(breaker: CircuitBreaker, times = 1): void {
  for (let i = 0; i < times; i++) breaker.settle(breaker.admit(), 'success')
}

test('count rule: it opens at the failures-th failure of the window, and refuses with ERR_BREAKER_OPEN', () => {
  const breaker = new CircuitBreaker({ failures: 3, resetAfter: 60_000 })
  fail(breaker, 2)
  succeed(breaker, 10)
  assert.equal(breaker.state, 'closed')
  assert.equal(breaker.stats().failures, 2)
  fail(breaker)
  assert.equal(breaker.state, 'open')
  assert.throws(() => breaker.admit('sessions.get()'), (err: Error) => withCode(ErrorCode.BREAKER_OPEN)(err) && /sessions\.get\(\) was refused/.test(err.message))
})

test('defaults: 5 failures open it; ignored outcomes count as nothing', () => {
  const breaker = new CircuitBreaker()
  assert.deepEqual(breaker.options, { failures: 5, failureRate: 0, minCalls: 20, window: 10_000, resetAfter: 5_000, halfOpenCalls: 1, slowCall: Infinity })
  for (let i = 0; i < 20; i++) breaker.settle(breaker.admit(), 'ignored')
  fail(breaker, 4)
  assert.equal(breaker.state, 'closed')
  fail(breaker)
  assert.equal(breaker.state, 'open')
})

test('rate rule: it opens once the window holds minCalls calls and the failed share reaches failureRate', () => {
  const breaker = new CircuitBreaker({ failureRate: 0.5, minCalls: 10 })
  assert.equal(breaker.options.failures, 0, 'failureRate alone turns the count rule off')
  fail(breaker, 4)
  assert.equal(breaker.state, 'closed', '4 of 4 failed, but fewer than minCalls calls')
  succeed(breaker, 5)
  assert.equal(breaker.stats().calls, 9)
  fail(breaker)
  assert.equal(breaker.state, 'open', '5 of 10 failed')

  const lenient = new CircuitBreaker({ failureRate: 0.5, minCalls: 10 })
  succeed(lenient, 20)
  fail(lenient, 9)
  assert.equal(lenient.state, 'closed', '9 of 29 failed')
})

test('the window slides: failures older than window ms no longer count', async () => {
  const breaker = new CircuitBreaker({ failures: 2, window: 100 })
  fail(breaker)
  await sleep(150)
  fail(breaker)
  assert.equal(breaker.state, 'closed')
  assert.equal(breaker.stats().failures, 1)
  fail(breaker)
  assert.equal(breaker.state, 'open')
})

test('half-open: after resetAfter, halfOpenCalls probes are let through; all passing closes it with a fresh window', async () => {
  const breaker = new CircuitBreaker({ failures: 2, resetAfter: 200, halfOpenCalls: 2 })
  fail(breaker, 2)
  assert.throws(() => breaker.admit(), withCode(ErrorCode.BREAKER_OPEN))
  await sleep(250)
  const first = breaker.admit()
  assert.equal(breaker.state, 'halfOpen')
  const second = breaker.admit()
  assert.throws(() => breaker.admit(), (err: Error) => withCode(ErrorCode.BREAKER_OPEN)(err) && /probe/.test(err.message))
  breaker.settle(first, 'success')
  assert.equal(breaker.state, 'halfOpen')
  breaker.settle(second, 'success')
  assert.equal(breaker.state, 'closed')
  assert.equal(breaker.stats().failures, 0, 'the failures before it opened belong to an earlier generation')
  fail(breaker)
  assert.equal(breaker.state, 'closed')
})

test('half-open: the first failed probe opens it again; an ignored probe gives its place back', async () => {
  const breaker = new CircuitBreaker({ failures: 1, resetAfter: 30, halfOpenCalls: 1 })
  fail(breaker)
  await sleep(50)
  const probe = breaker.admit()
  assert.throws(() => breaker.admit(), withCode(ErrorCode.BREAKER_OPEN))
  breaker.settle(probe, 'ignored')
  const again = breaker.admit()
  breaker.settle(again, 'failure')
  assert.equal(breaker.state, 'open')
  assert.throws(() => breaker.admit(), withCode(ErrorCode.BREAKER_OPEN))
})

test('probes that never come back give way to new ones after resetAfter', async () => {
  const breaker = new CircuitBreaker({ failures: 1, resetAfter: 30 })
  fail(breaker)
  await sleep(50)
  const lost = breaker.admit()
  const generation = breaker.stats().generation
  assert.throws(() => breaker.admit(), withCode(ErrorCode.BREAKER_OPEN))
  await sleep(50)
  const fresh = breaker.admit()
  assert.equal(breaker.stats().generation, generation + 1)
  breaker.settle(lost, 'failure')
  assert.equal(breaker.state, 'halfOpen', "the lost probe's late failure belongs to an earlier generation")
  breaker.settle(fresh, 'success')
  assert.equal(breaker.state, 'closed')
})

test('generation rule: outcomes of permits given before a transition are dropped', () => {
  const breaker = new CircuitBreaker({ failures: 1 })
  const early = [breaker.admit(), breaker.admit()]
  breaker.reset()
  for (const permit of early) breaker.settle(permit, 'failure')
  assert.equal(breaker.state, 'closed')
  fail(breaker)
  assert.equal(breaker.state, 'open')
  breaker.reset()
  assert.equal(breaker.state, 'closed')
  assert.equal(breaker.stats().generation, 3, 'reset, open, reset')
})

test('rate rule: successes are counted exactly, folded into the window or not; those of permits given before a transition are dropped', () => {
  const breaker = new CircuitBreaker({ failureRate: 0.5, minCalls: 4, resetAfter: 60_000 })
  for (const times of [1, 14, 1, 1, 16, 40]) {
    const before = breaker.stats().calls
    succeed(breaker, times)
    assert.equal(breaker.stats().calls, before + times, `after ${times} more successes`)
  }
  const early = Array.from({ length: 20 }, () => breaker.admit())
  breaker.reset()
  for (const permit of early) breaker.settle(permit, 'success')
  assert.equal(breaker.stats().calls, 0, 'successes of generation 0 do not count in generation 1')
  succeed(breaker, 3)
  fail(breaker, 3)
  assert.equal(breaker.state, 'open', '3 of 6 failed')
})

test('slowCall is kept in shared memory for the guards of every thread', () => {
  const breaker = new CircuitBreaker({ slowCall: 10 })
  assert.equal(CircuitBreaker.attach(breaker.handle).options.slowCall, 10)
  assert.equal(CircuitBreaker.attach(structuredClone(breaker.handle)).state, 'closed')
})

test('bad options: ERR_INVALID_ARGUMENT naming the option', () => {
  const bad: unknown[] = [
    { failures: 0 },
    { failures: 1.5 },
    { failureRate: 0 },
    { failureRate: 1.5 },
    { minCalls: -1 },
    { window: 1 },
    { resetAfter: 0 },
    { resetAfter: Infinity },
    { halfOpenCalls: 0 },
    { halfOpenCalls: 1001 },
    { slowCall: -1 },
    { failurez: 3 },
    'fast',
    null,
  ]
  for (const options of bad) {
    assert.throws(() => new CircuitBreaker(options as never), withCode(ErrorCode.INVALID_ARGUMENT), JSON.stringify(options))
  }
  assert.throws(() => CircuitBreaker.attach({ conmap: 'Mutex' } as never), withCode(ErrorCode.INVALID_HANDLE))
})
