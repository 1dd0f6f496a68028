// Fault injection: workers killed (worker.terminate()) in the middle of set, delete,
// update and growth. Afterwards no shard is locked for ever (readers and writers on
// every shard proceed), checkInvariants() passes, and every write acknowledged
// before the kill is still there. Operations in flight at the kill may or may not
// have happened.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { SharedMap, watch, type Concurrency } from '../../src/index.js'
import { exited, mapWorkerFile, sleep, start } from '../helpers/workers.js'

const STRATEGIES: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex', 'none']
const ROUNDS = 6

/** The state the `acked` scenario leaves after `ops` complete operations. */
function expectedAfter(prefix: string, ops: number): Map<string, unknown> {
  const expected = new Map<string, unknown>()
  let counter = 0
  for (let i = 0; i < ops; i++) {
    expected.set(`${prefix}${i}`, { i, pad: 'p'.repeat(i % 40) })
    if (i % 3 === 0 && i >= 300) expected.delete(`${prefix}${i - 300}`)
    if (i % 5 === 0) counter++
  }
  if (counter > 0) expected.set(`${prefix}counter`, counter)
  return expected
}

/** Keys the operation in flight at the kill (number `ops`) may have touched. */
function inFlight(prefix: string, ops: number): Set<string> {
  return new Set([`${prefix}${ops}`, `${prefix}${ops - 300}`, `${prefix}counter`])
}

for (const concurrency of STRATEGIES) {
  test(`'${concurrency}': a worker killed while holding a shard (in an update callback) is recovered from`, async () => {
    const map = new SharedMap<string, unknown>({ concurrency, shards: 4 })
    map.set('held', 'before')
    const holder = start('holdInCallback', { handle: map.handle, key: 'held', gate: new SharedArrayBuffer(4) }, mapWorkerFile)
    watch(holder.worker)
    await holder.event('holding')
    await holder.worker.terminate()
    await exited(holder.worker)
    assert.equal(map.get('held'), 'before', 'the dead callback changed nothing')
    map.set('held', 'after')
    assert.equal(map.get('held'), 'after')
    assert.ok(map.stats().recoveries >= 1, 'the shard was taken over and repaired')
    map.checkInvariants()
  })

  describe(`SharedMap '${concurrency}': workers killed mid-operation`, () => {
    test(`${ROUNDS} kills: acknowledged writes survive, invariants hold, nothing stays locked`, async (t) => {
      // A small map, so that kills land in the middle of resizes too.
      const map = new SharedMap<string, unknown>({ concurrency, initialCapacity: 8, shards: 4 })
      const verified: Array<{ prefix: string; ops: number }> = []
      for (let round = 0; round < ROUNDS; round++) {
        const prefix = `r${round}:`
        const acked = new SharedArrayBuffer(4)
        const writer = start('acked', { handle: map.handle, prefix, acked }, mapWorkerFile)
        watch(writer.worker)
        // Readers run through the kill: they must keep making progress afterwards.
        // ('none' forbids concurrent readers, so it is killed alone.)
        const stop = new SharedArrayBuffer(4)
        const progress = new SharedArrayBuffer(4)
        const reader = concurrency === 'none' ? undefined : start('reads', { handle: map.handle, prefix, range: 2000, seed: round + 1, stop, progress }, mapWorkerFile)
        await writer.event('started')
        await sleep(40 + ((round * 37) % 120))
        await writer.worker.terminate()
        await exited(writer.worker)
        const ops = Atomics.load(new Int32Array(acked), 0)
        assert.ok(ops > 0, 'the writer acknowledged some operations before the kill')
        if (reader !== undefined) {
          const before = Atomics.load(new Int32Array(progress), 0)
          await sleep(150)
          assert.ok(Atomics.load(new Int32Array(progress), 0) > before, 'readers progress after the kill')
          Atomics.store(new Int32Array(stop), 0, 1)
          await reader.result
        }
        map.checkInvariants()
        verified.push({ prefix, ops })
        for (const { prefix: p, ops: n } of verified) {
          const maybe = inFlight(p, n)
          for (const [key, value] of expectedAfter(p, n)) {
            if (maybe.has(key)) continue
            assert.deepEqual(map.get(key), value, `acknowledged write of ${key} (${n} ops acked)`)
          }
          const counter = map.get(`${p}counter`) as number | undefined
          const base = expectedAfter(p, n).get(`${p}counter`) as number | undefined
          assert.ok(counter === base || counter === (base ?? 0) + 1, `counter ${counter} vs ${base}`)
        }
        // Every shard takes writes again.
        for (let i = 0; i < 64; i++) map.set(`after:${round}:${i}`, i)
        for (let i = 0; i < 64; i++) assert.equal(map.get(`after:${round}:${i}`), i)
      }
      map.checkInvariants()
      // Kills land at random points: those inside a critical section were repaired.
      t.diagnostic(`recoveries after ${ROUNDS} kills: ${map.stats().recoveries}`)
    })
  })
}
