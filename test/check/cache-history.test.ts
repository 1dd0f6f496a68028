// checkHistory with { cache: true }: entries may vanish (expire, be evicted) at any
// instant after they were written, but never reappear and never hold a value
// nobody wrote. Without the option the same histories are judged as before.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkHistory, type Operation } from '../../src/check/index.js'
import { done, pending } from './helpers.js'

const plain = (ops: Operation[]) => checkHistory(ops).linearizable
const cache = (ops: Operation[]) => checkHistory(ops, { cache: true }).linearizable

const write = done(0, 'set', ['a'], undefined, 0, 1)

test('a value may vanish after it was written: reads find the key absent', () => {
  for (const read of [
    done(1, 'get', [], undefined, 2, 3),
    done(1, 'has', [], false, 2, 3),
    done(1, 'loadOrStore', ['b'], { value: 'b', loaded: false }, 2, 3),
    done(1, 'delete', [], false, 2, 3),
    done(1, 'getOrCompute', ['b'], 'b', 2, 3),
  ]) {
    assert.equal(plain([write, read]), false, read.op)
    assert.equal(cache([write, read]), true, read.op)
  }
})

test('a vanished value read again is a violation, with the second read as culprit', () => {
  const gone = done(1, 'get', [], undefined, 2, 3)
  const back = done(2, 'get', [], 'a', 4, 5)
  const result = checkHistory([write, gone, back], { cache: true })
  assert.equal(result.linearizable, false)
  assert.equal(result.failure?.culprit, back)
  assert.deepEqual(result.failure?.operations, [write, gone, back])
  // A later write of the same value brings it back legitimately.
  assert.equal(cache([write, gone, done(0, 'set', ['a'], undefined, 3.5, 3.8), back]), true)
  // So does a read overlapping the vanish's witness: the read of 'a' may come first.
  assert.equal(cache([write, done(1, 'get', [], undefined, 2, 6), back]), true)
})

test('a read of a value nobody wrote is a violation in a cache too', () => {
  const result = checkHistory([write, done(1, 'get', [], 'z', 2, 3)], { cache: true })
  assert.equal(result.linearizable, false)
  assert.equal(result.failure?.culprit?.result, 'z')
  assert.equal(cache([done(1, 'has', [], true, 0, 1)]), false, 'present before any write')
})

test('what a vanish cannot explain stays a violation: stale values and lost compare-ops', () => {
  // 'a' was overwritten by 'b': vanishing removes values, it never restores old ones.
  const overwritten = [write, done(0, 'set', ['b'], undefined, 2, 3), done(1, 'get', [], 'a', 4, 5)]
  assert.equal(cache(overwritten), false)
  // A compareAndSwap that failed on 'a' while 'a' was there: fine, it found the key vanished.
  assert.equal(cache([write, done(1, 'compareAndSwap', ['a', 'b'], false, 2, 3)]), true)
  // But then 'a' cannot be read again.
  assert.equal(cache([write, done(1, 'compareAndSwap', ['a', 'b'], false, 2, 3), done(2, 'get', [], 'a', 4, 5)]), false)
})

test('a pending increment leaves two possible values, and either may be read, but not both in turn', () => {
  const five = done(0, 'set', [5], undefined, 0, 1)
  const increment = pending(1, 'update', [{ kind: 'increment', by: 1 }], 2)
  const read = (value: number, call: number) => done(2, 'get', [], value, call, call + 1)
  assert.equal(plain([five, increment, read(1, 3)]), false)
  assert.equal(cache([five, increment, read(6, 3)]), true)
  assert.equal(cache([five, increment, read(1, 3)]), true, 'vanished, then the increment counted from absent')
  assert.equal(cache([five, increment, read(6, 3), read(1, 5)]), false, '1 after 6 needs a second increment')
  assert.equal(cache([five, increment, read(1, 3), read(6, 5)]), false, '6 after 1 would be a reappearance')
})

test('cache: false is the plain check, and a cache option that is not a boolean is refused', () => {
  const history = [write, done(1, 'get', [], undefined, 2, 3)]
  assert.equal(checkHistory(history, { cache: false }).linearizable, false)
  assert.throws(() => checkHistory(history, { cache: 'yes' as never }), { code: 'ERR_INVALID_ARGUMENT', message: /cache must be a boolean/ })
})
