import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkHistory, type Operation } from '../../src/check/index.js'
import { done, pending } from './helpers.js'

const verdict = (ops: Operation[]) => checkHistory(ops).linearizable

test('(a) a get invoked before an overlapping set may still read its value', () => {
  assert.equal(verdict([done(0, 'get', [], 1, 0, 5), done(1, 'set', [1], undefined, 1, 3)]), true)
  // The same read after the set's scope ended is fine too; before the set was called it is not.
  assert.equal(verdict([done(1, 'set', [1], undefined, 1, 3), done(0, 'get', [], 1, 0, 0.5)]), false)
})

test('(b) a read after a completed set must see it', () => {
  const history = [done(0, 'set', [1], undefined, 0, 1), done(1, 'get', [], undefined, 2, 3)]
  const result = checkHistory(history)
  assert.equal(result.linearizable, false)
  assert.equal(result.failure?.key, 'k')
  assert.deepEqual(result.failure?.operations, history)
  // Overlapping, the same answers are fine.
  assert.equal(verdict([done(0, 'set', [1], undefined, 0, 2.5), done(1, 'get', [], undefined, 2, 3)]), true)
})

test('ties: an operation called at the instant another returns overlaps it', () => {
  assert.equal(verdict([done(0, 'set', [1], undefined, 0, 2), done(1, 'get', [], undefined, 2, 3)]), true)
  assert.equal(verdict([done(0, 'set', [1], undefined, 0, 2), done(1, 'get', [], undefined, 2.000001, 3)]), false)
})

// W1 is invoked first, so the search tries it first; but Rb (-> 1) starts after W2
// returned, so W1 must follow W2: the only orders are W2, Ra, W1, Rb, Rc (and Rb/Rc swapped).
const w1 = done(0, 'set', [1], undefined, 0, 10)
const w2 = done(1, 'set', [2], undefined, 1, 3)
const rb = done(3, 'get', [], 1, 4, 20)
const rc = done(4, 'get', [], 1, 5, 20)

test('(c) the only valid order needs backtracking out of the first choice', () => {
  const ra = done(2, 'get', [], 2, 2, 20)
  assert.equal(verdict([w1, w2, ra, rb, rc]), true)
  assert.equal(verdict([rc, rb, ra, w2, w1]), true, 'input order is irrelevant')
})

test('(c) the same shape with the 2-read starting after a 1-read returned is rejected', () => {
  const rbEarly = done(3, 'get', [], 1, 4, 6)
  const raLate = done(2, 'get', [], 2, 7, 20)
  assert.equal(verdict([w1, w2, raLate, rbEarly, rc]), false)
})

test('(d) seed 003: two concurrent loadOrStore on an absent key cannot both store', () => {
  const both = [
    done(0, 'loadOrStore', [1], { value: 1, loaded: false }, 0, 2),
    done(1, 'loadOrStore', [2], { value: 2, loaded: false }, 1, 3),
  ]
  assert.equal(verdict(both), false)
  const oneLoads = [
    done(0, 'loadOrStore', [1], { value: 1, loaded: false }, 0, 2),
    done(1, 'loadOrStore', [2], { value: 1, loaded: true }, 1, 3),
  ]
  assert.equal(verdict(oneLoads), true)
  const loadsWrongValue = [
    done(0, 'loadOrStore', [1], { value: 1, loaded: false }, 0, 2),
    done(1, 'loadOrStore', [2], { value: 2, loaded: true }, 1, 3),
  ]
  assert.equal(verdict(loadsWrongValue), false)
})

test('(e) a pending set may explain a later read', () => {
  assert.equal(verdict([pending(0, 'set', [5], 0), done(1, 'get', [], 5, 10, 11)]), true)
})

test('(e) a pending set need not be visible to later reads', () => {
  assert.equal(verdict([pending(0, 'set', [5], 0), done(1, 'get', [], undefined, 10, 11), done(1, 'get', [], undefined, 12, 13)]), true)
})

test('(e) a pending operation takes effect after its call, and at most once', () => {
  assert.equal(verdict([done(1, 'get', [], 5, 0, 1), pending(0, 'set', [5], 2)]), false)
  const twice = [
    pending(0, 'set', [5], 0),
    done(1, 'get', [], 5, 10, 11),
    done(1, 'delete', [], true, 12, 13),
    done(1, 'get', [], 5, 14, 15),
  ]
  assert.equal(verdict(twice), false)
})

test('(e) a pending operation may take effect after every completed one', () => {
  const history = [pending(0, 'delete', [], 0), done(1, 'set', [1], undefined, 1, 2), done(1, 'get', [], 1, 3, 4)]
  assert.equal(verdict(history), true)
})

test('(f) a history that replays wrongly in call order and in return order is linearizable', () => {
  const set = done(0, 'set', [1], undefined, 0, 10)
  const get = done(1, 'get', [], undefined, 1, 11)
  // Call order and return order both put the set first, and then the get should read 1.
  assert.ok(set.call < get.call && set.ret! < get.ret!)
  assert.equal(verdict([set, get]), true)
})

test('(h) compareAndSwap compares by value and fails on an absent key', () => {
  assert.equal(verdict([done(0, 'compareAndSwap', [undefined, 1], false, 0, 1)]), true)
  assert.equal(verdict([done(0, 'compareAndSwap', [undefined, 1], true, 0, 1)]), false)
  const swapped = [
    done(0, 'set', [{ a: 1, b: [2] }], undefined, 0, 1),
    done(0, 'compareAndSwap', [{ b: [2], a: 1 }, 'x'], true, 2, 3),
    done(0, 'get', [], 'x', 4, 5),
  ]
  assert.equal(verdict(swapped), true)
  const stale = [done(0, 'set', [1], undefined, 0, 1), done(0, 'compareAndSwap', [2, 3], true, 2, 3)]
  assert.equal(verdict(stale), false)
  const failedButChanged = [
    done(0, 'set', [1], undefined, 0, 1),
    done(0, 'compareAndSwap', [2, 3], false, 2, 3),
    done(0, 'get', [], 3, 4, 5),
  ]
  assert.equal(verdict(failedButChanged), false)
})

test('(h) swap answers the previous value and whether there was one', () => {
  const history = [
    done(0, 'swap', [1], { previous: undefined, loaded: false }, 0, 1),
    done(0, 'swap', [2], { previous: 1, loaded: true }, 2, 3),
    done(0, 'get', [], 2, 4, 5),
  ]
  assert.equal(verdict(history), true)
  assert.equal(verdict([done(0, 'swap', [1], { previous: undefined, loaded: true }, 0, 1)]), false)
  assert.equal(verdict([done(0, 'set', [7], undefined, 0, 1), done(0, 'swap', [1], { previous: 8, loaded: true }, 2, 3)]), false)
})

test('(h) loadAndDelete removes and answers the value', () => {
  const history = [
    done(0, 'set', [1], undefined, 0, 1),
    done(0, 'loadAndDelete', [], { value: 1, loaded: true }, 2, 3),
    done(0, 'loadAndDelete', [], { value: undefined, loaded: false }, 4, 5),
    done(0, 'has', [], false, 6, 7),
  ]
  assert.equal(verdict(history), true)
  assert.equal(verdict([...history.slice(0, 2), done(0, 'get', [], 1, 4, 5)]), false)
})

test('(h) compareAndDelete deletes only on a match', () => {
  const history = [
    done(0, 'set', [1], undefined, 0, 1),
    done(0, 'compareAndDelete', [2], false, 2, 3),
    done(0, 'has', [], true, 4, 5),
    done(0, 'compareAndDelete', [1], true, 6, 7),
    done(0, 'has', [], false, 8, 9),
  ]
  assert.equal(verdict(history), true)
  assert.equal(verdict([done(0, 'compareAndDelete', [undefined], true, 0, 1)]), false)
})

test('(h) update increment counts absent as 0 and concurrent increments both land', () => {
  const inc = (by: number) => [{ kind: 'increment', by }]
  const history = [
    done(0, 'update', inc(1), 1, 0, 2),
    done(1, 'update', inc(2), 3, 1, 3),
    done(0, 'get', [], 3, 4, 5),
  ]
  assert.equal(verdict(history), true)
  // A lost update: both read 0, so both answer their own step.
  const lost = [done(0, 'update', inc(1), 1, 0, 2), done(1, 'update', inc(2), 2, 1, 3)]
  assert.equal(verdict(lost), false)
  assert.equal(verdict([done(0, 'set', ['x'], undefined, 0, 1), done(0, 'update', inc(1), 1, 2, 3)]), false)
  assert.equal(verdict([done(0, 'set', [10n], undefined, 0, 1), done(0, 'update', inc(1), 11n, 2, 3)]), true)
})

test('(h) update set and delete', () => {
  const history = [
    done(0, 'update', [{ kind: 'set', value: 'v' }], 'v', 0, 1),
    done(0, 'get', [], 'v', 2, 3),
    done(0, 'update', [{ kind: 'delete' }], undefined, 4, 5),
    done(0, 'has', [], false, 6, 7),
  ]
  assert.equal(verdict(history), true)
  assert.equal(verdict([done(0, 'update', [{ kind: 'set', value: 'v' }], 'w', 0, 1)]), false)
})

test('(h) getOrCompute stores only when absent', () => {
  const history = [
    done(0, 'getOrCompute', ['a'], 'a', 0, 1),
    done(1, 'getOrCompute', ['b'], 'a', 2, 3),
    done(1, 'get', [], 'a', 4, 5),
  ]
  assert.equal(verdict(history), true)
  const twice = [done(0, 'getOrCompute', ['a'], 'a', 0, 2), done(1, 'getOrCompute', ['b'], 'b', 1, 3)]
  assert.equal(verdict(twice), false)
})

test('has and delete answer presence; a stored undefined is present', () => {
  assert.equal(verdict([done(0, 'has', [], false, 0, 1), done(0, 'delete', [], false, 2, 3)]), true)
  assert.equal(verdict([done(0, 'delete', [], true, 0, 1)]), false)
  const storedUndefined = [done(0, 'set', [undefined], undefined, 0, 1), done(0, 'has', [], true, 2, 3), done(0, 'get', [], undefined, 4, 5)]
  assert.equal(verdict(storedUndefined), true)
})

test('keys are independent and compared with SameValueZero', () => {
  const history = [
    done(0, 'set', [1], undefined, 0, 1, 1),
    done(0, 'get', [], undefined, 2, 3, '1'),
    done(0, 'get', [], undefined, 2, 3, 1n),
    done(0, 'get', [], 1, 4, 5, 1),
    done(0, 'set', [2], undefined, 0, 1, 0),
    done(0, 'get', [], 2, 4, 5, -0),
  ]
  const result = checkHistory(history)
  assert.deepEqual(result, { linearizable: true, operationsChecked: 6, keysChecked: 4 })
  const failing = checkHistory([...history, done(0, 'get', [], 1, 6, 7, 1n)])
  assert.equal(failing.linearizable, false)
  assert.equal(failing.failure?.key, 1n)
})

test('values compare structurally, as the structured codec stores them', () => {
  const history = [
    done(0, 'set', [{ at: new Date(5), tags: new Set([1, 2]), m: new Map([['x', -0]]) }], undefined, 0, 1),
    done(0, 'get', [], { m: new Map([['x', 0]]), tags: new Set([2, 1]), at: new Date(5) }, 2, 3),
  ]
  assert.equal(verdict(history), true)
  const different = [history[0]!, done(0, 'get', [], { m: new Map([['x', 0]]), tags: new Set([2, 1]), at: new Date(6) }, 2, 3)]
  assert.equal(verdict(different), false)
})

test('an empty history is linearizable', () => {
  assert.deepEqual(checkHistory([]), { linearizable: true, operationsChecked: 0, keysChecked: 0 })
})

test('a history whose search cannot finish in time gives no verdict', () => {
  // 22 concurrent writes of distinct values, then a read of a value nobody wrote:
  // proving that takes exploring every subset of the writes.
  const writes = Array.from({ length: 22 }, (_, i) => done(i, 'set', [i], undefined, 0, 100))
  const history = [...writes, done(99, 'get', [], 'never', 200, 201)]
  const started = performance.now()
  const result = checkHistory(history, { timeoutMs: 50 })
  assert.equal(result.linearizable, null)
  assert.equal(result.keysChecked, 0)
  assert.ok(performance.now() - started < 5000, 'the budget is honoured')
})

test('bad input throws ERR_INVALID_ARGUMENT', () => {
  const invalid = { code: 'ERR_INVALID_ARGUMENT' }
  const bad: unknown[] = [
    { thread: 0, key: 'k', op: 'put', args: [1], call: 0, ret: 1 },
    { thread: 0, key: 'k', op: 'set', args: [], call: 0, ret: 1 },
    { thread: 0, key: 'k', op: 'get', args: [], call: 2, ret: 1 },
    { thread: 0, key: 'k', op: 'get', args: [], call: Number.NaN, ret: 1 },
    { thread: 0, key: {}, op: 'get', args: [], call: 0, ret: 1 },
    { thread: 0, key: 'k', op: 'has', args: [], result: 'yes', call: 0, ret: 1 },
    { thread: 0, key: 'k', op: 'swap', args: [1], result: { previous: 1 }, call: 0, ret: 1 },
    { thread: 0, key: 'k', op: 'update', args: [{ kind: 'multiply', by: 2 }], result: 2, call: 0, ret: 1 },
    { thread: 0, key: 'k', op: 'set', args: [() => 1], call: 0, ret: 1 },
    { thread: 'main', key: 'k', op: 'get', args: [], call: 0, ret: 1 },
  ]
  for (const op of bad) assert.throws(() => checkHistory([op as Operation]), invalid, JSON.stringify(op))
  assert.throws(() => checkHistory('history' as unknown as Operation[]), invalid)
  assert.throws(() => checkHistory([], { timeoutMs: -1 }), invalid)
  assert.throws(() => checkHistory([], { minimize: 'yes' as unknown as boolean }), invalid)
  // A pending operation needs no result of any shape.
  assert.equal(verdict([{ thread: 0, key: 'k', op: 'has', args: [], call: 0 }]), true)
})
