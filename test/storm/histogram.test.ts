import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BUCKETS, bucketMiddle, bucketOf, percentiles } from '../../src/storm/histogram.js'

test('buckets: exact below 64 ns, within about 3% above, monotonic, bounded', () => {
  let previous = 0
  for (let ns = 0; ns < 2 ** 31; ns = ns < 64 ? ns + 1 : Math.ceil(ns * 1.01)) {
    const bucket = bucketOf(ns)
    assert.ok(bucket >= previous, `monotonic at ${ns}`)
    assert.ok(bucket < BUCKETS)
    previous = bucket
    const middle = bucketMiddle(bucket)
    if (ns < 64) assert.equal(middle, ns)
    else assert.ok(Math.abs(middle - ns) / ns <= 1 / 32, `${ns} → ${middle}`)
  }
  assert.equal(bucketOf(-5), 0)
  assert.equal(bucketOf(1e12), BUCKETS - 1)
})

test('percentiles of a known distribution', () => {
  const hist = new Float64Array(BUCKETS * 2)
  // 1000 samples in the second histogram: 1..1000 µs.
  for (let us = 1; us <= 1000; us++) hist[BUCKETS + bucketOf(us * 1000)]!++
  const [p50, p99, p999] = percentiles(hist, BUCKETS, [0.5, 0.99, 0.999])
  assert.ok(Math.abs(p50! - 500_000) / 500_000 < 0.035, String(p50))
  assert.ok(Math.abs(p99! - 990_000) / 990_000 < 0.035, String(p99))
  assert.ok(Math.abs(p999! - 999_000) / 999_000 < 0.035, String(p999))
  assert.deepEqual(percentiles(hist, 0, [0.5]), [0], 'an empty histogram')
})
