// One breaker for every thread, with real workers: lock timeouts under a lock held
// by another worker trip it and it is open in every other thread at once; slow
// calls trip it; half-open probes are counted across workers; concurrent outcomes
// move it exactly once; and refused calls leave the map unchanged.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AuditLog, CircuitBreaker, ErrorCode, SharedMap, guard } from '../../src/index.js'
import { sleep } from '../helpers/workers.js'
import { gate, startGuardWorker, startLine } from './helpers.js'

const LIMIT = { timeout: 60_000 }

function fail(breaker: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) breaker.settle(breaker.admit(), 'failure')
}

/** `times` more failures open the breaker, and not one fewer. */
function opensAtFailure(breaker: CircuitBreaker, times: number, why: string): void {
  fail(breaker, times - 1)
  assert.equal(breaker.state, 'closed', why)
  fail(breaker, 1)
  assert.equal(breaker.state, 'open', why)
}

test('lock timeouts under a lock held by another worker trip the breaker, and it is open in every thread at once', LIMIT, async () => {
  const map = new SharedMap<string, number>()
  map.set('k', 1)
  const breaker = new CircuitBreaker({ failures: 3, resetAfter: 60_000 })
  const log = new AuditLog({ entries: 256 })
  const objects = { map, breaker, log }
  const [holder, caller, c, d] = await Promise.all([0, 1, 2, 3].map(() => startGuardWorker(objects, { timeout: 20 })))
  for (const observer of [c, d]) assert.deepEqual(await observer!.call('get', 'k'), { value: 1 })

  const held = gate()
  const hold = holder!.start('hold', 'holding', { key: 'k', gate: held.buffer })
  await hold.event
  for (let i = 0; i < 3; i++) {
    const reply = await caller!.call('set', 'k', 50 + i)
    assert.equal(reply.error?.code, ErrorCode.LOCK_TIMEOUT, `timeout ${i}: ${JSON.stringify(reply)}`)
  }
  assert.equal(breaker.state, 'open', 'open in the main thread')
  for (const observer of [c!, d!, caller!]) {
    assert.equal((await observer.ask('state')).value, 'open')
    assert.equal((await observer.call('set', 'k', 99)).error?.code, ErrorCode.BREAKER_OPEN, 'the first call after the trip fails fast')
    assert.equal((await observer.call('get', 'other')).error?.code, ErrorCode.BREAKER_OPEN)
  }
  const guardedHere = guard(map, { breaker })
  assert.throws(() => guardedHere.get('k'), (err: { code?: string }) => err.code === ErrorCode.BREAKER_OPEN)

  held.open()
  assert.deepEqual(await hold.reply, { value: 'released' })
  assert.equal(map.get('k'), 101, "only the holder's update happened: timed-out and refused calls changed nothing")
  assert.equal(map.size, 1)

  const entries = log.read()
  const timeouts = entries.filter((entry) => entry.outcome === ErrorCode.LOCK_TIMEOUT)
  assert.equal(timeouts.length, 3)
  assert.ok(timeouts.every((entry) => entry.thread === caller!.threadId && entry.op === 'set' && entry.key === log.hashOf('k') && entry.wait >= 15))
  const refused = entries.filter((entry) => entry.outcome === ErrorCode.BREAKER_OPEN)
  assert.deepEqual(new Set(refused.map((entry) => entry.thread)), new Set([c!.threadId, d!.threadId, caller!.threadId]))
})

test('a call that waited slowCall ms for a lock counts as failed even though it succeeded', LIMIT, async () => {
  const map = new SharedMap<string, number>()
  const breaker = new CircuitBreaker({ failures: 1, slowCall: 10, resetAfter: 60_000 })
  const log = new AuditLog()
  const [holder, caller] = await Promise.all([0, 1].map(() => startGuardWorker({ map, breaker, log }, { timeout: 30_000 })))
  const held = gate()
  const hold = holder!.start('hold', 'holding', { key: 's', gate: held.buffer })
  await hold.event
  const slow = caller!.start('slowSet', 'calling', { key: 's' })
  await slow.event
  await sleep(100)
  assert.equal(breaker.state, 'closed')
  held.open()
  const reply = await slow.reply
  const entry = reply.value as { outcome: string; wait: number }
  assert.equal(entry.outcome, 'ok')
  assert.ok(entry.wait >= 10, `waited ${entry.wait} ms`)
  assert.equal(map.get('s'), 7)
  assert.equal(breaker.state, 'open')
  await hold.reply
})

test('half-open probes are counted across workers: exactly halfOpenCalls are let through, and their outcomes close it for all', LIMIT, async () => {
  const map = new SharedMap<string, number>({ ttl: Infinity })
  // resetAfter is also how long probes may stay out: long, so that a slow machine cannot let a third one in.
  const breaker = new CircuitBreaker({ failures: 1, resetAfter: 2_000, halfOpenCalls: 2 })
  const log = new AuditLog()
  const workers = await Promise.all([0, 1, 2].map(() => startGuardWorker({ map, breaker, log })))
  breaker.settle(breaker.admit(), 'failure')
  assert.equal(breaker.state, 'open')
  await sleep(2_100)
  const probes = gate()
  const started = workers.map((worker, i) => worker.start('probe', 'computing', { key: `p${i}`, gate: probes.buffer, outcome: 'success' }))
  // Two probes compute (and stay in flight); the third is refused at once.
  const settled = await Promise.all(started.map((s) => Promise.race([s.reply, s.event.then(() => 'computing')])))
  assert.equal(settled.filter((outcome) => outcome === 'computing').length, 2, JSON.stringify(settled))
  assert.equal(settled.filter((outcome) => (outcome as { value?: string }).value === ErrorCode.BREAKER_OPEN).length, 1, JSON.stringify(settled))
  for (const worker of workers) assert.equal((await worker.ask('state')).value, 'halfOpen')
  probes.open()
  const outcomes = await Promise.all(started.map((s) => s.reply))
  assert.equal(outcomes.filter((reply) => reply.value === 'admitted:ok').length, 2)
  assert.equal(breaker.state, 'closed')
  for (const worker of workers) assert.equal((await worker.ask('state')).value, 'closed')
})

test('a probe that fails in one worker opens the breaker again for every worker; errors isFailure does not name are no failures', LIMIT, async () => {
  const map = new SharedMap<string, number>({ ttl: Infinity })
  const breaker = new CircuitBreaker({ failures: 1, resetAfter: 100, halfOpenCalls: 1 })
  const log = new AuditLog()
  const lenient = await startGuardWorker({ map, breaker, log })
  const strict = await startGuardWorker({ map, breaker, log }, { failOn: 'probe failed' })
  const probeBy = async (worker: typeof lenient, key: string) => {
    breaker.settle(breaker.admit(), 'failure')
    await sleep(150)
    const probes = gate()
    const probe = worker.start('probe', 'computing', { key, gate: probes.buffer, outcome: 'failure' })
    await probe.event
    probes.open()
    assert.deepEqual(await probe.reply, { value: 'admitted:probe failed' })
  }
  await probeBy(lenient, 'q1')
  assert.equal(breaker.state, 'closed', 'the map answered: a factory rejection is no failure unless isFailure says so')
  await probeBy(strict, 'q2')
  assert.equal(breaker.state, 'open')
  assert.equal((await lenient.ask('state')).value, 'open')
  assert.equal((await lenient.call('get', 'q1')).error?.code, ErrorCode.BREAKER_OPEN)
  assert.equal(map.has('q1') || map.has('q2'), false, 'rejected computations store nothing')
})

test('many workers admitting at once while half-open: exactly halfOpenCalls permits in all', LIMIT, async () => {
  const map = new SharedMap<string, number>()
  const breaker = new CircuitBreaker({ failures: 1, resetAfter: 1_000, halfOpenCalls: 5 })
  const log = new AuditLog()
  const workers = await Promise.all([0, 1, 2, 3].map(() => startGuardWorker({ map, breaker, log })))
  for (let round = 0; round < 3; round++) {
    breaker.reset()
    breaker.settle(breaker.admit(), 'failure')
    await sleep(1_050)
    const line = startLine()
    const admitted = await Promise.all(workers.map((worker) => worker.ask('admitMany', { count: 200, startLine: line, workers: workers.length })))
    const total = admitted.reduce((sum, reply) => sum + (reply.value as number), 0)
    assert.equal(total, 5, `round ${round}: ${JSON.stringify(admitted)}`)
    assert.equal(breaker.state, 'halfOpen')
  }
})

test('failures settled by many workers at once move the breaker exactly once (one CAS wins)', LIMIT, async () => {
  const map = new SharedMap<string, number>()
  const breaker = new CircuitBreaker({ failures: 1, resetAfter: 60_000 })
  const log = new AuditLog()
  const workers = await Promise.all([0, 1, 2, 3].map(() => startGuardWorker({ map, breaker, log })))
  for (let round = 0; round < 5; round++) {
    breaker.reset()
    const before = breaker.stats().generation
    for (const worker of workers) for (let i = 0; i < 10; i++) await worker.ask('admitOne')
    const line = startLine()
    const seen = await Promise.all(workers.map((worker) => worker.ask('settleKept', { outcome: 'failure', startLine: line, workers: workers.length })))
    assert.equal(breaker.state, 'open')
    assert.equal(breaker.stats().generation, before + 1, `round ${round}: ${JSON.stringify(seen)}`)
  }
})

test('generation rule across threads: failures of permits a worker took before the breaker moved are dropped', LIMIT, async () => {
  const map = new SharedMap<string, number>()
  const breaker = new CircuitBreaker({ failures: 1, resetAfter: 60_000 })
  const log = new AuditLog()
  const workers = await Promise.all([0, 1].map(() => startGuardWorker({ map, breaker, log })))
  for (const worker of workers) await worker.ask('admitOne')
  breaker.reset()
  const line = startLine()
  await Promise.all(workers.map((worker) => worker.ask('settleKept', { outcome: 'failure', startLine: line, workers: workers.length })))
  assert.equal(breaker.state, 'closed', 'late outcomes of generation 0 do not trip generation 1')
  assert.equal(breaker.stats().failures, 0)
  await workers[0]!.ask('admitOne')
  await workers[0]!.ask('settleKept', { outcome: 'failure', startLine: startLine(), workers: 1 })
  assert.equal(breaker.state, 'open', 'a failure of the current generation trips it')
})

test("rate rule across threads: every worker's successes count in the sums of every thread at once, folded into the window or not", LIMIT, async () => {
  const map = new SharedMap<string, number>()
  map.set('k', 1)
  const breaker = new CircuitBreaker({ failureRate: 0.5, minCalls: 20, resetAfter: 60_000 })
  const log = new AuditLog()
  const workers = await Promise.all([0, 1].map(() => startGuardWorker({ map, breaker, log })))
  for (const worker of workers) for (let i = 0; i < 5; i++) assert.deepEqual(await worker.call('get', 'k'), { value: 1 })
  assert.equal(breaker.stats().calls, 10, 'five successes of each worker, none folded yet')
  fail(breaker, 5)
  assert.equal(breaker.state, 'closed', '5 of 15 failed: the workers\' successes count')
  for (let i = 0; i < 21; i++) assert.deepEqual(await workers[0]!.call('get', 'k'), { value: 1 })
  const stats = (await workers[1]!.ask('stats')).value as { calls: number; failures: number }
  assert.deepEqual([stats.calls, stats.failures], [36, 5], 'as a worker sums it: 31 successes (16 of them folded) and 5 failures')
  opensAtFailure(breaker, 26, '31 of 62 calls failed, 30 of 61 did not open it')
})

test('rate rule: successes of a worker that exited stay counted, also once a new worker takes its slot over', LIMIT, async () => {
  const map = new SharedMap<string, number>()
  map.set('k', 1)
  const breaker = new CircuitBreaker({ failureRate: 0.5, minCalls: 4, resetAfter: 60_000 })
  const log = new AuditLog()
  let calls = 0
  for (let round = 0; round < 3; round++) {
    const worker = await startGuardWorker({ map, breaker, log })
    for (let i = 0; i < 5; i++) assert.deepEqual(await worker.call('get', 'k'), { value: 1 })
    calls += 5
    await worker.worker.terminate()
    assert.equal(breaker.stats().calls, calls, `round ${round}: every success of the exited workers`)
  }
  opensAtFailure(breaker, 15, '15 of 30 calls failed, 14 of 29 did not open it')
})

test('storm: 4 workers increment through the guard while the breaker opens and closes; refused calls never reach the map', LIMIT, async () => {
  const map = new SharedMap<string, number>()
  const breaker = new CircuitBreaker({ failures: 1, resetAfter: 60_000 })
  const log = new AuditLog({ entries: 1024 })
  const workers = await Promise.all([0, 1, 2, 3].map(() => startGuardWorker({ map, breaker, log })))
  const line = startLine()
  let running = true
  const done = Promise.all(workers.map((worker) => worker.ask('increments', { key: 'n', count: 20_000, startLine: line, workers: workers.length }))).finally(() => (running = false))
  let flips = 0
  while (running) {
    if (breaker.state === 'closed') breaker.settle(breaker.admit(), 'failure')
    else breaker.reset()
    flips++
    await new Promise((resolve) => setImmediate(resolve))
  }
  const results = (await done).map((reply) => reply.value as { applied: number; refused: number })
  const applied = results.reduce((sum, r) => sum + r.applied, 0)
  const refused = results.reduce((sum, r) => sum + r.refused, 0)
  assert.equal(applied + refused, 4 * 20_000)
  assert.equal(map.get('n'), applied, 'every admitted increment happened once, no refused one did')
  assert.ok(flips > 2 && refused > 0 && applied > 0, `flips ${flips}, applied ${applied}, refused ${refused}`)
  map.checkInvariants()
})
