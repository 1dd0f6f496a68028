// `conmap storm --metrics`, run as a real child process: lock-wait percentiles from
// the map's histogram and the hot keys, in the text report and in --json.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { StormReport } from '../../src/storm/index.js'
import { runConmap } from '../helpers/cli.js'

async function stormJson(args: readonly string[]): Promise<StormReport> {
  const ran = await runConmap(['storm', '--json', '--workers', '2', ...args])
  assert.equal(ran.code, 0, ran.stderr)
  return JSON.parse(ran.stdout) as StormReport
}

describe('conmap storm --metrics', () => {
  test("under 'mutex' every set takes the map's lock once: write acquisitions equal the storm's operations", async () => {
    const r = await stormJson(['--metrics', '--concurrency', 'mutex', '--duration', '0.5', '--keys', '8', '--mix', 'set:100'])
    const c = r.contention
    assert.ok(c !== null)
    assert.ok(r.ops > 0)
    assert.equal(c.lockWaits.write.count, r.ops)
    assert.equal(c.lockWaits.read.count, 0)
    assert.ok(c.lockWaits.write.waited <= c.lockWaits.write.count)
    const { p50, p99, p999 } = c.lockWaits.write
    assert.ok(p50 >= 1 && p50 <= p99 && p99 <= p999, `${p50} ≤ ${p99} ≤ ${p999}`)
    // Bucket bounds: powers of two in µs.
    for (const p of [p50, p99, p999]) assert.equal(Math.log2(p) % 1, 0)
    assert.ok(c.hotKeys !== null)
    assert.equal(c.hotKeys.length, 5)
    const keys = new Set(Array.from({ length: 8 }, (_, i) => `k${i}`))
    for (const { key, count } of c.hotKeys) {
      assert.ok(keys.has(key), key)
      assert.ok(count > 0)
    }
    for (let i = 1; i < c.hotKeys.length; i++) assert.ok((c.hotKeys[i]?.count ?? 0) <= (c.hotKeys[i - 1]?.count ?? 0))
  })

  test("under 'sharded' gets take read locks; one key (resolved through the map: it must be there) is estimated close to its calls", async () => {
    const r = await stormJson(['--metrics', '--concurrency', 'sharded', '--duration', '1', '--keys', '1', '--mix', 'get:99,set:1'])
    const c = r.contention
    assert.ok(c !== null && c.hotKeys !== null)
    assert.equal(c.lockWaits.read.count, r.opsByType.get)
    assert.equal(c.lockWaits.write.count, r.opsByType.set)
    assert.equal(c.hotKeys.length, 1)
    assert.equal(c.hotKeys[0]?.key, 'k0')
    // One key never loses its bucket: the estimate is the samples × the sampling period.
    assert.ok(r.ops >= 3200, `${r.ops} operations: enough for ~100 samples`)
    const error = Math.abs((c.hotKeys[0]?.count ?? 0) - r.ops) / r.ops
    assert.ok(error < 0.3, `hot key estimate ${c.hotKeys[0]?.count} for ${r.ops} calls`)
  })

  test('the text report shows the lock waits and hot keys; without --metrics it shows neither and the JSON says null', async () => {
    const text = await runConmap(['storm', '--metrics', '--workers', '2', '--duration', '0.3', '--keys', '16'])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /lock wait \(≤ µs\)\s+acquired\s+waited\s+p50\s+p99\s+p99\.9/)
    assert.match(text.stdout, /\n {4}write\s+[\d,]+\s+[\d,]+\s+\S+ µs/)
    assert.match(text.stdout, /hot keys {5}k\d+ ~[\d,]+/)
    const plain = await runConmap(['storm', '--workers', '2', '--duration', '0.3'])
    assert.equal(plain.code, 0, plain.stderr)
    assert.doesNotMatch(plain.stdout, /lock wait|hot keys/)
    assert.equal((await stormJson(['--duration', '0.3'])).contention, null)
    const bad = await runConmap(['storm', '--metrics=yes'])
    assert.equal(bad.code, 2)
  })
})
