// The checks catch real bugs end to end: a map wrapper that acknowledges some
// writes without making them (test/storm/fixtures/lossy-worker.ts) is stormed like
// any map; its recorded history is reported non-linearizable, with a minimal
// counter-example, and the storm fails. A map that stops answering is a deadlock.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkHistory } from '../../src/check/index.js'
import { formatStormReport } from '../../src/storm/index.js'
import { expectReport, lossyWorker, storm, stuckWorker } from './helpers.js'

test('a lossy map: non-linearizable, with a counter-example, and a failing storm', async () => {
  const report = await storm({ concurrency: 'mutex', workers: 2, duration: 1, keys: 8, mix: 'set:40,get:60', check: true }, { worker: lossyWorker })
  expectReport(report, !report.ok, 'the storm fails')
  expectReport(report, report.linearizable === false, 'not linearizable')
  const example = report.counterexample
  assert.ok(example !== undefined)
  assert.ok(example.operations.length >= 2 && example.operations.length <= 12, `${example.operations.length} operations`)
  assert.ok(example.operations.some((op) => op.op === 'set'), 'the dropped write is in it')
  assert.equal(checkHistory(example.operations).linearizable, false, 'the counter-example fails on its own')
  assert.match(example.text, /set\('k\d+', '\d+\.\d+_*'\)/)
  assert.match(formatStormReport(report), /NOT linearizable[\s\S]*counter-example on key k\d+[\s\S]*FAIL/)
  assert.match(report.violations.join('\n'), /history not linearizable on key k\d+/)
})

test('a lossy map: with --kill and no --check, lost acknowledged writes are counted', async () => {
  const report = await storm({ concurrency: 'mutex', workers: 1, duration: 1, keys: 4096, mix: 'set:100', kill: 2 }, { worker: lossyWorker })
  expectReport(report, (report.lostAckedWrites ?? 0) > 0 && !report.ok, 'lost writes found')
  assert.ok((report.lostWrites?.length ?? 0) > 0)
})

test('a worker that stops making progress is reported as a deadlock within the stall bound', async () => {
  const began = performance.now()
  const report = await storm({ workers: 2, duration: 30, stallTimeout: 1, mix: 'get:50,set:50' }, { worker: stuckWorker })
  expectReport(report, !report.ok, 'the storm fails')
  expectReport(report, report.deadlocks.length === 1 && /worker 0 \(thread t0\) made no progress for 1 s/.test(report.deadlocks[0] ?? ''), 'the stuck worker is named')
  assert.match(report.violations.join('\n'), /deadlock: worker 0/)
  assert.ok(performance.now() - began < 10_000, 'the storm stopped early instead of waiting for its deadline')
  assert.equal(report.invariantViolations, 0, 'the map itself is fine')
})
