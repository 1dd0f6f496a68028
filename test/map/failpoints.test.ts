// A kill at every crash point of the write protocol, under every strategy: a worker
// runs a deterministic write sequence (failpoint-ops.ts) and parks at the point
// (failpoints.ts); the test terminates it there. Then, before any write (so that
// readers must repair on their own): size equals what iteration yields; the map
// holds exactly the state after the acknowledged operations, or after those and the
// one in flight (a clear() leaves all or nothing); checkInvariants() passes; every
// shard takes writes again.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isDeepStrictEqual } from 'node:util'
import { SharedMap, watch, type Concurrency } from '../../src/index.js'
import { FAILPOINTS, type Failpoint } from '../../src/map/failpoints.js'
import { churnAfter, modelAfter, type FailpointValue } from '../helpers/failpoint-ops.js'
import { exited, mapWorkerFile, reached, start } from '../helpers/workers.js'

const STRATEGIES: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex', 'none']
/** Points of a full map's table only (killInPurge). */
const FULL_MAP_POINTS: readonly Failpoint[] = ['purge:copied']
const WRITE_POINTS = FAILPOINTS.filter((point) => point !== 'read:begun' && point !== 'repair:begun' && !FULL_MAP_POINTS.includes(point))
/** Hits skipped before parking: the first hit, and one deep in the run (after growth, reuse, clears). */
const SKIPS = [0, 7] as const
const MAX_OPS = 20_000

function sameEntries(actual: Map<string, unknown>, expected: Map<string, FailpointValue>): boolean {
  return actual.size === expected.size && [...expected].every(([key, value]) => isDeepStrictEqual(actual.get(key), value))
}

/** Cache maps: a deadline and queue links in every record, and a bound the run never reaches. */
const CACHE = { ttl: Infinity, maxEntries: 1_000_000, sweeper: false } as const

async function killAt(concurrency: Concurrency, point: Failpoint, skip: number, options: Partial<typeof CACHE> = {}): Promise<void> {
  // One shard, so that the writes resize, reuse and clear the same tables.
  const map = new SharedMap<string, FailpointValue>({ ...options, concurrency, shards: 1, initialCapacity: 8 })
  const gate = new SharedArrayBuffer(4)
  const acked = new SharedArrayBuffer(4)
  const kinds = new SharedArrayBuffer(4 * MAX_OPS)
  const writer = start('failpoint', { handle: map.handle, point, skip, gate, acked, kinds }, mapWorkerFile)
  watch(writer.worker)
  const parked = await Promise.race([reached(gate, 20_000), writer.result.then((result) => assert.fail(`the writer ended (${String(result)}) without reaching '${point}'`))])
  assert.ok(parked, `'${point}' was reached`)
  await writer.worker.terminate()
  await exited(writer.worker)

  const ops = Atomics.load(new Int32Array(acked), 0)
  const log = new Int32Array(kinds)
  checkAfterKill(map, ops, modelAfter(ops, log), modelAfter(ops + 1, log))
  for (let i = 0; i < 64; i++) map.set(`after${i}`, { i, pad: '' })
  for (let i = 0; i < 64; i++) assert.deepEqual(map.get(`after${i}`), { i, pad: '' })
  map.checkInvariants()
}

/**
 * What every kill must leave: checked by reads first (a reader meeting the dead
 * writer's shard must repair it itself). Returns the map's snapshot.
 */
function checkAfterKill(map: SharedMap<string, FailpointValue>, ops: number, before: Map<string, FailpointValue>, after: Map<string, FailpointValue>): Map<string, FailpointValue> {
  const iterated = [...map.keys()].length
  assert.equal(map.size, iterated, `size equals the keys iteration yields (${ops} ops acked)`)
  const snapshot = map.snapshot()
  assert.ok(
    sameEntries(snapshot, before) || sameEntries(snapshot, after),
    `the map holds the state after ${ops} acknowledged ops (${before.size} keys) or after the one in flight too (${after.size} keys), not ${snapshot.size} keys`,
  )
  map.checkInvariants()
  // Twice: the first fills the read cache, the second is served from it (or, for a
  // record the dead writer marked DEAD but left published, read anew).
  for (const [key, value] of snapshot) for (let twice = 0; twice < 2; twice++) assert.deepEqual(map.get(key), value, key)
  return snapshot
}

/** A kill in a full map's tombstone purge: the churn of failpoint-ops.ts on one shard. */
async function killInPurge(concurrency: Concurrency, point: Failpoint, skip: number): Promise<void> {
  const map = new SharedMap<string, FailpointValue>({ concurrency, shards: 1, initialCapacity: 64, maxBytes: 64 * 1024 })
  const gate = new SharedArrayBuffer(4)
  const acked = new SharedArrayBuffer(8)
  const writer = start('failpointFull', { handle: map.handle, point, skip, gate, acked }, mapWorkerFile)
  watch(writer.worker)
  const parked = await Promise.race([reached(gate, 20_000), writer.result.then((result) => assert.fail(`the writer ended (${String(result)}) without reaching '${point}'`))])
  assert.ok(parked, `'${point}' was reached`)
  await writer.worker.terminate()
  await exited(writer.worker)
  const [halves = 0, fill = 0] = new Int32Array(acked)
  assert.ok(fill > 100, `the fill stopped at ${fill} keys`)
  checkAfterKill(map, halves, churnAfter(fill, halves), churnAfter(fill, halves + 1))
  // The full map still turns deletes into room for inserts.
  for (let i = 0; i < 64; i++) {
    map.delete(`f${fill - 1 - i}`)
    map.set(`after${i}`, { i, pad: '' })
  }
  for (let i = 0; i < 64; i++) assert.deepEqual(map.get(`after${i}`), { i, pad: '' })
  map.checkInvariants()
}

for (const concurrency of STRATEGIES) {
  test(`'${concurrency}': a writer killed at each crash point leaves the map whole`, async (t) => {
    for (const point of WRITE_POINTS) {
      for (const skip of SKIPS) {
        await t.test(`${point} (after ${skip} hits)`, () => killAt(concurrency, point, skip))
      }
    }
  })
}

test('a writer killed in a full map\'s tombstone purge, under every strategy, leaves the map whole', async (t) => {
  for (const concurrency of STRATEGIES) {
    for (const point of FULL_MAP_POINTS) {
      for (const skip of SKIPS) {
        await t.test(`'${concurrency}': ${point} (after ${skip} hits)`, () => killInPurge(concurrency, point, skip))
      }
    }
  }
})

for (const concurrency of ['optimistic', 'sharded'] as const satisfies readonly Concurrency[]) {
  test(`'${concurrency}', cache records: a writer killed at each crash point leaves the map and its queues whole`, async (t) => {
    for (const point of WRITE_POINTS) {
      for (const skip of SKIPS) {
        await t.test(`${point} (after ${skip} hits)`, () => killAt(concurrency, point, skip, CACHE))
      }
    }
  })
}
