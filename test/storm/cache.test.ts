// Cache storms (--ttl, --max-entries): entries vanish while the storm runs, the
// histories are checked as a cache's (vanish, never reappear) and pass; a cache that
// serves vanished values fails; and the count of reads that saw a key vanish.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkHistory, type Operation } from '../../src/check/index.js'
import { formatStormReport } from '../../src/storm/index.js'
import { countVanishedReads } from '../../src/storm/vanished.js'
import { expectReport, staleCacheWorker, storm } from './helpers.js'

const EVERY_OP = 'get:30,has:5,set:10,delete:5,loadOrStore:10,loadAndDelete:5,swap:5,compareAndSwap:10,compareAndDelete:5,getOrCompute:5,update:10'

test('--ttl: entries expire mid-storm, and the history is linearizable as a cache', async (t) => {
  const report = await storm({ ttl: 3, check: true, mix: EVERY_OP })
  const cache = report.cache
  t.diagnostic(`${report.operationsChecked} operations checked; cache ${JSON.stringify(cache)}`)
  expectReport(report, report.ok && report.linearizable === true, 'linearizable as a cache')
  expectReport(report, cache !== null && cache.ttl === 3 && cache.maxEntries === null, 'reported as a cache storm')
  expectReport(report, (cache?.expirations ?? 0) > 0 && (cache?.vanishedReads ?? 0) > 0, 'entries expired, and reads saw it')
  assert.equal(report.lostAckedWrites, 0)
  assert.equal(report.invariantViolations, 0)
  assert.deepEqual(report.errors, {})
  assert.match(formatStormReport(report), /cache +a cache storm, ttl 3 ms, unbounded: [\d,]+ expired, 0 evicted; [\d,]+ recorded read\(s\) found a key vanished/)
})

test('--max-entries under kills and growth: entries are evicted, and the history is linearizable as a cache', async (t) => {
  const report = await storm({ concurrency: 'sharded', maxEntries: 32, check: true, kill: 2, grow: true, mix: EVERY_OP })
  const cache = report.cache
  t.diagnostic(`${report.operationsChecked} operations checked, ${report.kills} kills; cache ${JSON.stringify(cache)}`)
  expectReport(report, report.ok && report.linearizable === true, 'linearizable as a cache')
  expectReport(report, cache !== null && cache.maxEntries === 32 && cache.ttl === null, 'reported as a cache storm')
  expectReport(report, (cache?.evictions ?? 0) > 0 && (cache?.vanishedReads ?? 0) > 0, 'entries were evicted, and reads saw it')
  assert.equal(report.lostAckedWrites, 0)
  assert.equal(report.invariantViolations, 0)
})

for (const concurrency of ['optimistic', 'sharded'] as const) {
  test(`'${concurrency}' --max-bytes under kills: a full arena evicts, writes take blocks other shards freed, and the history is linearizable as a cache`, async (t) => {
    // 4096 keys of 64-byte values outgrow 256 KiB: every write past that takes a block
    // freed by an eviction or a delete, often another shard's (alloc.ts).
    const report = await storm({ concurrency, maxEntries: 1_000_000, maxBytes: 256 * 1024, keys: 4096, valueSize: 64, check: true, kill: 2, mix: EVERY_OP })
    const cache = report.cache
    t.diagnostic(`${report.operationsChecked} operations checked, ${report.kills} kills; cache ${JSON.stringify(cache)}`)
    expectReport(report, report.ok && report.linearizable === true, 'linearizable as a cache')
    expectReport(report, cache !== null && cache.maxBytes === 256 * 1024, 'reported with its maxBytes')
    expectReport(report, (cache?.evictions ?? 0) > 100, 'the full arena evicted')
    assert.equal(report.lostAckedWrites, 0)
    assert.equal(report.invariantViolations, 0)
    assert.deepEqual(report.errors, {})
    assert.match(formatStormReport(report), /at most 1,000,000 entries, at most 262,144 bytes/)
  })
}

test('a plain storm reports no cache', async () => {
  const report = await storm({ duration: 0.5, workers: 2 })
  expectReport(report, report.ok && report.cache === null, 'no cache')
  assert.doesNotMatch(formatStormReport(report), /cache storm/)
})

test('a cache that serves vanished values: not linearizable as a cache, and the storm fails', async () => {
  const report = await storm({ concurrency: 'mutex', workers: 2, duration: 1, keys: 8, ttl: 2, mix: 'set:20,get:80', check: true }, { worker: staleCacheWorker })
  expectReport(report, !report.ok && report.linearizable === false, 'the stale reads are caught')
  const example = report.counterexample
  assert.ok(example !== undefined)
  assert.equal(checkHistory(example.operations, { cache: true }).linearizable, false, 'the counter-example fails on its own')
  assert.match(report.violations.join('\n'), /history not linearizable on key k\d/)
})

const op = (thread: number, name: Operation['op'], args: unknown[], result: unknown, call: number, ret?: number): Operation =>
  ret === undefined ? { thread, key: 'k', op: name, args, call } : { thread, key: 'k', op: name, args, result, call, ret }

test('vanished reads: absent answers that only expiry or eviction explains', () => {
  const write = op(0, 'set', ['a'], undefined, 0, 1)
  const absent = op(1, 'get', [], undefined, 2, 3)
  assert.equal(countVanishedReads([write, absent], Infinity), 1)
  assert.equal(countVanishedReads([write, op(1, 'get', [], undefined, 0.5, 3)], Infinity), 0, 'the read may precede the write')
  assert.equal(countVanishedReads([write, op(2, 'delete', [], true, 1.5, 1.8), absent], Infinity), 0, 'deleted')
  assert.equal(countVanishedReads([write, op(2, 'delete', [], true, 3, 4), absent], Infinity), 0, 'a delete invoked as the read returned may precede it')
  assert.equal(countVanishedReads([write, op(2, 'loadAndDelete', [], undefined, 0.5), absent], Infinity), 0, 'a pending removal')
  assert.equal(countVanishedReads([op(2, 'delete', [], true, -2, -1), write, absent], Infinity), 1, 'a removal before the write explains nothing')
  assert.equal(countVanishedReads([write, op(1, 'has', [], false, 2, 3), op(1, 'loadOrStore', ['b'], { value: 'b', loaded: false }, 4, 5)], Infinity), 2)
  assert.equal(countVanishedReads([write, absent], 2.5), 0, 'a read returning after the cutoff may race a removal nobody recorded')
  assert.equal(countVanishedReads([absent], Infinity), 0, 'never written')
})
