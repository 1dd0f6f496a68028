// The parent's record store: ring records become Operations; the history stays
// within the limit by keeping whole per-key histories for fewer keys.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { finalReads, HistoryStore } from '../../src/storm/history-store.js'
import { STORM_OPS } from '../../src/storm/index.js'
import { C, Control, R, RECORD_FIELDS, UpdateKind, W, WorkerRegion } from '../../src/storm/region.js'
import { Tag, valueText } from '../../src/storm/values.js'

const opCode = (name: string) => STORM_OPS.indexOf(name as (typeof STORM_OPS)[number])

/** Writes one record the way worker-loop.ts does; `ret` undefined leaves it in flight. */
function record(region: WorkerRegion, fields: Partial<Record<keyof typeof R, number>>, ret?: number): void {
  const begun = Atomics.load(region.i32, W.BEGUN)
  const at = (begun % region.capacity) * RECORD_FIELDS
  region.ring.fill(0, at, at + RECORD_FIELDS)
  for (const [name, value] of Object.entries(fields)) region.ring[at + R[name as keyof typeof R]] = value
  Atomics.store(region.i32, W.BEGUN, begun + 1)
  if (ret === undefined) return
  region.ring[at + R.RET] = ret
  Atomics.store(region.i32, W.DONE, begun + 1)
}

test('records become operations: arguments, answers, pending calls', () => {
  const control = new Control()
  const store = new HistoryStore(control, 8, 1000)
  const region = WorkerRegion.create(true)
  record(region, { OP: opCode('set'), KEY: 3, SEQ: 0, LENGTH: 16, CALL: 1 }, 2)
  record(region, { OP: opCode('get'), KEY: 3, SEQ: 1, CALL: 3, RES_TAG: Tag.value, RES_A: 5, RES_B: 0, RES_LENGTH: 16 }, 4)
  record(region, { OP: opCode('compareAndSwap'), KEY: 3, SEQ: 2, LENGTH: 16, CALL: 5, ARG_TAG: Tag.number, ARG_A: 0, FLAG: 1 }, 6)
  record(region, { OP: opCode('swap'), KEY: 3, SEQ: 3, CALL: 7, RES_TAG: Tag.foreign, RES_A: 0, FLAG: 1 }, 8)
  record(region, { OP: opCode('update'), KEY: 3, SEQ: 4, CALL: 9, ARG_TAG: UpdateKind.restart, RES_TAG: Tag.number, RES_A: 1 }, 10)
  store.drain(region, 5)
  assert.equal(Atomics.load(region.i32, W.READ), 5, 'the ring is released')
  record(region, { OP: opCode('loadOrStore'), KEY: 3, SEQ: 5, LENGTH: 16, CALL: 11 })
  store.addForeign(5, 0, { odd: true })
  store.drainExited(region, 5)
  const ops = store.operations()
  assert.equal(ops.length, 6)
  const own = (seq: number) => valueText(5, seq, 16)
  assert.deepEqual(ops[0], { thread: 5, key: 'k3', op: 'set', args: [own(0)], call: 1, ret: 2, result: undefined })
  assert.deepEqual(ops[1]?.result, own(0))
  assert.deepEqual(ops[2]?.args, [0, own(2)])
  assert.equal(ops[2]?.result, true)
  assert.deepEqual(ops[3]?.result, { previous: { odd: true }, loaded: true })
  assert.deepEqual(ops[4]?.args, [{ kind: 'set', value: 1 }])
  assert.deepEqual(ops[5], { thread: 5, key: 'k3', op: 'loadOrStore', args: [own(5)], call: 11 }, 'in flight at the exit: pending')
})

test('long values (--grow) are held by id and length, so a wrong length is another value', () => {
  const store = new HistoryStore(new Control(), 8, 1000)
  const region = WorkerRegion.create(true)
  record(region, { OP: opCode('set'), KEY: 1, SEQ: 0, LENGTH: 70_000, CALL: 1 }, 2)
  record(region, { OP: opCode('get'), KEY: 1, SEQ: 1, CALL: 3, RES_TAG: Tag.value, RES_A: 2, RES_B: 0, RES_LENGTH: 70_000 }, 4)
  record(region, { OP: opCode('get'), KEY: 1, SEQ: 2, CALL: 5, RES_TAG: Tag.value, RES_A: 2, RES_B: 0, RES_LENGTH: 69_999 }, 6)
  store.drain(region, 2)
  const [set, good, short] = store.operations()
  assert.equal(set?.args[0], '2.0_…(70000 chars)')
  assert.equal(good?.result, set?.args[0])
  assert.notEqual(short?.result, set?.args[0])
})

test('a killed update whose callback never ran is left out', () => {
  const store = new HistoryStore(new Control(), 8, 1000)
  const region = WorkerRegion.create(true)
  record(region, { OP: opCode('update'), KEY: 0, SEQ: 0, CALL: 1, ARG_TAG: UpdateKind.notRun })
  store.drainExited(region, 0)
  assert.equal(store.count, 1)
  assert.deepEqual(store.operations(), [])
})

test('over the limit: fewer keys, each with its whole history; then a time cutoff', () => {
  const control = new Control()
  const store = new HistoryStore(control, 8, 1000)
  const region = WorkerRegion.create(true)
  for (let i = 0; i < 1600; i++) record(region, { OP: opCode('get'), KEY: i % 8, SEQ: i, CALL: i }, i + 0.5)
  store.drain(region, 0)
  store.enforceLimit(2000)
  assert.equal(Atomics.load(control.i32, C.STRIDE), 2, 'workers now record every other key')
  assert.deepEqual(store.keptKeys(8), [0, 2, 4, 6])
  assert.equal(store.count, 800)
  assert.ok(store.operations().every((op) => ['k0', 'k2', 'k4', 'k6'].includes(op.key as string)))
  assert.equal(store.cutoff, Infinity)

  // Key 0 alone outgrows the limit: the history is cut in time.
  for (let i = 0; i < 3000; i++) record(region, { OP: opCode('get'), KEY: 0, SEQ: i, CALL: 3000 + i }, 3000 + i + 0.5)
  store.drain(region, 0)
  store.enforceLimit(7000)
  assert.deepEqual(store.keptKeys(8), [0])
  assert.equal(store.cutoff, 7000)
  assert.equal(control.cutoff, 7000, 'workers see the cutoff')
  record(region, { OP: opCode('get'), KEY: 0, SEQ: 9, CALL: 6999 }, 7001)
  record(region, { OP: opCode('get'), KEY: 0, SEQ: 10, CALL: 7002 }, 7003)
  const before = store.count
  store.drain(region, 0)
  assert.equal(store.count, before + 1, 'calls after the cutoff are not kept')
  const last = store.operations().at(-1)
  assert.equal(last?.ret, undefined, 'in flight at the cutoff: pending')
})

test('final reads: one get per kept key, absent keys read undefined', () => {
  assert.deepEqual(finalReads([0, 4], [[4, 'v']], 10, 11), [
    { thread: -1, key: 'k0', op: 'get', args: [], result: undefined, call: 10, ret: 11 },
    { thread: -1, key: 'k4', op: 'get', args: [], result: 'v', call: 10, ret: 11 },
  ])
})
