// --grow: the map's buffer keeps growing from the start line to the deadline while
// readers read. The storms aim at reads that race growth (an optimistic get/has
// that misses a key present throughout): no operation in their mix deletes, so
// each key, once written, is present to the end, and a read that misses it makes
// the history non-linearizable. Four workers on two cores, so that readers are
// preempted in the middle of reads while writers grow the buffer, and
// --stall-reads holds one read in 16 for 100 µs right after it began: with it
// (and not without) these storms found finding 1 of issue 8 on the map that had it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GrowthMeter, growthPlan, MAX_LENGTH } from '../../src/storm/growth.js'
import { expectReport, storm } from './helpers.js'

const DURATION = 3

for (const concurrency of ['optimistic', 'sharded'] as const) {
  test(`'${concurrency}' with --grow, --stall-reads and --check: the buffer grows all through the run, and the history is linearizable`, async (t) => {
    const report = await storm({ concurrency, grow: true, stallReads: 100, check: true, workers: 4, duration: DURATION, mix: 'has:40,get:25,set:20,swap:10,loadOrStore:5' })
    const { initialBytes, finalBytes, growths, growthTimes } = report.buffer
    t.diagnostic(`${initialBytes} → ${finalBytes} bytes, ${growths} growths at ${growthTimes.map((s) => s.toFixed(2)).join(', ')} s; ${report.ops} ops, ${report.operationsChecked} checked`)
    expectReport(report, growths >= 6, 'the buffer grew several times')
    expectReport(report, growthTimes.some((s) => s < DURATION / 3) && growthTimes.filter((s) => s > (2 * DURATION) / 3).length >= 1, 'early and late in the run')
    expectReport(report, report.linearizable === true, 'linearizable')
    expectReport(report, report.ok, 'the storm passes')
    assert.ok(report.operationsChecked > 1000)
    assert.equal(report.lostAckedWrites, 0)
  })
}

test('without --grow the buffer stays as it was made (what --grow is for)', async () => {
  const report = await storm({ duration: 0.5, workers: 2 })
  expectReport(report, report.buffer.growths === 0 && report.buffer.finalBytes === report.buffer.initialBytes && !report.grow, 'no growth')
})

test('the plan: values start by filling the initial buffer and their ceiling doubles up to MAX_LENGTH', () => {
  assert.deepEqual(growthPlan(70_000, 256, 2), { from: 547, doublings: 8, duration: 2000 })
  const few = growthPlan(70_000, 8, 2)
  assert.equal(few.from, 17_500)
  assert.ok(Math.abs(few.from * 2 ** few.doublings - MAX_LENGTH) < 1, 'fewer doublings, ending at the longest value')
  assert.deepEqual(growthPlan(70_000, 1 << 20, 1), { from: 1, doublings: 8, duration: 1000 })
})

test('the meter counts each doubling seen, and when', () => {
  const buffer = new SharedArrayBuffer(1024, { maxByteLength: 1 << 20 })
  const meter = new GrowthMeter(buffer)
  meter.sample(0.1)
  buffer.grow(2048)
  meter.sample(0.2)
  buffer.grow(8192)
  meter.sample(0.3)
  buffer.grow(9000)
  meter.sample(0.4)
  assert.deepEqual(meter.result(), { initialBytes: 1024, finalBytes: 9000, growths: 4, growthTimes: [0.2, 0.3, 0.4] })
})
