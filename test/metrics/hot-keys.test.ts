// map.hotKeys(n): a sampled, lossy sketch per thread in shared memory, merged and
// resolved to keys through the map, against the true counts of a Zipf workload run
// by real worker threads. Tolerances (measured with scripts/hot-keys-accuracy.mjs,
// sample 8, the rest default): at least 7 of the true top 10 among hotKeys(10), the
// true top 3 all there, each with its count within 25% of the truth.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { SharedMap } from '../../src/index.js'
import { hashKey, KeyKind } from '../../src/codec/index.js'
import { H } from '../../src/map/layout.js'
import { start } from '../helpers/workers.js'

const metricsWorker = fileURLToPath(new URL('../fixtures/metrics-worker.js', import.meta.url))

describe('map.hotKeys()', () => {
  test('four workers on a Zipf(0.99) workload: the true top keys are found, with their counts', async () => {
    const map = new SharedMap<string, number>({ metrics: { sample: 8 } })
    const keys = Array.from({ length: 1000 }, (_, i) => `item:${i}`)
    keys.forEach((key, i) => map.set(key, i))
    const results = (await Promise.all(
      Array.from({ length: 4 }, (_, w) => start('zipf', { handle: map.handle, keys, calls: 20_000, exponent: 0.99, seed: 17 + w }, metricsWorker).result),
    )) as Array<Record<string, number>>
    const truth = new Map<string, number>()
    for (const counts of results) for (const [key, count] of Object.entries(counts)) truth.set(key, (truth.get(key) ?? 0) + count)
    const trueTop = [...truth].sort((a, b) => b[1] - a[1]).map(([key]) => key)
    const hot = map.hotKeys(10)
    assert.equal(hot.length, 10)
    const reported = new Map(hot.map(({ key, count }) => [key, count]))
    const found = trueTop.slice(0, 10).filter((key) => reported.has(key))
    assert.ok(found.length >= 7, `${found.length} of the true top 10 found: ${JSON.stringify(hot)}`)
    for (const key of trueTop.slice(0, 3)) {
      const count = reported.get(key)
      const real = truth.get(key) ?? 0
      assert.ok(count !== undefined, `true top key ${key} (${real} calls) missing from ${JSON.stringify(hot)}`)
      assert.ok(Math.abs(count - real) <= 0.25 * real, `${key}: estimated ${count}, true ${real}`)
    }
    for (let i = 1; i < hot.length; i++) assert.ok((hot[i - 1]?.count ?? 0) >= (hot[i]?.count ?? 0), 'most used first')
    assert.ok(map.metrics().sampledCalls > 0)
  })

  test('keys that share a heavy key\'s first bucket still have their second: they are found', () => {
    // HeavyKeeper holds a key behind a heavier one only if the key's two buckets are
    // independent. Eight keys whose map hashes pick the heavy key's bucket in the
    // first array (hash % 64) are found by the map's own seed; before the second
    // index took the high bits of its product, they shared its second bucket too,
    // and hotKeys reported the heavy key alone.
    const map = new SharedMap<string, number>({ metrics: { sample: 1, hotKeys: 64 } })
    const header = new Int32Array(map.handle.buffer, map.handle.byteOffset, H.SEED1 + 1)
    const bucket = (key: string) => hashKey(key, KeyKind.string, header[H.SEED0] ?? 0, header[H.SEED1] ?? 0) % 64
    const heavy = 'heavy'
    const sharers: string[] = []
    for (let i = 0; sharers.length < 8; i++) if (bucket(`k${i}`) === bucket(heavy)) sharers.push(`k${i}`)
    for (const key of [heavy, ...sharers]) map.set(key, 0)
    for (let round = 0; round < 300; round++) {
      for (let i = 0; i < 4; i++) map.get(heavy)
      for (const key of sharers) map.get(key)
    }
    const hot = map.hotKeys(9)
    assert.equal(hot[0]?.key, heavy)
    const found = sharers.filter((key) => hot.some((h) => h.key === key))
    assert.ok(found.length >= 4, `${found.length} of 8 keys behind the heavy one found: ${JSON.stringify(hot)}`)
  })

  test('keys no longer in the map are left out; hotKeys(0) is empty; no summary with hotKeys: 0', () => {
    const map = new SharedMap<string, number>({ metrics: { sample: 1 } })
    for (let i = 0; i < 200; i++) map.set('gone', i)
    for (let i = 0; i < 50; i++) map.set('kept', i)
    map.delete('gone')
    assert.deepEqual(
      map.hotKeys(5).map((h) => h.key),
      ['kept'],
    )
    assert.deepEqual(map.hotKeys(0), [])
    const none = new SharedMap<string, number>({ metrics: { hotKeys: 0, sample: 1 } })
    none.set('a', 1)
    assert.deepEqual(none.hotKeys(3), [])
    assert.equal(none.metrics().sampledCalls, 0)
  })

  test('numbers and bigints resolve to themselves', () => {
    const map = new SharedMap<number | bigint, number>({ metrics: { sample: 1 } })
    for (let i = 0; i < 30; i++) map.set(7, i)
    for (let i = 0; i < 20; i++) map.set(9n, i)
    assert.deepEqual(map.hotKeys(2), [
      { key: 7, count: 30 },
      { key: 9n, count: 20 },
    ])
  })
})
