// The SharedMap contract under real concurrency, for every strategy: several worker
// threads on one map at the same time, with invariant checks afterwards.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { SharedMap, type Concurrency } from '../../src/index.js'
import { mapWorkerFile, sleep, start } from '../helpers/workers.js'

const STRATEGIES: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex']

function run(scenario: string, data: Record<string, unknown>) {
  return start(scenario, data, mapWorkerFile)
}

for (const concurrency of STRATEGIES) {
  describe(`SharedMap '${concurrency}' with worker threads`, () => {
    test('concurrent update() increments are exact', async () => {
      const map = new SharedMap<string, number>({ concurrency, initialCapacity: 8 })
      const keys = Array.from({ length: 8 }, (_, i) => `counter:${i}`)
      const workers = 4
      const iterations = 4000
      await Promise.all(Array.from({ length: workers }, () => run('updates', { handle: map.handle, keys, iterations }).result))
      let total = 0
      for (const key of keys) total += map.get(key) ?? 0
      assert.equal(total, workers * iterations)
      for (const key of keys) assert.equal(map.get(key), (workers * iterations) / keys.length)
      map.checkInvariants()
    })

    test('four workers insert 1M distinct keys and none is lost', async () => {
      const map = new SharedMap<string, number>({ concurrency, initialCapacity: 16 })
      const perWorker = 250_000
      const results = (await Promise.all(
        Array.from({ length: 4 }, (_, w) => run('insert', { handle: map.handle, prefix: `w${w}:`, count: perWorker }).result),
      )) as Array<{ inserted: number; missing: number }>
      for (const r of results) assert.equal(r.missing, 0)
      assert.equal(map.size, 4 * perWorker)
      for (let w = 0; w < 4; w++) for (let i = 0; i < perWorker; i += 997) assert.equal(map.get(`w${w}:${i}`), i)
      assert.ok(map.stats().resizes > 0, 'the map grew while the workers inserted')
      map.checkInvariants()
    })

    test('delete/insert churn keeps invariants; iteration never yields a key twice and yields every stable key', async () => {
      const map = new SharedMap<string, unknown>({ concurrency, initialCapacity: 64, shards: 8 })
      const stable = 500
      for (let i = 0; i < stable; i++) map.set(`stable:${i}`, i)
      const stop = new SharedArrayBuffer(4)
      const churners = [1, 2].map((seed) => run('churn', { handle: map.handle, seed, range: 3000, stop }))
      const iterator = run('iterate', { handle: map.handle, stable, stop })
      // The window opens once all three run: on a loaded machine booting a worker can
      // take most of it, and a churner that started late has not starved.
      await Promise.all([...churners, iterator].map((w) => w.event('running')))
      await sleep(1500)
      Atomics.store(new Int32Array(stop), 0, 1)
      const ops = (await Promise.all(churners.map((c) => c.result))) as number[]
      const seen = (await iterator.result) as { iterations: number; duplicates: number; missing: number }
      assert.ok(ops.every((n) => n > 1000), `churn made progress: ${ops.join(', ')}`)
      assert.ok(seen.iterations > 0)
      assert.equal(seen.duplicates, 0)
      assert.equal(seen.missing, 0)
      map.checkInvariants()
      for (let i = 0; i < stable; i++) assert.equal(map.get(`stable:${i}`), i)
      const snapshot = map.snapshot()
      assert.equal(snapshot.size, map.size)
    })

    test('loadOrStore racing on the same keys: exactly one store wins per key, all see its value (seed 003)', async () => {
      const map = new SharedMap<string, number>({ concurrency })
      const keys = Array.from({ length: 2000 }, (_, i) => `los:${i}`)
      const results = (await Promise.all(
        [0, 1, 2, 3].map((id) => run('loadOrStore', { handle: map.handle, keys, id }).result),
      )) as Array<Array<{ value: number; loaded: boolean }>>
      keys.forEach((key, k) => {
        const answers = results.map((r) => r[k] as { value: number; loaded: boolean })
        assert.equal(answers.filter((a) => !a.loaded).length, 1, `one store for ${key}`)
        const winner = map.get(key)
        assert.ok(answers.every((a) => a.value === winner), `every caller saw the stored value of ${key}`)
      })
    })

    test('snapshot() is one point in time across all shards while a writer runs', async () => {
      // The writer sets s:0 … s:255 to its round number in key order. At any instant
      // the keys read r … r, r-1 … r-1: non-increasing, spread at most 1. A copy taken
      // shard by shard at different moments would break that.
      const count = 256
      const map = new SharedMap<string, number>({ concurrency, shards: 16 })
      for (let i = 0; i < count; i++) map.set(`s:${i}`, 0)
      const stop = new SharedArrayBuffer(4)
      const writer = run('rounds', { handle: map.handle, count, stop })
      let checked = 0
      const deadline = performance.now() + 1500
      while (performance.now() < deadline) {
        const snapshot = map.snapshot()
        const values = Array.from({ length: count }, (_, i) => snapshot.get(`s:${i}`) as number)
        for (let i = 1; i < count; i++) {
          assert.ok((values[i] as number) <= (values[i - 1] as number), `s:${i} = ${values[i]} after s:${i - 1} = ${values[i - 1]}`)
        }
        assert.ok((values[0] as number) - (values[count - 1] as number) <= 1, `spread ${values[0]} … ${values[count - 1]}`)
        checked++
        await new Promise((resolve) => setImmediate(resolve))
      }
      Atomics.store(new Int32Array(stop), 0, 1)
      const rounds = (await writer.result) as number
      assert.ok(rounds > 1 && checked > 10, `${rounds} rounds written, ${checked} snapshots checked`)
    })

    test('getOrCompute runs the factory once per absent key across threads', async () => {
      const map = new SharedMap<string, number>({ concurrency })
      const keys = Array.from({ length: 500 }, (_, i) => `goc:${i}`)
      const calls = new SharedArrayBuffer(4 * keys.length)
      const results = (await Promise.all([0, 1, 2, 3].map((id) => run('getOrCompute', { handle: map.handle, keys, calls, id }).result))) as number[][]
      const counts = new Int32Array(calls)
      keys.forEach((key, k) => {
        assert.equal(counts[k], 1, `factory calls for ${key}`)
        const value = map.get(key)
        assert.ok(results.every((r) => r[k] === value))
      })
    })
  })
}
