// A cache map shared by real worker threads: expiry set in one thread seen in another at
// the deadline; the maxEntries bound under four writers racing; the sweeper's election and
// its takeover after terminate(); kills in the middle of evictions and sweeps; and a process
// holding a TTL map exits on its own.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { SharedMap, watch, type Concurrency } from '../../src/index.js'
import type { Failpoint } from '../../src/map/failpoints.js'
import { exited, mapWorkerFile, reached, sleep, start } from '../helpers/workers.js'

/** How late past its deadline a polling thread may first see an entry absent. */
const TOLERANCE_MS = 150

async function until(what: string, ms: number, check: () => boolean): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) assert.fail(`${what} within ${ms} ms`)
    await sleep(20)
  }
}

test('an entry set with a ttl in one thread is gone in two others at its deadline, and stays gone', async () => {
  const map = new SharedMap<string, string>({ ttl: Infinity, shards: 4 })
  const ttls = { a: 300, b: 600, c: 900 }
  const until = new SharedArrayBuffer(8)
  const watchers = [0, 1].map(() => start('cacheWatch', { handle: map.handle, keys: [...Object.keys(ttls), 'forever'], until }, mapWorkerFile))
  await Promise.all(watchers.map((w) => w.event('watching')))
  const written = Date.now()
  for (const [key, ttl] of Object.entries(ttls)) map.set(key, 'v', { ttl })
  const wrote = Date.now()
  map.set('forever', 'v')
  // The watch ends well after the last deadline, counted from the writes: a loaded
  // machine may start them late.
  Atomics.store(new BigInt64Array(until), 0, BigInt(wrote + Math.max(...Object.values(ttls)) + 2 * TOLERANCE_MS))
  for (const watcher of watchers) {
    const { gone, reappeared } = (await watcher.result) as { gone: Record<string, number>; reappeared: string[] }
    assert.deepEqual(reappeared, [])
    assert.equal(gone.forever, undefined, 'an entry without a ttl stays')
    for (const [key, ttl] of Object.entries(ttls)) {
      const at = gone[key]
      assert.ok(at !== undefined, `${key} went`)
      assert.ok(at >= written + ttl, `${key} was present until its deadline (gone ${at - written} ms after the write, ttl ${ttl})`)
      assert.ok(at <= wrote + ttl + TOLERANCE_MS, `${key} was gone within ${TOLERANCE_MS} ms of its deadline (${at - wrote - ttl} ms late)`)
    }
  }
})

const BOUND_RUNS = [
  { concurrency: 'optimistic', eviction: 'fifo', readers: 0 },
  { concurrency: 'sharded', eviction: 'fifo', readers: 0 },
  // Readers set reference bits while the writers' hands clear them and evict.
  { concurrency: 'optimistic', eviction: 'sieve', readers: 2 },
] as const satisfies ReadonlyArray<{ concurrency: Concurrency; eviction: 'fifo' | 'sieve'; readers: number }>

for (const { concurrency, eviction, readers: readerCount } of BOUND_RUNS) {
  test(`'${concurrency}', '${eviction}': four writers inserting distinct keys never take size past maxEntries${readerCount > 0 ? `, ${readerCount} readers reading` : ''}`, async () => {
    const maxEntries = 500
    const map = new SharedMap<string, number>({ concurrency, maxEntries, eviction, shards: 8 })
    const stop = new SharedArrayBuffer(4)
    const progress = [0, 1, 2, 3].map(() => new SharedArrayBuffer(4))
    const writers = [0, 1, 2, 3].map((w) => start('cacheFill', { handle: map.handle, prefix: `w${w}:`, stop, progress: progress[w] }, mapWorkerFile))
    const readers = Array.from({ length: readerCount }, (_, r) => start('cacheRead', { handle: map.handle, prefix: `w${r}:`, range: 400, seed: r + 1, stop, progress: progress[r] }, mapWorkerFile))
    await Promise.all([...writers.map((w) => w.event('filling')), ...readers.map((r) => r.event('reading'))])
    let samples = 0
    let largest = 0
    const end = Date.now() + 1500
    while (Date.now() < end) {
      const size = map.size
      largest = Math.max(largest, size)
      assert.ok(size <= maxEntries, `size ${size} passed maxEntries ${maxEntries}`)
      const live = map.snapshot().size
      assert.ok(live <= maxEntries, `a snapshot held ${live} entries`)
      samples++
      await null
    }
    Atomics.store(new Int32Array(stop), 0, 1)
    const inserted = (await Promise.all(writers.map((w) => w.result))) as number[]
    for (const read of (await Promise.all(readers.map((r) => r.result))) as Array<{ found: number; wrong: string[] }>) {
      assert.deepEqual(read.wrong, [], 'every value a reader found was written for its key')
      assert.ok(read.found > 0, 'the reader found entries')
    }
    assert.ok(samples > 10 && largest === maxEntries, `the bound was reached (largest size ${largest}, ${samples} samples)`)
    assert.ok(inserted.every((n) => n > maxEntries), `every writer inserted past the bound (${inserted.join(', ')})`)
    assert.equal(map.size, maxEntries)
    for (const [key, value] of map) {
      const [, w, i] = /^w(\d):(\d+)$/.exec(key) ?? []
      assert.ok(w !== undefined && Number(i) === value && value < (inserted[Number(w)] ?? 0), `${key} = ${value} is a write that happened`)
    }
    const stats = map.stats()
    assert.equal(stats.evictions, inserted.reduce((sum, n) => sum + n, 0) - maxEntries)
    map.checkInvariants()
  })
}

test('the sweeper is elected among the threads that allow it, and taken over when its thread is terminated', async () => {
  const map = new SharedMap<string, number>({ ttl: 50, shards: 4, sweeper: false })
  const stop = new SharedArrayBuffer(4)
  const idlers = [0, 1].map(() => start('cacheIdle', { handle: map.handle, stop }, mapWorkerFile))
  const ids = (await Promise.all(idlers.map((w) => w.event('idle')))) as number[]
  idlers.forEach((w) => watch(w.worker))
  await until('a sweeper is elected', 5000, () => map.stats().sweeper !== undefined)
  const first = map.stats().sweeper
  assert.ok(ids.includes(first as number), `the sweeper ${first} is one of the workers ${ids.join(', ')}, not this thread`)
  for (let i = 0; i < 200; i++) map.set(`a${i}`, i)
  await until('the sweeper removes expired entries', 5000, () => map.size === 0)
  const victim = idlers[ids.indexOf(first as number)]
  assert.ok(victim !== undefined)
  await victim.worker.terminate()
  await exited(victim.worker)
  for (let i = 0; i < 200; i++) map.set(`b${i}`, i)
  const other = ids.find((id) => id !== first)
  await until('the other worker takes the sweeper over and sweeps', 8000, () => map.stats().sweeper === other && map.size === 0)
  assert.ok(map.stats().expirations >= 400)
  Atomics.store(new Int32Array(stop), 0, 1)
  await Promise.all(idlers.filter((w) => w !== victim).map((w) => w.result))
  map.checkInvariants()
})

const EVICTION_POINTS: readonly Failpoint[] = ['put:record-written', 'put:inserted', 'remove:retired', 'remove:tombstoned', 'free:linked', 'alloc:reused']

for (const concurrency of ['optimistic', 'sharded', 'mutex'] as const satisfies readonly Concurrency[]) {
  test(`'${concurrency}': a writer killed at any step of an eviction leaves the bound, the queue and the values whole`, async () => {
    for (const point of EVICTION_POINTS) {
      const maxEntries = 40
      const map = new SharedMap<string, number>({ concurrency, maxEntries, shards: 2, initialCapacity: 8 })
      const gate = new SharedArrayBuffer(4)
      // Past the bound every insert evicts: a skip past maxEntries parks inside one.
      const writer = start('cacheFill', { handle: map.handle, prefix: 'k', point, skip: 3 * maxEntries, gate }, mapWorkerFile)
      watch(writer.worker)
      assert.ok(await reached(gate, 20_000), `'${point}' was reached`)
      await writer.worker.terminate()
      await exited(writer.worker)
      for (const [key, value] of map) assert.equal(key, `k${value}`, `${point}: ${key} holds a value written for it`)
      assert.ok(map.size <= maxEntries, `${point}: size ${map.size}`)
      map.checkInvariants()
      for (let i = 0; i < 3 * maxEntries; i++) map.set(`after${i}`, i)
      assert.equal(map.size, maxEntries, `${point}: the bound is whole again`)
      // Each shard evicts its own oldest: the newest entries of both shards stay.
      assert.equal(map.get(`after${3 * maxEntries - 1}`), 3 * maxEntries - 1)
      assert.deepEqual([...map.keys()].filter((key) => !key.startsWith('after')), [], `${point}: the entries from before the kill were evicted first`)
      map.checkInvariants()
    }
  })
}

test('a sweep killed in the middle leaves invariants whole, and the next sweep finishes', async () => {
  for (const point of ['remove:retired', 'remove:tombstoned', 'free:linked'] as const) {
    const map = new SharedMap<string, number>({ ttl: 30, shards: 1, sweeper: false })
    for (let i = 0; i < 100; i++) map.set(`k${i}`, i)
    map.set('stays', 1, { ttl: Infinity })
    await sleep(60)
    const gate = new SharedArrayBuffer(4)
    const sweeper = start('cacheSweep', { handle: map.handle, point, skip: 10, gate }, mapWorkerFile)
    watch(sweeper.worker)
    assert.ok(await reached(gate, 20_000), `'${point}' was reached`)
    await sweeper.worker.terminate()
    await exited(sweeper.worker)
    assert.deepEqual([...map.keys()], ['stays'])
    map.checkInvariants()
    map.sweep()
    assert.equal(map.size, 1)
    map.checkInvariants()
  }
})

test('a process holding a cache map with a ttl exits on its own', () => {
  const entry = fileURLToPath(new URL('../../src/index.js', import.meta.url))
  const script = `import { SharedMap } from ${JSON.stringify(entry)}
const map = new SharedMap({ ttl: 60000, maxEntries: 100 })
for (let i = 0; i < 500; i++) map.set('k' + i, i)
console.log(map.size)`
  const began = Date.now()
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 })
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stdout.trim(), '100')
  assert.ok(Date.now() - began < 15_000)
})
