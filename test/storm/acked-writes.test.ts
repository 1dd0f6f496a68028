// The acknowledged-write analysis on hand-made histories: what a final state may
// show after completed, overlapping and pending operations.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Operation } from '../../src/check/index.js'
import { findLostWrites } from '../../src/storm/acked-writes.js'

const op = (thread: number, name: Operation['op'], args: unknown[], result: unknown, call: number, ret?: number): Operation =>
  ret === undefined ? { thread, key: 'k', op: name, args, call } : { thread, key: 'k', op: name, args, result, call, ret }

/** Lost keys of history `ops` when the key ends as `final` (undefined: absent), in a cache storm with `cache`. */
function lost(ops: Operation[], final?: unknown, cache = false): number {
  const finals = new Map<string, unknown>(final === undefined ? [] : [['k', final]])
  return findLostWrites(ops, ['k'], finals, cache).length
}

test('sequential writes: only the last one may show', () => {
  const ops = [op(0, 'set', ['a'], undefined, 0, 1), op(1, 'set', ['b'], undefined, 2, 3)]
  assert.equal(lost(ops, 'b'), 0)
  assert.equal(lost(ops, 'a'), 1, 'the later acknowledged write was lost')
  assert.equal(lost(ops), 1, 'both writes were lost')
})

test('overlapping writes: either may be last', () => {
  const ops = [op(0, 'set', ['a'], undefined, 0, 3), op(1, 'set', ['b'], undefined, 1, 2)]
  assert.equal(lost(ops, 'a'), 0)
  assert.equal(lost(ops, 'b'), 0)
  assert.equal(lost(ops), 1)
  assert.equal(lost(ops, 'c'), 1, 'a value nobody wrote')
})

test('a pending write may or may not have happened', () => {
  const ops = [op(0, 'set', ['a'], undefined, 0, 1), op(1, 'set', ['b'], undefined, 2)]
  assert.equal(lost(ops, 'a'), 0)
  assert.equal(lost(ops, 'b'), 0)
  assert.equal(lost(ops), 1)
})

test('acknowledged deletes count as writes of "absent"', () => {
  const ops = [op(0, 'set', ['a'], undefined, 0, 1), op(1, 'delete', [], true, 2, 3)]
  assert.equal(lost(ops), 0)
  assert.equal(lost(ops, 'a'), 1, 'a deleted value came back')
  const pendingDelete = [op(0, 'set', ['a'], undefined, 0, 1), op(1, 'loadAndDelete', [], undefined, 2)]
  assert.equal(lost(pendingDelete), 0)
  assert.equal(lost(pendingDelete, 'a'), 0)
})

test('operations that changed nothing do not count', () => {
  const ops = [
    op(0, 'set', ['a'], undefined, 0, 1),
    op(1, 'compareAndSwap', ['x', 'c'], false, 2, 3),
    op(1, 'loadOrStore', ['d'], { value: 'a', loaded: true }, 4, 5),
    op(1, 'delete', [], false, 6, 7),
    op(1, 'getOrCompute', ['e'], 'a', 8, 9),
    op(1, 'get', [], 'a', 10, 11),
  ]
  assert.equal(lost(ops, 'a'), 0)
  for (const other of ['c', 'd', 'e']) assert.equal(lost(ops, other), 1, other)
  assert.equal(lost(ops), 1)
})

test('conditional writes that succeeded do count', () => {
  const ops = [op(0, 'set', ['a'], undefined, 0, 1), op(1, 'compareAndSwap', ['a', 'c'], true, 2, 3)]
  assert.equal(lost(ops, 'c'), 0)
  assert.equal(lost(ops, 'a'), 1)
})

test('a key nobody changed must stay absent', () => {
  assert.equal(lost([op(0, 'get', [], undefined, 0, 1)]), 0)
  assert.equal(lost([op(0, 'get', [], undefined, 0, 1)], 'z'), 1)
  assert.equal(lost([]), 0)
})

test('counters: a completed update names its value, a pending one any number', () => {
  const inc = { kind: 'increment', by: 1 }
  const done = [op(0, 'update', [inc], 5, 0, 1)]
  assert.equal(lost(done, 5), 0)
  assert.equal(lost(done, 6), 1)
  const pending = [op(0, 'update', [inc], 5, 0, 1), op(1, 'update', [inc], undefined, 2)]
  assert.equal(lost(pending, 6), 0)
  assert.equal(lost(pending, 'x'), 1)
  assert.equal(lost([op(0, 'update', [{ kind: 'set', value: 1 }], 1, 0, 1)], 1), 0)
})

test('only the listed keys are judged, each on its own history', () => {
  const ops: Operation[] = [
    { thread: 0, key: 'a', op: 'set', args: ['1'], call: 0, ret: 1 },
    { thread: 0, key: 'b', op: 'set', args: ['2'], call: 0, ret: 1 },
  ]
  const result = findLostWrites(ops, ['a', 'b'], new Map([['a', '1']]))
  assert.deepEqual(
    result.map((l) => [l.key, l.present, l.candidates.length]),
    [['b', false, 1]],
  )
})

test('cache storms: any key may end absent, but never with a value nobody wrote or one that vanished', () => {
  const ops = [op(0, 'set', ['a'], undefined, 0, 1), op(1, 'set', ['b'], undefined, 2, 3)]
  assert.equal(lost(ops, undefined, true), 0, 'expired or evicted')
  assert.equal(lost(ops, 'b', true), 0)
  assert.equal(lost(ops, 'a', true), 1, 'an overwritten value came back')
  assert.equal(lost(ops, 'z', true), 1, 'a value nobody wrote')
  assert.equal(lost([op(0, 'get', [], undefined, 0, 1)], 'z', true), 1)
  const vanished = [...ops, op(2, 'get', [], undefined, 4, 5)]
  assert.equal(lost(vanished, 'b', true), 1, 'b was found absent after its write returned: it reappeared')
  assert.equal(lost([...ops, op(2, 'has', [], false, 2.5, 5)], 'b', true), 0, 'a read overlapping the write may precede it')
  assert.equal(lost([...vanished, op(0, 'set', ['b'], undefined, 6, 7)], 'b', true), 0, 'written again')
})
