// Optimistic reads racing buffer growth (issue 8, finding 1). A reader parks right
// after it has synced its views and read the shard's seq; meanwhile the test grows
// the buffer several times and rewrites the key, whose records and tables then lie
// past the reader's views. Released, the read must still find the key, which was
// present throughout: a read whose views miss part of the state it validates
// against would answer "absent" and pass validation.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SharedMap } from '../../src/index.js'
import { GateState } from '../../src/map/failpoints.js'
import { exited, mapWorkerFile, start } from '../helpers/workers.js'

async function parkedRead(op: 'get' | 'has'): Promise<{ answer: unknown; grew: number; value: string }> {
  const map = new SharedMap<string, string>({ shards: 1, initialCapacity: 0, codec: 'string' })
  map.set('k', 'v0')
  const gate = new SharedArrayBuffer(4)
  const word = new Int32Array(gate)
  const reader = start('parked', { handle: map.handle, point: 'read:begun', gate, key: 'k', op }, mapWorkerFile)
  const wait = Atomics.waitAsync(word, 0, GateState.WAITING, 20_000)
  if (wait.async) await wait.value
  assert.equal(Atomics.load(word, 0), GateState.REACHED, 'the reader parked inside its read')
  const reserved = map.stats().bytes.reserved
  let value = 'v0'
  // Grow the buffer several times over; the key's table resizes and its record moves.
  for (let i = 0; map.stats().bytes.reserved < reserved * 16; i++) {
    map.set(`fill${i}`, 'x'.repeat(200))
    if (i % 50 === 0) map.set('k', (value = `v${i}:${'y'.repeat(i % 300)}`))
  }
  const grew = map.stats().bytes.reserved / reserved
  Atomics.store(word, 0, GateState.RELEASED)
  Atomics.notify(word, 0)
  const { value: answer } = (await reader.result) as { value: unknown }
  await exited(reader.worker)
  return { answer, grew, value }
}

test('an optimistic get that began before the buffer grew finds a key present throughout', async () => {
  const { answer, grew, value } = await parkedRead('get')
  assert.ok(grew >= 16, `the buffer grew ${grew}x during the read`)
  assert.equal(answer, value, 'the read answers the value the key has when it ends')
})

test('an optimistic has() that began before the buffer grew finds a key present throughout', async () => {
  const { answer, grew } = await parkedRead('has')
  assert.ok(grew >= 16, `the buffer grew ${grew}x during the read`)
  assert.equal(answer, true)
})
