import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkHistory, formatHistory, type Operation } from '../../src/check/index.js'
import { simulateHistory } from './helpers.js'

// 200k operations from 4 threads over 1000 keys plus 8 hot keys where the threads
// collide, two threads killed mid-operation. No time assertion: the budget only
// guards against a hang, and the measured times are reported as diagnostics.
const history = simulateHistory({ seed: 1, threads: 4, opsPerThread: 50_000, keys: 1000, killed: 2, objects: true })

test('a recorded linearizable history of 200k operations passes', (t) => {
  const started = performance.now()
  const result = checkHistory(history, { timeoutMs: 120_000 })
  t.diagnostic(`checked ${history.length} operations in ${(performance.now() - started).toFixed(0)} ms`)
  assert.equal(result.linearizable, true)
  assert.equal(result.operationsChecked, 200_000)
  assert.equal(result.keysChecked, new Set(history.map((op) => op.key)).size)
  assert.equal(history.filter((op) => op.ret === undefined).length, 2)
})

test('one wrong answer among 200k operations is found and shrunk', (t) => {
  const hot = history.filter((op) => op.key === 'hot3')
  const victim = hot.find((op, i) => i > hot.length / 2 && op.op === 'get' && op.result === 2)
  assert.ok(victim !== undefined)
  const corrupted: Operation = { ...victim, result: 4 }
  const broken = history.map((op) => (op === victim ? corrupted : op))
  const started = performance.now()
  const result = checkHistory(broken, { timeoutMs: 120_000 })
  t.diagnostic(`found and shrunk in ${(performance.now() - started).toFixed(0)} ms:\n${formatHistory(result.failure?.operations ?? [])}`)
  assert.equal(result.linearizable, false)
  assert.equal(result.failure?.key, 'hot3')
  const counterExample = result.failure!.operations
  assert.equal(result.failure?.culprit, corrupted)
  assert.ok(counterExample.includes(corrupted))
  assert.ok(counterExample.length <= 10, `${counterExample.length} operations`)
  assert.equal(checkHistory(counterExample).linearizable, false)
})
