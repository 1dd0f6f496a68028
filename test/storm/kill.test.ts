// --kill over every strategy: workers terminated mid-operation and respawned.
// Afterwards no lock is left held (the probe wrote to every shard), invariants hold,
// no acknowledged write was lost, and the history with its pending operations and
// final reads is linearizable. With --grow, so that kills land in growth too.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CONCURRENCIES } from '../../src/storm/index.js'
import { expectReport, storm } from './helpers.js'

for (const concurrency of CONCURRENCIES) {
  // 'none' forbids concurrent writers: one worker, killed and respawned.
  const workers = concurrency === 'none' ? 1 : 3
  test(`'${concurrency}' (${workers} worker(s)) with kills: nothing lost, nothing stuck`, async (t) => {
    const report = await storm({ concurrency, workers, kill: 5, check: true, grow: true, duration: 2.5, keys: 64, mix: 'get:40,set:15,delete:10,update:15,loadOrStore:5,compareAndSwap:10,swap:5' })
    t.diagnostic(`${report.kills} kills, ${report.pendingOperations} pending, ${report.recoveries} recoveries, ${report.opsPerSec} ops/s, ${report.operationsChecked} checked, ${report.buffer.growths} growths`)
    expectReport(report, report.kills > 0, 'workers were killed')
    expectReport(report, report.buffer.growths >= 4, 'the buffer grew')
    expectReport(report, report.ok, 'the storm passes')
    assert.equal(report.lostAckedWrites, 0)
    assert.equal(report.invariantViolations, 0)
    assert.deepEqual(report.deadlocks, [])
    assert.equal(report.linearizable, true)
    assert.ok(report.operationsChecked > 0)
  })
}

test('--kill without --check still verifies acknowledged writes', async () => {
  const report = await storm({ kill: 4, grow: true, duration: 1.5, keys: 32, mix: 'set:50,delete:20,update:30' })
  expectReport(report, report.ok && report.kills > 0, 'passes with kills')
  assert.equal(report.linearizable, null)
  assert.equal(report.lostAckedWrites, 0)
  assert.ok(report.operationsRecorded > 0)
})
