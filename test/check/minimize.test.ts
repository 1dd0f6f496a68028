import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkHistory, formatHistory, type Operation } from '../../src/check/index.js'
import { done, simulateHistory } from './helpers.js'

const linearizable = (ops: Operation[]) => checkHistory(ops, { minimize: false }).linearizable

/** A linearizable single-key history of `n` operations over 4 threads. */
function background(n: number, seed: number): Operation[] {
  return simulateHistory({ seed, threads: 4, opsPerThread: n / 4, keys: 1, hotShare: 0 }).map((op) => ({ ...op, key: 'k' }))
}

test('(g) the seed-003 double store hidden in noise shrinks to exactly the two loadOrStores', () => {
  const noise = background(40, 7).map((op) => ({ ...op, call: op.call + 100, ...(op.ret === undefined ? {} : { ret: op.ret + 100 }) }))
  const culprits = [
    done(5, 'loadOrStore', ['a'], { value: 'a', loaded: false }, 0, 2),
    done(6, 'loadOrStore', ['b'], { value: 'b', loaded: false }, 1, 3),
  ]
  assert.equal(linearizable(noise), true)
  const result = checkHistory([...noise, ...culprits])
  assert.equal(result.linearizable, false)
  assert.deepEqual(result.failure?.operations, culprits)
  assert.equal(result.failure?.culprit, culprits[1])
  for (let i = 0; i < culprits.length; i++) {
    assert.equal(linearizable(culprits.filter((_, j) => j !== i)), true, `without operation ${i}`)
  }
})

test('(g) a stale read in a long history shrinks to the writes it contradicts', () => {
  const history = background(200, 11)
  assert.equal(linearizable(history), true)
  const last = Math.max(...history.map((op) => op.ret ?? op.call))
  const old = done(7, 'set', ['old'], undefined, last + 1, last + 2)
  const fresh = done(7, 'set', ['fresh'], undefined, last + 3, last + 4)
  const stale = done(8, 'get', [], 'old', last + 7, last + 8)
  const broken = [...history, old, fresh, done(8, 'get', [], 'fresh', last + 5, last + 6), stale]
  const result = checkHistory(broken)
  assert.equal(result.linearizable, false)
  assert.equal(result.failure?.culprit, stale)
  assert.deepEqual(result.failure?.operations, [old, fresh, stale])
  // Minimal: dropping any one operation makes the rest linearizable, or leaves a
  // read of a value that no remaining operation wrote (a weaker, misleading witness).
  const minimal = result.failure!.operations
  for (let i = 0; i < minimal.length; i++) {
    const rest = minimal.filter((_, j) => j !== i)
    if (linearizable(rest)) continue
    const written = new Set(rest.filter((op) => op.op === 'set').map((op) => op.args[0]))
    assert.ok(rest.some((op) => op.op === 'get' && op.result !== undefined && !written.has(op.result)), formatHistory(rest))
  }
})

test('(g) the counter-example keeps the culprit, whose answer is what breaks it', () => {
  // The last read is wrong; without the culprit rule, the pair [set 1, get 1 while
  // only a later set 1 exists] style of failures elsewhere could be reported instead.
  const history = background(400, 5)
  const reads = history.filter((op) => op.op === 'get' && typeof op.result === 'number')
  const victim = reads[Math.floor(reads.length * 0.6)]!
  const wrong: Operation = { ...victim, result: (victim.result as number) + 100 }
  const writeOfWrong = done(9, 'set', [(victim.result as number) + 100], undefined, -2, -1)
  const broken = [writeOfWrong, ...history.map((op) => (op === victim ? wrong : op))]
  const result = checkHistory(broken)
  assert.equal(result.linearizable, false)
  assert.equal(result.failure?.culprit, wrong)
  const minimal = result.failure!.operations
  assert.ok(minimal.includes(wrong) && minimal.includes(writeOfWrong))
  assert.equal(linearizable(minimal), false)
  assert.equal(linearizable(minimal.filter((op) => op !== wrong)), true, 'the culprit is what breaks it')
})

test('(g) a read of a value nobody wrote shrinks to that read alone', () => {
  const history = background(100, 3)
  const phantom = done(9, 'get', [], 'ghost', 1, 1.01)
  const result = checkHistory([...history, phantom])
  assert.equal(result.linearizable, false)
  assert.deepEqual(result.failure?.operations, [phantom])
})

test('(g) a read still in flight at the culprit that saw a later write does not let the shrinker drop the writes', () => {
  // The lossy-map storm's shape: set b is acknowledged but lost, so the read of a is
  // the culprit (failsAt 5). A read invoked before 5 and returning after it saw c,
  // written only after 5; counted as an answer, it made the window "not
  // self-contained" and the counter-example shrank to the lone read of a.
  const setA = done(0, 'set', ['a'], undefined, 0, 1)
  const setB = done(0, 'set', ['b'], undefined, 2, 3)
  const culprit = done(1, 'get', [], 'a', 4, 5)
  const inFlight = done(0, 'get', [], 'c', 4.5, 7)
  const setC = done(1, 'set', ['c'], undefined, 6, 6.5)
  const result = checkHistory([setA, setB, culprit, inFlight, setC])
  assert.equal(result.linearizable, false)
  assert.equal(result.failure?.culprit, culprit)
  assert.deepEqual(result.failure?.operations, [setA, setB, culprit])
})

test('minimize: false reports the whole failing key', () => {
  const history = [
    done(0, 'set', [1], undefined, 0, 1),
    done(1, 'get', [], 1, 2, 3),
    done(1, 'get', [], undefined, 4, 5),
    done(2, 'set', [9], undefined, 0, 1, 'other'),
  ]
  const result = checkHistory(history, { minimize: false })
  assert.equal(result.linearizable, false)
  assert.deepEqual(result.failure?.operations, history.slice(0, 3))
  assert.equal(checkHistory(history).failure?.operations.length, 2)
})
