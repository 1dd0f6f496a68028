// The seeded operation stream: the same seed replays the same operations.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseMix, STORM_OPS } from '../../src/storm/index.js'
import { OperationStream, Random } from '../../src/storm/op-stream.js'

const mix = parseMix('get:70,set:10,delete:5,update:5,loadOrStore:5,compareAndSwap:5')

test('same seed, slot and generation: the same stream', () => {
  const a = new OperationStream(7, 1, 0, mix, 1000).take(10_000)
  const b = new OperationStream(7, 1, 0, mix, 1000).take(10_000)
  assert.deepEqual(a, b)
  assert.deepEqual(
    a.map((s) => s.seq),
    Array.from({ length: 10_000 }, (_, i) => i),
  )
})

test('another seed, slot or generation: another stream', () => {
  const base = JSON.stringify(new OperationStream(7, 1, 0, mix, 1000).take(200))
  for (const [seed, slot, generation] of [
    [8, 1, 0],
    [7, 2, 0],
    [7, 1, 1],
  ] as const) {
    assert.notEqual(JSON.stringify(new OperationStream(seed, slot, generation, mix, 1000).take(200)), base, `${seed}/${slot}/${generation}`)
  }
})

test('operations follow the mix weights, keys cover the key space', () => {
  const steps = new OperationStream(1, 0, 0, mix, 50).take(100_000)
  const counts = new Map<string, number>()
  for (const step of steps) counts.set(step.name, (counts.get(step.name) ?? 0) + 1)
  for (const op of STORM_OPS) {
    const expected = (mix[op] / 100) * steps.length
    const seen = counts.get(op) ?? 0
    if (expected === 0) assert.equal(seen, 0, `${op} has weight 0`)
    else assert.ok(Math.abs(seen - expected) < expected * 0.1 + 100, `${op}: ${seen} vs ${expected}`)
  }
  const keys = new Set(steps.map((s) => s.key))
  assert.equal(keys.size, 50)
  assert.ok(steps.every((s) => s.key >= 0 && s.key < 50 && Number.isInteger(s.key)))
})

test('Random: uniform enough, and reproducible', () => {
  const a = new Random(3, 4)
  const b = new Random(3, 4)
  const buckets = new Array<number>(10).fill(0)
  for (let i = 0; i < 100_000; i++) {
    const x = a.next()
    assert.equal(x, b.next())
    assert.ok(x >= 0 && x < 1)
    buckets[Math.floor(x * 10)]!++
  }
  for (const count of buckets) assert.ok(Math.abs(count - 10_000) < 500, String(count))
})
