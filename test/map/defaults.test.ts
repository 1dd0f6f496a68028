// Defaults that do not depend on the machine: the same options give the same map on
// a laptop and on a 64-core server, and every maxBytes from the documented floor works
// with the default shards and capacity.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { SharedMap, type Concurrency } from '../../src/index.js'

const CONCURRENCIES: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex', 'none']

test('the default shard count is 64, and the same when the machine reports other core counts', () => {
  assert.equal(new SharedMap().stats().shards, 64)
  // A child process whose os.availableParallelism() says 1, then 128 cores.
  const index = new URL('../../src/index.js', import.meta.url).href
  for (const cores of [1, 128]) {
    const script = `import os from 'node:os'; import { syncBuiltinESMExports } from 'node:module'; os.availableParallelism = () => ${cores}; os.cpus = () => Array(${cores}).fill(os.cpus()[0]); syncBuiltinESMExports();
      const { SharedMap } = await import(${JSON.stringify(index)}); console.log(new SharedMap().stats().shards)`
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
    assert.equal(child.status, 0, child.stderr)
    assert.equal(child.stdout.trim(), '64', `${cores} cores`)
  }
})

test('every maxBytes from 4096 works with the default shards and capacity, under every strategy', () => {
  const expected = new Map([[4096, 1], [16 * 1024, 4], [64 * 1024, 16], [256 * 1024, 64], [1 << 20, 64]])
  for (const concurrency of CONCURRENCIES) {
    for (let maxBytes = 4096; maxBytes <= 1 << 20; maxBytes *= 2) {
      const map = new SharedMap<string, string>({ concurrency, maxBytes, codec: 'string' })
      const shards = map.stats().shards
      // The lock strategies' shards are larger (an RWLock's reader slots), so fewer fit.
      if (concurrency === 'optimistic' && expected.has(maxBytes)) assert.equal(shards, expected.get(maxBytes), `${maxBytes} bytes`)
      // Room for entries: at least one per 100 bytes of maxBytes (about 80 are used).
      for (let i = 0; i < maxBytes / 100; i++) map.set(`k${i}`, `v${i}`)
      for (let i = 0; i < maxBytes / 100; i++) assert.equal(map.get(`k${i}`), `v${i}`)
      map.checkInvariants()
    }
  }
})
