import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatHistory, type Operation } from '../../src/check/index.js'
import { done, pending } from './helpers.js'

test('formatHistory prints one aligned line per operation in call order', () => {
  const history: Operation[] = [
    done(1, 'get', [], 1, 1001, 1004, 'a'),
    done(0, 'set', [1], undefined, 1000, 1002, 'a'),
    done(2, 'update', [{ kind: 'increment', by: 2 }], 3, 1003, 1004, 'n'),
    done(2, 'loadOrStore', [{ x: 1 }], { value: { x: 1 }, loaded: false }, 1004, 1005, 'b'),
    pending(3, 'swap', [2], 1006, 'a'),
  ]
  const lines = formatHistory(history).split('\n')
  assert.equal(lines.length, 5)
  assert.match(lines[0]!, /^t0 {2}set\('a', 1\) +\[0\.000, 2\.000\] +\|=+ +\|$/)
  assert.match(lines[1]!, /^t1 {2}get\('a'\) → 1 +\[1\.000, 4\.000\]/)
  assert.match(lines[2]!, /update\('n', v => \(v \?\? 0\) \+ 2\) → 3/)
  assert.match(lines[3]!, /loadOrStore\('b', \{ x: 1 \}\) → \{ value: \{ x: 1 \}, loaded: false \}/)
  assert.match(lines[4]!, /^t3 {2}swap\('a', 2\) → \? \(pending\) +\[6\.000, pending\] +\| +>\|$/)
  const bars = lines.map((line) => line.indexOf('|'))
  assert.ok(bars.every((at) => at === bars[0]), 'the timeline column is aligned')
  // The set's bar starts at the left edge and ends before the get's does.
  const bar = (line: string) => line.slice(line.indexOf('|') + 1, -1)
  assert.ok(bar(lines[0]!).lastIndexOf('=') < bar(lines[1]!).lastIndexOf('='))
  assert.equal(bar(lines[0]!).indexOf('='), 0)
})

test('formatHistory of nothing is empty, of bad input throws', () => {
  assert.equal(formatHistory([]), '')
  assert.throws(() => formatHistory([{ thread: 0, key: 'k', op: 'nope', args: [], call: 0 } as unknown as Operation]), {
    code: 'ERR_INVALID_ARGUMENT',
  })
})
