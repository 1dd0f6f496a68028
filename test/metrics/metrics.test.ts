// map.metrics(): counters in shared memory, one row per thread, summed over every
// thread, with real worker threads (exited and killed ones included).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { execFileSync } from 'node:child_process'
import { SharedMap, guard, type Concurrency, type MapMetrics } from '../../src/index.js'
import { exited, start, withCode } from '../helpers/workers.js'

const metricsWorker = fileURLToPath(new URL('../fixtures/metrics-worker.js', import.meta.url))

function run(scenario: string, data: Record<string, unknown>) {
  return start(scenario, data, metricsWorker)
}

/** What `workers` runs of the fixture's knownOps(n) add up to. */
function expectKnown(m: MapMetrics, workers: number, n: number): void {
  assert.deepEqual(m.ops.set, { ok: workers * n, hits: 0, misses: 0, errors: { ERR_INVALID_KEY: workers } })
  assert.deepEqual(m.ops.get, { ok: 2 * workers * n, hits: workers * n, misses: workers * n, errors: {} })
  assert.deepEqual(m.ops.delete, { ok: (workers * n) / 2, hits: (workers * n) / 2, misses: 0, errors: {} })
  assert.deepEqual(m.ops.update, { ok: workers * n, hits: 0, misses: 0, errors: {} })
}

describe('map.metrics()', () => {
  for (const concurrency of ['optimistic', 'sharded', 'mutex'] as const satisfies readonly Concurrency[]) {
    test(`'${concurrency}': four workers' known counts, summed exactly in the main thread`, async () => {
      const map = new SharedMap<string, number>({ concurrency, metrics: true })
      const n = 1000
      await Promise.all(Array.from({ length: 4 }, (_, w) => run('ops', { handle: map.handle, prefix: `w${w}:`, n }).result))
      const m = map.metrics()
      expectKnown(m, 4, n)
      // Every set, delete and update takes its shard's (or the map's) write lock once.
      // Reads lock only under 'sharded' (read locks) and 'mutex' (the one lock, in write mode).
      const writes = 4 * (n + n / 2 + n)
      const reads = 4 * 2 * n
      assert.equal(m.lockWaits.write.count, concurrency === 'mutex' ? writes + reads : writes)
      assert.equal(m.lockWaits.read.count, concurrency === 'sharded' ? reads : 0)
      assert.equal(m.entries, map.size)
      assert.equal(m.entries, 4 * (n / 2 + 1))
      assert.equal(m.overflowThreads, 0)
      assert.equal(m.lockTimeouts, 0)
      assert.equal(m.lockWaits.write.counts.length, m.lockWaits.write.bounds.length + 1)
      assert.equal(m.bytes.used <= m.bytes.reserved && m.bytes.reserved <= m.bytes.max, true)
      // The region below the tables leaves the map's own structures intact.
      map.checkInvariants()
    })
  }

  test('a killed worker loses none of its counts, and its row passes to the next thread', async () => {
    const map = new SharedMap<string, number>({ metrics: { threads: 2 } })
    const n = 200
    const doomed = run('opsThenHang', { handle: map.handle, prefix: 'a:', n })
    await doomed.event('recorded')
    await doomed.worker.terminate()
    await exited(doomed.worker)
    expectKnown(map.metrics(), 1, n)
    // Rows: the main thread's and the dead worker's; the next worker takes the dead one's over.
    await run('ops', { handle: map.handle, prefix: 'b:', n }).result
    const m = map.metrics()
    expectKnown(m, 2, n)
    assert.equal(m.overflowThreads, 0)
  })

  test('threads past the rows share the overflow row, and say so', async () => {
    const map = new SharedMap<string, number>({ metrics: { threads: 1 } })
    const n = 100
    await run('ops', { handle: map.handle, prefix: 'a:', n }).result
    const m = map.metrics()
    expectKnown(m, 1, n)
    assert.equal(m.overflowThreads, 1)
  })

  test('lock waits land in the histogram in seconds, and timeouts count as errors', async () => {
    const map = new SharedMap<string, number>({ concurrency: 'sharded', metrics: true, lockTimeout: 30 })
    const holder = run('holdFor', { handle: map.handle, key: 'k', ms: 1000 })
    await holder.event('holding')
    assert.throws(() => map.set('k', 1), withCode('ERR_LOCK_TIMEOUT'))
    await holder.result
    const timedOut = map.metrics()
    assert.deepEqual(timedOut.ops.set?.errors, { ERR_LOCK_TIMEOUT: 1 })
    assert.equal(timedOut.lockTimeouts, 1)

    const patient = new SharedMap<string, number>({ concurrency: 'sharded', metrics: true })
    const second = run('holdFor', { handle: patient.handle, key: 'k', ms: 300 })
    await second.event('holding')
    patient.set('k', 1)
    await second.result
    const { write } = patient.metrics().lockWaits
    assert.equal(write.count, 2)
    // The main thread's set waited for the worker's update: past the first bucket (1 µs).
    assert.equal((write.counts[0] ?? 0) + write.counts.slice(1).reduce((a, b) => a + b, 0), 2)
    assert.ok(write.counts.slice(1).some((c) => c === 1), `one wait past 1 µs: ${JSON.stringify(write.counts)}`)
    assert.ok(write.sum > 0 && write.sum < 60)
  })

  test('every method counts once with its outcome; inner reads of getOrComputeAsync are no gets', async () => {
    const map = new SharedMap<string, number>({ ttl: Infinity, metrics: true })
    map.set('a', 1)
    assert.deepEqual(map.loadOrStore('a', 2), { value: 1, loaded: true })
    assert.deepEqual(map.loadOrStore('b', 2), { value: 2, loaded: false })
    assert.equal(map.compareAndSwap('a', 1, 3), true)
    assert.equal(map.compareAndSwap('a', 1, 4), false)
    assert.equal(await map.getOrComputeAsync('c', async () => 5), 5)
    await assert.rejects(map.getOrComputeAsync('d', async () => Promise.reject(new Error('boom'))), /boom/)
    map.range(() => true)
    assert.equal(map.has('zz'), false)
    const m = map.metrics()
    assert.deepEqual(m.ops.loadOrStore, { ok: 2, hits: 1, misses: 1, errors: {} })
    assert.deepEqual(m.ops.compareAndSwap, { ok: 2, hits: 0, misses: 1, errors: {} })
    assert.deepEqual(m.ops.getOrComputeAsync, { ok: 1, hits: 0, misses: 0, errors: { error: 1 } })
    assert.deepEqual(m.ops.get, { ok: 0, hits: 0, misses: 0, errors: {} })
    assert.equal(m.ops.range?.ok, 1)
    assert.deepEqual(m.ops.has, { ok: 1, hits: 0, misses: 1, errors: {} })
    const seen = map.getVersioned('a')
    assert.ok(seen !== undefined)
    assert.equal(map.setIfVersion('a', 6, seen.version), true)
    assert.equal(map.deleteIfVersion('a', seen.version), false)
    const versioned = map.metrics()
    assert.deepEqual(versioned.ops.getVersioned, { ok: 1, hits: 1, misses: 0, errors: {} })
    assert.deepEqual(versioned.ops.setIfVersion, { ok: 1, hits: 0, misses: 0, errors: {} })
    assert.deepEqual(versioned.ops.deleteIfVersion, { ok: 1, hits: 0, misses: 1, errors: {} })
    // A batch is one call, not one per key.
    map.setMany([['x', 1], ['y', 2]])
    assert.deepEqual(map.getMany(['x', 'nope']), [1, undefined])
    assert.equal(map.deleteMany(['x', 'y']), 2)
    const batches = map.metrics()
    assert.equal(batches.ops.getMany?.ok, 1)
    assert.equal(batches.ops.setMany?.ok, 1)
    assert.equal(batches.ops.deleteMany?.ok, 1)
    assert.deepEqual(batches.ops.get, versioned.ops.get)
    assert.deepEqual(batches.ops.set, versioned.ops.set)
  })

  test('calls through guard() count once, with their outcome', async () => {
    const map = new SharedMap<string, number>({ metrics: true })
    const guarded = guard(map, { name: 'guarded' })
    guarded.set('a', 1)
    assert.equal(guarded.get('a'), 1)
    assert.equal(guarded.get('b'), undefined)
    const m = map.metrics()
    assert.deepEqual(m.ops.get, { ok: 2, hits: 1, misses: 1, errors: {} })
    assert.equal(m.ops.set?.ok, 1)
  })

  test('off by default: no wrapper, no region, and metrics() / hotKeys() say how to turn it on', () => {
    const map = new SharedMap()
    assert.equal(Object.hasOwn(map, 'get'), false)
    assert.equal(Object.hasOwn(new SharedMap({ metrics: true }), 'get'), true)
    assert.throws(() => map.metrics(), withCode('ERR_INVALID_ARGUMENT'))
    assert.throws(() => map.hotKeys(3), withCode('ERR_INVALID_ARGUMENT'))
    assert.equal(new SharedMap({ metrics: false }).stats().bytes.used, map.stats().bytes.used)
    for (const metrics of [1, 'yes', { threads: 0 }, { hotKeys: -1 }, { sample: 1.5 }]) {
      assert.throws(() => new SharedMap({ metrics } as never), withCode('ERR_INVALID_ARGUMENT'))
    }
    assert.throws(() => new SharedMap({ metrics: true }).hotKeys(-1), withCode('ERR_INVALID_ARGUMENT'))
  })

  test('two objects of one map in one thread share the thread\'s row', () => {
    const map = new SharedMap<string, number>({ metrics: { threads: 1 } })
    const again = SharedMap.attach<string, number>(map.handle)
    map.set('a', 1)
    again.set('b', 2)
    assert.equal(again.get('a'), 1)
    const m = map.metrics()
    assert.equal(m.ops.set?.ok, 2)
    assert.equal(m.ops.get?.hits, 1)
    assert.equal(m.overflowThreads, 0)
  })

  test('a map attached in a worker records into the same region (SharedMap.attach sees metrics on)', async () => {
    const map = new SharedMap<string, number>({ metrics: true })
    map.set('x', 1)
    await run('ops', { handle: map.handle, prefix: 'w:', n: 10 }).result
    assert.equal(map.metrics().ops.set?.ok, 11)
  })
})

test('metrics: true where code generation is forbidden: ERR_INVALID_ARGUMENT at creation; maps without metrics work', () => {
  const index = fileURLToPath(new URL('../../src/index.js', import.meta.url))
  const program = `
    const { SharedMap } = await import(${JSON.stringify(index)})
    const plain = new SharedMap()
    plain.set('a', 1)
    let code = 'none'
    try { new SharedMap({ metrics: true }) } catch (err) { code = err.code }
    console.log(JSON.stringify({ plain: plain.get('a'), code }))`
  const out = execFileSync(process.execPath, ['--disallow-code-generation-from-strings', '--input-type=module', '-e', program], { encoding: 'utf8' })
  assert.deepEqual(JSON.parse(out), { plain: 1, code: 'ERR_INVALID_ARGUMENT' })
})
