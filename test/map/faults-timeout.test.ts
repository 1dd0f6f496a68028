// lockTimeout: no map call waits for ever behind a live holder. A worker parks in an
// update() callback holding one key's shard; every call that needs that shard throws
// ERR_LOCK_TIMEOUT naming the worker, on time, and changes nothing: once the worker
// goes on, the map holds exactly what it would have held without the timed-out calls.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { SharedMap, isConmapError, type Concurrency } from '../../src/index.js'
import { assertTimedOut, Gate, start, withCode } from '../helpers/workers.js'

const dyingWorkerFile = fileURLToPath(new URL('../sync/dying-worker.js', import.meta.url))
const TIMEOUT = 150
const STRATEGIES: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex']

for (const concurrency of STRATEGIES) {
  test(`'${concurrency}': calls behind a live holder time out after lockTimeout, name it, and change nothing`, { timeout: 60_000 }, async () => {
    const map = new SharedMap<string, string>({ concurrency, shards: 4, lockTimeout: TIMEOUT })
    for (let i = 0; i < 40; i++) map.set(`other${i}`, `v${i}`)
    map.set('k', 'before')
    const gate = new Gate()
    const holder = start('holdInUpdate', { handle: map.handle, key: 'k', gate: gate.buffer }, dyingWorkerFile)
    await holder.event('holding')
    const calls: Array<[string, () => unknown]> = [
      ['set', () => map.set('k', 'x')],
      ['delete', () => map.delete('k')],
      ['update', () => map.update('k', () => 'x')],
      ['loadOrStore', () => map.loadOrStore('k', 'x')],
      ['compareAndSwap', () => map.compareAndSwap('k', 'before', 'x')],
      // clear() holds every shard before it changes any (write.ts).
      ['clear', () => map.clear()],
    ]
    for (const [name, call] of calls) {
      const began = performance.now()
      assert.throws(call, (err: unknown) => {
        assert.ok(isConmapError(err, 'ERR_LOCK_TIMEOUT'), `${name}: ${String(err)}`)
        assert.match(err.message, new RegExp(`held by thread ${holder.worker.threadId} \\(alive\\)`))
        return true
      })
      assertTimedOut(performance.now() - began, TIMEOUT)
    }
    gate.open()
    assert.equal(await holder.result, 'released')
    assert.equal(map.get('k'), 'released', "the holder's own update went through")
    for (let i = 0; i < 40; i++) assert.equal(map.get(`other${i}`), `v${i}`, 'the timed-out calls changed no other key')
    assert.equal(map.size, 41)
    map.checkInvariants()
  })
}

test('lockTimeout: a non-negative number of ms or Infinity, on new SharedMap and attach; anything else is ERR_INVALID_ARGUMENT', () => {
  for (const bad of [-1, Number.NaN, '100', null]) {
    assert.throws(() => new SharedMap({ lockTimeout: bad as number }), withCode('ERR_INVALID_ARGUMENT'))
  }
  const map = new SharedMap({ lockTimeout: Infinity })
  assert.throws(() => SharedMap.attach(map.handle, { lockTimeout: -5 }), withCode('ERR_INVALID_ARGUMENT'))
  map.set('a', 1)
  assert.equal(SharedMap.attach(map.handle, { lockTimeout: 0 }).get('a'), 1)
})
