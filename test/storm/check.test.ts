// Storms with --check over every strategy: the recorded histories, with a final
// read per key, are linearizable; and 'none' with one worker (no misuse) passes too.
// They run with --grow: the buffer grows while every operation races it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CONCURRENCIES, type StormProgress } from '../../src/storm/index.js'
import { expectReport, storm } from './helpers.js'

for (const concurrency of CONCURRENCIES) {
  const workers = concurrency === 'none' ? 1 : 3
  test(`'${concurrency}' (${workers} worker(s)): linearizable, every operation in the mix`, async (t) => {
    const report = await storm({
      concurrency,
      workers,
      check: true,
      grow: true,
      mix: 'get:30,has:5,set:10,delete:5,loadOrStore:10,loadAndDelete:5,swap:5,compareAndSwap:10,compareAndDelete:5,getOrCompute:5,update:10',
    })
    t.diagnostic(`${report.opsPerSec} ops/s, ${report.operationsChecked} operations on ${report.keysChecked} keys checked, ${report.buffer.growths} growths`)
    expectReport(report, report.ok, 'the storm passes')
    expectReport(report, report.linearizable === true, 'linearizable')
    expectReport(report, report.operationsChecked > 1000 && report.keysChecked > 0, 'operations were checked')
    expectReport(report, report.buffer.growths >= 4, 'the buffer grew')
    assert.equal(report.lostAckedWrites, 0)
    assert.equal(report.invariantViolations, 0)
    assert.deepEqual(report.errors, {})
    assert.equal(report.kills, 0)
    assert.equal(report.pendingOperations, 0)
    for (const op of ['get', 'set', 'update', 'compareAndSwap'] as const) assert.ok((report.latency[op]?.count ?? 0) > 0, op)
  })
}

test('without --check nothing is recorded and linearizable is null', async () => {
  const report = await storm({ duration: 0.5, workers: 2 })
  expectReport(report, report.ok, 'the storm passes')
  assert.equal(report.linearizable, null)
  assert.equal(report.operationsChecked, 0)
  assert.equal(report.lostAckedWrites, null)
  assert.ok(report.ops > 0 && report.opsPerSec > 0)
  const get = report.latency.get
  assert.ok(get !== undefined && get.p50 > 0 && get.p50 <= get.p99 && get.p99 <= get.p999 && get.p999 <= get.max * 1.04)
})

test('one hot key outgrowing --check-limit: the history is cut in time, and still linearizable', async () => {
  const report = await storm({ duration: 1.5, keys: 1, check: true, checkLimit: 5000, mix: 'get:40,set:20,compareAndSwap:20,update:20' })
  expectReport(report, report.ok && report.linearizable === true, 'linearizable')
  expectReport(report, report.historyCutAt !== null && report.historyCutAt < 1.5, 'the history was cut')
  expectReport(report, report.operationsChecked >= 5000 && report.operationsChecked < 100_000, 'the limit bounds the history')
  assert.equal(report.keysChecked, 1)
  assert.equal(report.lostAckedWrites, null, 'a cut history cannot be compared with the final state')
  assert.match(report.warnings.join('\n'), /outgrew --check-limit/)
})

test('an aborted storm stops early and reports what ran', async () => {
  const abort = new AbortController()
  const phases: string[] = []
  // Aborted once it runs, not at a set time: on a loaded machine the workers may still
  // be booting after any fixed delay, and a storm aborted before it ran tests nothing.
  const onProgress = (p: StormProgress) => {
    phases.push(p.phase)
    if (p.phase === 'running' && p.ops > 0) abort.abort()
  }
  const report = await storm({ duration: 60, workers: 2, check: true }, { signal: abort.signal, progressInterval: 50, onProgress })
  expectReport(report, report.ok && report.interrupted && report.elapsed < 10, 'stopped early')
  assert.match(report.warnings.join('\n'), /interrupted/)
  assert.equal(report.linearizable, true)
  assert.deepEqual([...new Set(phases)], ['starting', 'running', 'verifying', 'checking'])
})
